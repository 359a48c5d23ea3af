/**
 * Names in Redis. One BullMQ queue per archive, named from the archive's absolute path or s3:// URL,
 * so several archives share a Redis; one job per (archive, file), its id a hash of both, so a
 * file submitted twice is one job. Everything lives under the `zarrify` key prefix.
 *
 *   zarrify:archives                 hash: queue name → archive (what `work` without ARCHIVE serves)
 *   zarrify:<queue>:…                BullMQ's keys of the archive's file jobs
 *   zarrify:<queue>-finish:…         BullMQ's keys of its finishing jobs (one per generation)
 *   zarrify:<queue>:zarrify:gen      generation: bumped by every submit that added jobs and every
 *                                    retry-failed; the finishing job of generation g has id g<g>
 *   zarrify:<queue>:zarrify:summary  the last finishing step's result (JSON), shown by status
 *   zarrify:<queue>:zarrify:finishes how many finishing steps ran (a counter, for tests and status)
 */
import { createHash } from "node:crypto";
import { archiveLocation as tidyLocation } from "../ops/archive-store.js";

export const PREFIX = "zarrify";
export const REGISTRY_KEY = `${PREFIX}:archives`;
export const FILE_JOB = "write-region";
export const FINISH_JOB = "finish";
/** The worker's log level, for the processor threads (they inherit the environment). */
export const LOG_LEVEL_ENV = "ZARRIFY_QUEUE_LOG_LEVEL";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The archive as workers will open it, and as its queue is named: an absolute local path, or an
 * s3:// URL tidied (so `s3://b/a.zarr/` and `s3://b/a.zarr` are one queue).
 */
export function archiveLocation(archive: string): string {
  return tidyLocation(archive);
}

export function queueName(archive: string): string {
  return `archive-${sha(archive).slice(0, 20)}`;
}

export function finishQueueName(queue: string): string {
  return `${queue}-finish`;
}

/** Never a pure number (BullMQ reserves those) and no ':' (its key separator). */
export function fileJobId(archive: string, file: string): string {
  return `f${sha(`${archive}\n${file}`).slice(0, 32)}`;
}

export function finishJobId(generation: number): string {
  return `g${generation}`;
}

export const stateKey = (queue: string, what: "gen" | "summary" | "finishes") =>
  `${PREFIX}:${queue}:zarrify:${what}`;
