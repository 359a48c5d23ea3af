/** Messages between `run` and its worker processes (plain JSON over the IPC channel). */
import type { ConfigInput } from "../config/schema.js";
import type { SerializedError } from "../engine/job.js";
import type { LogLevel } from "../log.js";
import type { RegionWriteResult } from "./region.js";

export type WorkerMessage =
  | { type: "init"; archive: string; config: ConfigInput; level: LogLevel }
  | { type: "file"; id: number; path: string }
  | { type: "close" };

export type WorkerReply =
  | { type: "done"; id: number; result: RegionWriteResult }
  | { type: "failed"; id: number; error: SerializedError };
