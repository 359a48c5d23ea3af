/**
 * `queue work`: takes file jobs from the archives' queues in one Redis and writes them, on as many
 * machines as you like. Each job runs in BullMQ's sandbox on a worker thread (processor.ts), so
 * the main thread stays free to renew job locks. A worker that dies (SIGKILL, a lost machine)
 * stops renewing its locks; after `lockDuration` another worker's stalled-job check puts the job
 * back in the queue and it is written again (writes are idempotent). Without ARCHIVE the worker
 * serves every archive submitted to this Redis, looking for new ones every few seconds.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Job, Worker, type WorkerOptions } from "bullmq";
import { RegionError } from "../errors.js";
import { hint, verb } from "../hint.js";
import { type Logger, libraryLogger } from "../log.js";
import { archiveExists } from "../ops/archive-store.js";
import { builtModule } from "../package-files.js";
import { ArchiveQueue, type FileJobData } from "./archive-queue.js";
import { probe, queueServer, redisClient } from "./connection.js";
import { QueueError } from "./errors.js";
import { archiveLocation, finishQueueName, LOG_LEVEL_ENV, PREFIX, REGISTRY_KEY } from "./names.js";

export interface WorkOptions {
  queue?: string;
  /** Serve this archive only; default every archive registered in the Redis. */
  archive?: string;
  /** Jobs at once in this process (default 1). */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal, ms (default 30000): how soon the job of a dead
   * worker is run again elsewhere. Renewed every half of it while the job runs.
   */
  lockDurationMs?: number;
  /** Stop once every served queue is drained and its finishing step done (batch jobs, tests). */
  exitWhenDrained?: boolean;
  logger?: Logger;
  /** Resolves when the worker should stop (SIGTERM); default never. */
  stop?: Promise<void>;
}

export interface WorkResult {
  archives: string[];
  completed: number;
  failed: number;
  finished: number;
  seconds: number;
}

/** How often a worker looks for new archives and for a drained queue. */
const POLL_MS = 2000;
const FINISHING_POLL_MS = 200;

/** The built processor (dist/queue/processor.js): BullMQ's sandbox runs plain JavaScript. */
export function processorFile(): string {
  const js = fileURLToPath(builtModule("queue/processor"));
  if (existsSync(js)) return js;
  throw new QueueError(`the queue processor ${js} is missing`, {
    hint: "build zarrify (npm run build) and run the worker from dist/",
  });
}

interface Served {
  q: ArchiveQueue;
  files: Worker<FileJobData>;
  finish: Worker;
}

export async function runWorkers(o: WorkOptions): Promise<WorkResult> {
  const logger = o.logger ?? libraryLogger;
  const server = queueServer(o.queue);
  const concurrency = o.concurrency ?? 1;
  const lockDuration = o.lockDurationMs ?? 30_000;
  await probe(server);
  const started = performance.now();
  const processor = processorFile();
  process.env[LOG_LEVEL_ENV] = logger.level;
  const result: WorkResult = { archives: [], completed: 0, failed: 0, finished: 0, seconds: 0 };
  const served = new Map<string, Served>();
  const registry = redisClient(server);
  let onlyArchive: string | undefined;
  if (o.archive !== undefined) {
    onlyArchive = archiveLocation(o.archive);
    if (!(await archiveExists(onlyArchive))) {
      throw new RegionError(`${o.archive}: no archive here`, {
        hint: hint`submit its files first with ${verb("queue submit")}, which creates the template`,
      });
    }
  }

  const options = (): WorkerOptions => ({
    connection: { ...server.redis, maxRetriesPerRequest: null },
    prefix: PREFIX,
    concurrency,
    useWorkerThreads: true,
    lockDuration,
    stalledInterval: Math.max(1000, Math.min(30_000, lockDuration)),
    // A job whose worker died twice is not a poison pill yet: a machine can be lost twice.
    maxStalledCount: 3,
  });

  const serve = (name: string, archive: string) => {
    if (served.has(name)) return;
    const q = new ArchiveQueue(server, archive);
    const files = new Worker<FileJobData>(name, processor, options());
    const finish = new Worker(finishQueueName(name), processor, { ...options(), concurrency: 1 });
    const check = () => {
      q.finishIfDrained().catch((err) => logger.warn(`queue work: ${archive}: ${String(err)}`));
    };
    files.on("completed", (job: Job<FileJobData>) => {
      result.completed++;
      logger.info(`queue work: wrote ${job.data.file}`);
      check();
    });
    files.on("failed", (job: Job<FileJobData> | undefined, err: Error) => {
      if (!job) return;
      const last =
        job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === "UnrecoverableError";
      if (last) result.failed++;
      logger.error(
        `queue work: ${job.data.file}: ${err.message}${last ? "" : ` (attempt ${job.attemptsMade} of ${job.opts.attempts}, will retry)`}`,
      );
      check();
    });
    files.on("stalled", (id: string) =>
      logger.warn(`queue work: job ${id} stalled: its worker stopped; re-queued`),
    );
    finish.on("completed", () => {
      result.finished++;
      logger.info(`queue work: finished ${archive} (validated)`);
      wake();
    });
    finish.on("failed", (_job, err: Error) =>
      logger.error(`queue work: finishing ${archive}: ${err.message}`),
    );
    for (const w of [files, finish]) {
      w.on("error", (err: Error) => logger.warn(`queue work: ${err.message}`));
    }
    served.set(name, { q, files, finish });
    result.archives.push(archive);
    logger.info(`queue work: serving ${archive} (${name}), ${concurrency} at a time`);
  };

  const discover = async () => {
    const all = (await registry.hgetall(REGISTRY_KEY)) as Record<string, string>;
    for (const [name, archive] of Object.entries(all)) {
      if (onlyArchive === undefined || archive === onlyArchive) serve(name, archive);
    }
  };

  /** "finishing": no file job left anywhere, a finishing step still to run or running. */
  const progress = async (): Promise<"working" | "finishing" | "done"> => {
    if (served.size === 0) return "working";
    let finishing = false;
    for (const { q } of served.values()) {
      if (!(await q.finishIfDrained())) return "working";
      const counts = await q.finish.getJobCounts("waiting", "active", "delayed");
      if (counts.waiting + counts.active + counts.delayed > 0) finishing = true;
    }
    return finishing ? "finishing" : "done";
  };

  let stopping = false;
  const stop = o.stop?.then(() => {
    stopping = true;
  });
  let wake = () => {};
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  try {
    await registry.connect();
    await discover();
    if (onlyArchive !== undefined && served.size === 0) {
      logger.warn(`queue work: nothing submitted for ${onlyArchive} yet; waiting for a submit`);
    }
    // Discovery of new archives, the drain check (a stalled job that ran out of attempts fails
    // in another worker's stalled check, with no event here), and --exit-when-drained.
    let interval = POLL_MS;
    while (!stopping) {
      await Promise.race([pause(interval), stop]);
      if (stopping) break;
      try {
        await discover();
        const state = await progress();
        if (state === "done" && o.exitWhenDrained) break;
        // Only a finishing step left, here or on another worker: a batch of workers should end
        // moments after it, not a whole poll later (the next one starts on their exit).
        interval = state === "finishing" && o.exitWhenDrained ? FINISHING_POLL_MS : POLL_MS;
      } catch (err) {
        logger.warn(`queue work: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    // Waits for the jobs in hand; an impatient kill leaves them to the stalled check elsewhere.
    await Promise.allSettled(
      [...served.values()].flatMap((s) => [s.files.close(), s.finish.close(), s.q.close()]),
    );
    registry.disconnect();
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
