/**
 * The queue's sandboxed processor: BullMQ runs this module on a worker thread of `queue work`
 * (`useWorkerThreads`), one thread per concurrent job, so a write-region decoding and encoding
 * chunks never blocks the worker's main thread, where BullMQ renews the job locks. (On the main
 * thread, a small file's write runs inline and holds the event loop for its whole duration: a
 * write longer than the lock would be taken for a dead worker's and run twice.)
 *
 * A file job is `writeRegion(file, archive)`: idempotent, safe beside other writers, and its
 * completion marker is its last act. A failure keeps the error's message as BullMQ's reason and
 * its hint and class in the job's data; errors that would fail again unchanged (the file does
 * not fit the template, a bad option) skip the remaining attempts.
 *
 * A finishing job validates the archive and stores the summary `status` shows.
 */
import type { SandboxedJob } from "bullmq";
import { Redis } from "ioredis";
import { ConfigError, RegionError, ZarrifyError } from "../errors.js";
import { createLogger, type LogLevel } from "../log.js";
import { archiveStore } from "../ops/archive-store.js";
import { writeRegion } from "../ops/region.js";
import { validateArchive } from "../ops/validate.js";
import type { Store } from "../zarr/store/types.js";
import type { FileJobData, FinishJobData, FinishSummary, JobError } from "./archive-queue.js";
import { parseQueueUrl } from "./connection.js";
import { FINISH_JOB, LOG_LEVEL_ENV, stateKey } from "./names.js";

const logger = createLogger((process.env[LOG_LEVEL_ENV] as LogLevel | undefined) ?? "warn");

/**
 * One store per archive for the life of this thread, reused by its jobs: on S3 its connections
 * and its one check that the server enforces conditional writes are paid once, not per file (a
 * store per job also left its idle connections open until the server dropped them).
 */
const stores = new Map<string, Store>();

function storeFor(archive: string): Store {
  let store = stores.get(archive);
  if (!store) {
    store = archiveStore(archive, { objectStores: true });
    stores.set(archive, store);
  }
  return store;
}

function jobError(err: unknown): JobError {
  if (err instanceof ZarrifyError) {
    return { message: err.message, hint: err.hintFor("cli"), kind: err.name };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { message: e.message, kind: e.name };
}

async function writeFile(job: SandboxedJob<FileJobData>) {
  const { archive, file, config } = job.data;
  try {
    const r = await writeRegion(file, archive, {
      ...config,
      jobs: 1,
      logger,
      progress: false,
      store: storeFor(archive),
    });
    return {
      steps: r.steps,
      first: r.first,
      last: r.last,
      chunks: r.chunks,
      mergedChunks: r.mergedChunks,
      conflicts: r.conflicts,
      seconds: r.seconds,
    };
  } catch (err) {
    const error = jobError(err);
    await job.updateData({ ...job.data, error });
    const thrown = new Error(error.message);
    // Would fail the same way on every attempt: BullMQ moves it to the failed set at once.
    if (err instanceof RegionError || err instanceof ConfigError)
      thrown.name = "UnrecoverableError";
    throw thrown;
  }
}

async function finish(job: SandboxedJob<FinishJobData>): Promise<FinishSummary> {
  const { archive, queue, generation, url } = job.data;
  const started = performance.now();
  // write-region never changes array or group metadata (the template laid out every array over
  // the whole time range), so the consolidated metadata is already right: nothing to refresh.
  const report = await validateArchive(archive, { logger, store: storeFor(archive) });
  const summary: FinishSummary = {
    generation,
    finishedAt: new Date().toISOString(),
    seconds: (performance.now() - started) / 1000,
    complete: report.complete,
    steps: report.steps,
    missingSteps: report.missingSteps,
    missing: report.missing.slice(0, 20),
    emptySteps: report.emptySteps,
    metadataRefreshed: false,
  };
  const redis = new Redis({ ...parseQueueUrl(url).redis, maxRetriesPerRequest: 3 });
  redis.on("error", () => {});
  try {
    await redis
      .multi()
      .set(stateKey(queue, "summary"), JSON.stringify(summary))
      .incr(stateKey(queue, "finishes"))
      .exec();
  } finally {
    redis.disconnect();
  }
  return summary;
}

export default async function processor(job: SandboxedJob): Promise<unknown> {
  if (job.name === FINISH_JOB) return finish(job as SandboxedJob<FinishJobData>);
  return writeFile(job as SandboxedJob<FileJobData>);
}
