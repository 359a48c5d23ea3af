/**
 * Runs engine tasks on worker threads, one task in flight per worker, so memory stays bounded
 * whatever the input size.
 *
 * A worker thread spends 0.1–0.2 s starting (Node's bootstrap of a thread, then its bundled
 * modules) before it can take a task. `prestartWorkers` lets a verb start them while the main
 * thread is still opening the input and planning (which leaves the other cores idle); a job then
 * takes those spares first. Small jobs that run inline meanwhile (a template's coordinates) leave
 * them be. Spares are unref'd, so a verb that fails before its job, or needs no threads after
 * all, still exits as soon as it is done; in a process that lives on (the library in a server),
 * spares no job took within SPARE_IDLE_MS stop.
 */
import type { Worker } from "node:worker_threads";
import { onInterrupt } from "../cleanup.js";
import { ConversionError } from "../errors.js";
import { packageWorker } from "../package-files.js";
import { deserializeError } from "./errors.js";
import type {
  EngineJob,
  EngineTask,
  InputRef,
  TaskResult,
  WorkerReply,
  WorkerRequest,
} from "./job.js";

export type TaskDone = (task: EngineTask, result: TaskResult) => void;

function spawnWorker(): Worker {
  return packageWorker("engine/worker");
}

/** How long a spare waits for a job before it stops. */
export const SPARE_IDLE_MS = 30_000;

interface Spare {
  worker: Worker;
  /** Detaches the spare's own listeners once a job takes it. */
  release: () => void;
}

const spares: Spare[] = [];

/** Starts worker threads up to `count` spares, for the next job to take within `idleMs`. */
export function prestartWorkers(count: number, idleMs = SPARE_IDLE_MS): void {
  while (spares.length < count) {
    const worker = spawnWorker();
    worker.unref();
    // A spare that fails to start, or exits, is simply not there to take: the job spawns anew.
    const gone = () => {
      const i = spares.findIndex((s) => s.worker === worker);
      if (i >= 0) spares.splice(i, 1);
    };
    const idle = setTimeout(() => {
      gone();
      void worker.terminate();
    }, idleMs);
    idle.unref();
    worker.on("error", gone);
    worker.on("exit", gone);
    spares.push({
      worker,
      release: () => {
        clearTimeout(idle);
        worker.off("error", gone);
        worker.off("exit", gone);
        worker.ref();
      },
    });
  }
}

/** Spares started and not yet taken or dropped (for tests and diagnostics). */
export function spareCount(): number {
  return spares.length;
}

/** Stops the spares no job took: the job they were started for ran on fewer threads. */
export function dropSpares(): void {
  for (const { worker, release } of spares.splice(0)) {
    release();
    void worker.terminate();
  }
}

function takeWorker(): Worker {
  const spare = spares.shift();
  if (!spare) return spawnWorker();
  spare.release();
  return spare.worker;
}

function inputsOf(job: EngineJob, task: EngineTask): [number, InputRef][] {
  const used = new Set(task.pieces.map((p) => p.input));
  return [...used].map((i) => [i, job.inputs[i]]);
}

export async function runOnWorkers(
  job: EngineJob,
  tasks: readonly EngineTask[],
  workers: number,
  onDone: TaskDone,
): Promise<void> {
  if (tasks.length === 0) return;
  const count = Math.max(1, Math.min(workers, tasks.length));
  const pool: Worker[] = [];
  const exits: Promise<unknown>[] = [];
  let next = 0;
  let finished = 0;
  let failed = false;
  // Interrupted, the workers stop before anything removes the directory they write into.
  const forget = onInterrupt(() => Promise.all(pool.map((w) => w.terminate())).then(() => {}));
  // Without the inputs: each task brings those it reads (inputsOf).
  const shared: EngineJob = { ...job, inputs: [] };

  const done = new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(err);
    };
    const send = (worker: Worker, message: WorkerRequest) => worker.postMessage(message);
    const feed = (worker: Worker) => {
      if (failed) return;
      if (next < tasks.length) {
        const id = next++;
        send(worker, { type: "task", id, task: tasks[id], inputs: inputsOf(job, tasks[id]) });
      } else {
        send(worker, { type: "close" });
      }
    };
    for (let i = 0; i < count; i++) {
      const worker = takeWorker();
      pool.push(worker);
      exits.push(new Promise((r) => worker.once("exit", r)));
      worker.on("message", (m: WorkerReply) => {
        if (m.type === "done") {
          onDone(tasks[m.id], m);
          finished++;
          // Always feed: once the tasks run out, this tells the worker to close.
          feed(worker);
          if (finished === tasks.length) resolve();
        } else fail(deserializeError(m.error));
      });
      worker.on("error", (err) => fail(new ConversionError(`worker crashed: ${err.message}`)));
      worker.on("exit", (code) => {
        if (code !== 0 && finished < tasks.length) {
          fail(new ConversionError(`worker exited with code ${code} before finishing`));
        }
      });
      // The port queues these until the worker's modules are loaded and it listens.
      send(worker, { type: "job", job: shared });
      feed(worker);
    }
  });
  // The job took what it needed; the rest were started for nothing.
  dropSpares();
  try {
    await done;
    // Workers close their input files on "close"; wait so the caller can commit the output safely.
    await Promise.all(exits);
  } finally {
    forget();
  }
}
