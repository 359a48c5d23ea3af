/**
 * Worker-thread entry: opens the source and the store once, then serves block tasks until told to
 * close. One h5wasm instance per worker is what lets two cores decode at once.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Dataset } from "../dataset/types.js";
import { openDataset } from "../readers/index.js";
import { openStore } from "../zarr/store/open.js";
import { serializeError } from "./errors.js";
import type { EngineJob, WorkerReply, WorkerRequest } from "./job.js";
import { writeBlock } from "./write-block.js";
import { zarrSink } from "./zarr-sink.js";

const port = parentPort;
if (!port) throw new Error("engine/worker.js must run as a worker thread");

const job = workerData as EngineJob;
const reply = (message: WorkerReply) => port.postMessage(message);

let dataset: Dataset | undefined;

async function main(): Promise<void> {
  dataset = await openDataset(job.source.path, { group: job.source.group });
  const sink = zarrSink(openStore(job.store), job.plan.zarrFormat);
  const variables = new Map(dataset.variables.map((v) => [v.name, v]));
  // Tasks are processed one at a time, in order; the pool never sends more than it can bound.
  let queue = Promise.resolve();
  port?.on("message", (message: WorkerRequest) => {
    if (message.type === "close") {
      queue = queue.then(async () => {
        await dataset?.close();
        port?.close();
      });
      return;
    }
    const { id, task } = message;
    queue = queue.then(async () => {
      try {
        const array = job.plan.arrays[task.array];
        const variable = variables.get(array.source);
        if (!variable) throw new Error(`variable ${array.source} vanished from ${job.source.path}`);
        const result = await writeBlock(variable, array, task.block, sink);
        reply({ type: "done", id, ...result });
      } catch (err) {
        reply({ type: "error", id, error: serializeError(err) });
      }
    });
  });
  reply({ type: "ready" });
}

main().catch((err) => reply({ type: "error", id: null, error: serializeError(err) }));
