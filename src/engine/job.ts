/**
 * What a worker needs to know to do its share: structured-clone friendly, so it crosses the
 * worker boundary as is. Data never crosses it — workers read the source and write the store
 * themselves, so the main thread only moves small messages.
 */

import type { HintPart } from "../hint.js";
import type { Block } from "../plan/blocks.js";
import type { WritePlan } from "../plan/write-plan.js";
import type { StoreDescription } from "../zarr/store/types.js";

export interface EngineJob {
  source: { path: string; group?: string };
  /** The Zarr store being written, for the worker to open itself. */
  store: StoreDescription;
  plan: WritePlan;
}

export interface EngineTask {
  /** Index into plan.arrays. */
  array: number;
  block: Block;
}

export type WorkerRequest = { type: "task"; id: number; task: EngineTask } | { type: "close" };

export type WorkerReply =
  | { type: "ready" }
  | {
      type: "done";
      id: number;
      chunks: number;
      bytesRead: number;
      bytesWritten: number;
      outOfRange: number;
    }
  | { type: "error"; id: number | null; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  hint?: string;
  hintParts?: readonly HintPart[];
  stack?: string;
}
