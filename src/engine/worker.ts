/**
 * Worker-thread entry: waits for its job (it may have been started before the job existed,
 * engine/pool.ts prestartWorkers), opens the store once and the inputs as tasks need them, then
 * serves tasks until told to close. Variables the job describes detached are read without h5wasm;
 * a worker that needs a Dataset of NetCDF-4/HDF5 starts an h5wasm instance of its own (one per
 * worker is what lets two cores decode at once). Each reply carries the worker's start-up
 * diagnostics.
 */
import { parentPort, threadId } from "node:worker_threads";
import { h5wasmInstances } from "../readers/hdf5/runtime.js";
import { openStore } from "../zarr/store/open.js";
import type { Store } from "../zarr/store/types.js";
import { serializeError } from "./errors.js";
import { InputCache } from "./inputs.js";
import type { EngineJob, WorkerReply, WorkerRequest, WorkerStats } from "./job.js";
import { writeTask } from "./write-task.js";

const port = parentPort;
if (!port) throw new Error("engine/worker.js must run as a worker thread");

/** When this thread could first take a task (performance.timeOrigin + now, ms). */
const loadedAt = performance.timeOrigin + performance.now();
const reply = (message: WorkerReply) => port.postMessage(message);

interface Serving {
  job: EngineJob;
  store: Store;
  files: InputCache;
  /** Milliseconds since the job started, on the clock both threads share. */
  since: () => number;
  readyMs: number;
}

let serving: Serving | undefined;

function serve(job: EngineJob): Serving {
  const since = () =>
    job.startedAt === undefined
      ? performance.now()
      : performance.timeOrigin + performance.now() - job.startedAt;
  const readyMs =
    job.startedAt === undefined ? performance.now() : Math.max(0, loadedAt - job.startedAt);
  return { job, store: openStore(job.store), files: new InputCache(job.inputs), since, readyMs };
}

// Tasks are processed one at a time, in order; the pool never sends more than it can bound.
let queue = Promise.resolve();
port.on("message", (message: WorkerRequest) => {
  if (message.type === "job") {
    serving = serve(message.job);
    return;
  }
  const s = serving;
  if (!s) throw new Error("engine worker: a task came before its job");
  if (message.type === "close") {
    queue = queue.then(async () => {
      await s.files.close();
      port.close();
    });
    return;
  }
  const { id, task } = message;
  // Sparse: the cache reads refs from this same array, by index.
  for (const [i, ref] of message.inputs) s.job.inputs[i] = ref;
  queue = queue.then(async () => {
    try {
      const result = await writeTask(task, s.job.arrays, s.job.inputs, s.files, s.store);
      reply({ type: "done", id, ...result, worker: stats(s) });
    } catch (err) {
      reply({ type: "error", id, error: serializeError(err) });
    }
  });
});
let tasks = 0;
const stats = (s: Serving): WorkerStats => ({
  threadId,
  h5wasmInstances: h5wasmInstances(),
  readyMs: s.readyMs,
  doneMs: s.since(),
  tasks: ++tasks,
});
