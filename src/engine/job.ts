/**
 * What the engine is asked to do, for every verb alike: write blocks of output chunks, each
 * assembled from pieces of one or more input files. Structured-clone friendly, so it crosses the
 * worker boundary as is. Data never crosses it — workers read the inputs and write the store
 * themselves, so the main thread only moves small messages.
 */

import type { HintPart } from "../hint.js";
import type { Block } from "../plan/blocks.js";
import type { ArrayPacking } from "../plan/packing.js";
import type { DetachedSource } from "../readers/detached.js";
import type { StoredForm } from "../region/values.js";
import type { ArrayMeta } from "../zarr/metadata.js";
import type { StoreDescription } from "../zarr/store/types.js";

export interface InputRef {
  /** A local path, or a remote input's URL. */
  path: string;
  group?: string;
  /**
   * A remote input's version as the planning thread opened it (`readers/identity.ts
   * inputVersion`): workers read exactly that version, or fail if the object changed since.
   */
  version?: string;
  /**
   * How to read some of its variables without opening the file as a Dataset (filled where the
   * file is open, `readers/detached.ts`): a worker reads these through a byte source of its own,
   * with no h5wasm and no header parsed again, and opens the Dataset only for the others.
   */
  variables?: Record<string, DetachedSource>;
}

export interface EngineJob {
  inputs: InputRef[];
  /** When the job was handed to the pool (performance.timeOrigin + now, ms), for start-up times. */
  startedAt?: number;
  /** The Zarr store being written, for the worker to open itself. */
  store: StoreDescription;
  /** The archive's arrays, as stored. */
  arrays: ArrayMeta[];
}

/** How a file's values become the archive's stored values. */
export type ValueMapping =
  /** Stored as read. */
  | { kind: "same" }
  /** Float values packed into an integer dtype (convert's packing plan). */
  | { kind: "pack"; packing: ArrayPacking }
  /** Through their physical meaning, from the file's stored form to the archive's. */
  | { kind: "form"; src: StoredForm; dst: StoredForm };

/** One input's share of a block: a box of the archive read from a variable of that input. */
export interface Piece {
  /** Index into EngineJob.inputs. */
  input: number;
  variable: string;
  /** The box in archive coordinates, inside the task's block. */
  start: number[];
  count: number[];
  /** Where `start` is in the source variable. */
  from: number[];
  mapping: ValueMapping;
}

export interface EngineTask {
  /** Index into EngineJob.arrays. */
  array: number;
  /** A box of the array; chunks it covers only in part are merged, not overwritten. */
  block: Block;
  /** Not overlapping; cells of the block no piece covers are left as the archive has them. */
  pieces: Piece[];
}

/** What storing chunks did (engine/chunk-sink.ts). */
export interface SinkResult {
  chunks: number;
  /** Chunks shared with another writer, merged with compare-and-swap. */
  merged: number;
  /** Conditional puts that lost a race and were redone. */
  conflicts: number;
  bytesWritten: number;
}

export interface TaskResult extends SinkResult {
  bytesRead: number;
  /** Values outside the archive's packing range (clipped to it), per piece. */
  outOfRange: number[];
  /** The worker thread that ran it (absent inline). */
  worker?: WorkerStats;
}

/** What a worker thread reports with each task: diagnostics of its start-up. */
export interface WorkerStats {
  threadId: number;
  /** h5wasm WASM instances the worker has started so far (0: it read everything detached). */
  h5wasmInstances: number;
  /**
   * Milliseconds from the job's start (EngineJob.startedAt) to the worker being ready; 0 for a
   * worker that was started before the job and was ready by then.
   */
  readyMs: number;
  /** Milliseconds from the job's start to the end of this task. */
  doneMs: number;
  /** Tasks it has finished, this one included. */
  tasks: number;
}

export type WorkerRequest =
  /** First, once: the job every later task belongs to. */
  | { type: "job"; job: EngineJob }
  | {
      type: "task";
      id: number;
      task: EngineTask;
      /**
       * The inputs the task's pieces name, as `[index into EngineJob.inputs, ref]`: a worker
       * starts with none and learns each with the first task that reads it, so a job of 10,000
       * files does not copy all their descriptions into every thread.
       */
      inputs: [number, InputRef][];
    }
  | { type: "close" };

export type WorkerReply =
  | ({ type: "done"; id: number } & TaskResult)
  | { type: "error"; id: number | null; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  hint?: string;
  hintParts?: readonly HintPart[];
  stack?: string;
}
