/**
 * Multi-file convert's write step: each file written into its region of one staged archive, one
 * after the other, with one progress line over all of them (each file's share scaled by its
 * size). Used by the time-axis join (concat.ts) and the record join (concat-records.ts).
 */
import type { ZarrifyConfig } from "../config/schema.js";
import { type ProgressListener, progressFor, sequenceProgress } from "../engine/progress.js";
import type { Logger } from "../log.js";
import type { RegionInput } from "../region/spec.js";
import type { Store } from "../zarr/store/types.js";
import { fileSize } from "./inputs.js";
import { type InternalRegionOptions, writeRegion } from "./region.js";

export interface FileWrite {
  path: string;
  /** A region by hand (records joined by position); else the file's times place it. */
  region?: RegionInput;
  /** For the log line. */
  where?: string;
}

export async function writeFilesInTurn(
  writes: readonly FileWrite[],
  archive: string,
  o: {
    config: ZarrifyConfig;
    store: Store;
    logger: Logger;
    progress: boolean | ProgressListener | undefined;
    internal: InternalRegionOptions;
  },
): Promise<{ chunks: number; bytesWritten: number }> {
  let chunks = 0;
  let bytesWritten = 0;
  const reporter = progressFor(o.progress, "convert", "files");
  const progress = sequenceProgress(
    reporter.update,
    writes.map((w) => fileSize(w.path)),
  );
  try {
    for (const [i, w] of writes.entries()) {
      o.logger.info(
        `convert: [${i + 1}/${writes.length}] ${w.path}${w.where ? ` → ${w.where}` : ""}`,
      );
      const r = await writeRegion(
        w.path,
        archive,
        {
          ...o.config,
          store: o.store,
          logger: o.logger,
          progress: progress.forFile(i),
          ...(w.region ? { region: w.region } : {}),
        },
        { verb: "convert", ...o.internal },
      );
      chunks += r.chunks;
      bytesWritten += r.bytesWritten;
      progress.fileDone(i);
    }
  } finally {
    reporter.stop();
  }
  return { chunks, bytesWritten };
}
