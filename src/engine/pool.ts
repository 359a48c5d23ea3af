/**
 * Runs engine tasks on worker threads, one task in flight per worker, so memory stays bounded
 * whatever the input size.
 */
import { Worker } from "node:worker_threads";
import { onInterrupt } from "../cleanup.js";
import { ConversionError } from "../errors.js";
import { deserializeError } from "./errors.js";
import type { EngineJob, EngineTask, InputRef, TaskResult, WorkerReply } from "./job.js";

export type TaskDone = (task: EngineTask, result: TaskResult) => void;

/**
 * Built code starts `worker.js` directly. Under the test runner the engine runs from TypeScript
 * sources, so the worker first registers tsx's loader and then imports `worker.ts`.
 */
function spawnWorker(job: EngineJob): Worker {
  const here = import.meta.url;
  // Without the inputs: each task brings those it reads (inputsOf).
  const workerData: EngineJob = { ...job, inputs: [] };
  if (!here.endsWith(".ts")) return new Worker(new URL("./worker.js", here), { workerData });
  const entry = JSON.stringify(new URL("./worker.ts", here).href);
  const bootstrap = `import("tsx/esm/api").then((m) => { m.register(); return import(${entry}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
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

  const done = new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(err);
    };
    const feed = (worker: Worker) => {
      if (failed) return;
      if (next < tasks.length) {
        const id = next++;
        worker.postMessage({ type: "task", id, task: tasks[id], inputs: inputsOf(job, tasks[id]) });
      } else {
        worker.postMessage({ type: "close" });
      }
    };
    for (let i = 0; i < count; i++) {
      const worker = spawnWorker(job);
      pool.push(worker);
      exits.push(new Promise((r) => worker.once("exit", r)));
      worker.on("message", (m: WorkerReply) => {
        if (m.type === "ready") feed(worker);
        else if (m.type === "done") {
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
    }
  });
  try {
    await done;
    // Workers close their input files on "close"; wait so the caller can commit the output safely.
    await Promise.all(exits);
  } finally {
    forget();
  }
}
