/**
 * An archive's two BullMQ queues (file jobs, finishing jobs) and what submit, work, status and
 * retry-failed do with them in common: the job shapes, the generation counter, and the check
 * that starts the finishing step once no file job is left to run.
 *
 * Exactly once: every worker, after each job and every few seconds, asks whether the file queue
 * is drained (nothing waiting, delayed for a retry, or active). When it is, it adds the finishing
 * job of the current generation under the id `g<generation>`; BullMQ adds a job whose id exists
 * at most once (the id is kept after completion), so however many workers see the queue drained
 * at the same moment, one finishing job runs, on one of them. A submit that adds files, or a
 * retry-failed, bumps the generation *after* its jobs are in the queue, so the next drain starts
 * one more finishing step, and never one before those jobs are done.
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { QueueServer } from "./connection.js";
import {
  FINISH_JOB,
  finishJobId,
  finishQueueName,
  PREFIX,
  queueName,
  REGISTRY_KEY,
  stateKey,
} from "./names.js";

/** What a write-region job carries: where, and the write-time options of the submit. */
export interface FileJobData {
  archive: string;
  file: string;
  /** Write-time configuration (group, retriesOnMissing, missingCheckVars, packing action). */
  config: Record<string, unknown>;
  /** Set by the processor when an attempt failed: the error as the CLI would print it. */
  error?: JobError;
}

export interface JobError {
  message: string;
  hint?: string;
  /** The error class (RegionError, InputError, ...). */
  kind: string;
}

export interface FinishJobData {
  archive: string;
  queue: string;
  generation: number;
  /** The server, for the summary the finishing step stores. */
  url: string;
}

/** What the finishing step stores and `status` shows. */
export interface FinishSummary {
  generation: number;
  finishedAt: string;
  seconds: number;
  complete: boolean;
  steps: number;
  missingSteps: number;
  /** The first missing ranges, as validate lists them. */
  missing: { first: string; last: string; start: number; stop: number }[];
  emptySteps: number;
  /** Did the archive's metadata need refreshing (it never does after write-region). */
  metadataRefreshed: boolean;
}

export const PENDING_STATES = [
  "waiting",
  "active",
  "delayed",
  "prioritized",
  "waiting-children",
  "paused",
] as const;

export class ArchiveQueue {
  readonly name: string;
  readonly files: Queue<FileJobData>;
  readonly finish: Queue<FinishJobData>;

  constructor(
    readonly server: QueueServer,
    readonly archive: string,
  ) {
    this.name = queueName(archive);
    const connection = { ...server.redis, maxRetriesPerRequest: null };
    this.files = new Queue<FileJobData>(this.name, { connection, prefix: PREFIX });
    this.finish = new Queue<FinishJobData>(finishQueueName(this.name), {
      connection,
      prefix: PREFIX,
    });
    // Reconnection errors: BullMQ retries; commands that cannot run reject where they are awaited.
    this.files.on("error", () => {});
    this.finish.on("error", () => {});
  }

  client(): Promise<Redis> {
    return this.files.client as unknown as Promise<Redis>;
  }

  async register(): Promise<void> {
    await (await this.client()).hset(REGISTRY_KEY, this.name, this.archive);
  }

  async registered(): Promise<boolean> {
    return (await (await this.client()).hexists(REGISTRY_KEY, this.name)) === 1;
  }

  async generation(): Promise<number> {
    return Number((await (await this.client()).get(stateKey(this.name, "gen"))) ?? "0");
  }

  async bumpGeneration(): Promise<number> {
    return (await this.client()).incr(stateKey(this.name, "gen"));
  }

  async pendingFiles(): Promise<number> {
    const counts = await this.files.getJobCounts(...PENDING_STATES);
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /** Adds this generation's finishing job when no file job is left; true when the queue is drained. */
  async finishIfDrained(): Promise<boolean> {
    if ((await this.pendingFiles()) > 0) return false;
    const generation = await this.generation();
    if (generation === 0) return true;
    await this.finish.add(
      FINISH_JOB,
      { archive: this.archive, queue: this.name, generation, url: this.server.url },
      {
        jobId: finishJobId(generation),
        attempts: 3,
        backoff: { type: "exponential", delay: 1000 },
        removeOnComplete: false,
        removeOnFail: false,
      },
    );
    return true;
  }

  async summary(): Promise<FinishSummary | null> {
    const text = await (await this.client()).get(stateKey(this.name, "summary"));
    return text ? (JSON.parse(text) as FinishSummary) : null;
  }

  async finishes(): Promise<number> {
    return Number((await (await this.client()).get(stateKey(this.name, "finishes"))) ?? "0");
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.files.close(), this.finish.close()]);
  }
}
