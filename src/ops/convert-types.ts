/**
 * The convert verb's own options and its result, shared by its one-file path (convert.ts) and its
 * many-file paths (concat.ts, concat-records.ts), which convert.ts dispatches to: a module of
 * their own, so the many-file paths need not import convert.ts back.
 */
import type { ProgressListener } from "../engine/progress.js";
import type { Logger } from "../log.js";
import type { Store } from "../zarr/store/types.js";

export interface RunOptions {
  /** Replace an existing output archive. */
  overwrite?: boolean;
  logger?: Logger;
  /** Show a progress bar (CLI on a TTY) or periodic log lines. */
  progress?: boolean | ProgressListener;
  /** Write into this store instead of the filesystem path (tests, embedding). */
  store?: Store;
}

export interface ConvertResult {
  output: string;
  variables: string[];
  chunks: number;
  bytesRead: number;
  bytesWritten: number;
  seconds: number;
  workers: number;
}
