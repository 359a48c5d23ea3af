/**
 * Worker-thread entry: opens the store once and the inputs as tasks need them, then serves tasks
 * until told to close. Variables the job describes detached are read without h5wasm; a worker
 * that needs a Dataset of NetCDF-4/HDF5 starts an h5wasm instance of its own (one per worker is
 * what lets two cores decode at once). Each reply carries the worker's start-up diagnostics.
 */
import { parentPort, threadId, workerData } from "node:worker_threads";
import { h5wasmInstances } from "../readers/hdf5/runtime.js";
import { openStore } from "../zarr/store/open.js";
import { serializeError } from "./errors.js";
import { InputCache } from "./inputs.js";
import type { EngineJob, WorkerReply, WorkerRequest, WorkerStats } from "./job.js";
import { writeTask } from "./write-task.js";

const port = parentPort;
if (!port) throw new Error("engine/worker.js must run as a worker thread");

const job = workerData as EngineJob;
/** Milliseconds since the job started, on the clock both threads share. */
const sinceStart = () =>
  job.startedAt === undefined
    ? performance.now()
    : performance.timeOrigin + performance.now() - job.startedAt;
const reply = (message: WorkerReply) => port.postMessage(message);
const store = openStore(job.store);
const files = new InputCache(job.inputs);

// Tasks are processed one at a time, in order; the pool never sends more than it can bound.
let queue = Promise.resolve();
port.on("message", (message: WorkerRequest) => {
  if (message.type === "close") {
    queue = queue.then(async () => {
      await files.close();
      port.close();
    });
    return;
  }
  const { id, task } = message;
  // Sparse: the cache reads refs from this same array, by index.
  for (const [i, ref] of message.inputs) job.inputs[i] = ref;
  queue = queue.then(async () => {
    try {
      const result = await writeTask(task, job.arrays, job.inputs, files, store);
      reply({ type: "done", id, ...result, worker: stats() });
    } catch (err) {
      reply({ type: "error", id, error: serializeError(err) });
    }
  });
});
const readyMs = sinceStart();
let tasks = 0;
const stats = (): WorkerStats => ({
  threadId,
  h5wasmInstances: h5wasmInstances(),
  readyMs,
  doneMs: sinceStart(),
  tasks: ++tasks,
});
reply({ type: "ready" });
