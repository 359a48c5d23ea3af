/**
 * Worker-thread entry: opens the store once and the inputs as tasks need them, then serves tasks
 * until told to close. One h5wasm instance per worker is what lets two cores decode at once.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openStore } from "../zarr/store/open.js";
import { serializeError } from "./errors.js";
import { InputCache } from "./inputs.js";
import type { EngineJob, WorkerReply, WorkerRequest } from "./job.js";
import { writeTask } from "./write-task.js";

const port = parentPort;
if (!port) throw new Error("engine/worker.js must run as a worker thread");

const job = workerData as EngineJob;
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
  queue = queue.then(async () => {
    try {
      const result = await writeTask(task, job.arrays, job.inputs, files, store);
      reply({ type: "done", id, ...result });
    } catch (err) {
      reply({ type: "error", id, error: serializeError(err) });
    }
  });
});
reply({ type: "ready" });
