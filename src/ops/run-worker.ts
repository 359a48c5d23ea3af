/**
 * A `run` worker process: receives file paths from the orchestrator over IPC and writes each into
 * the archive with writeRegion, one at a time. A process (not a thread) per worker, so a crash or
 * a kill takes down one file's write, which the orchestrator reports and `--resume` redoes.
 */
import { basename } from "node:path";
import { Worker } from "node:worker_threads";
import type { ConfigInput } from "../config/schema.js";
import { serializeError } from "../engine/errors.js";
import { createLogger, type LogLevel } from "../log.js";
import { h5module } from "../readers/hdf5/runtime.js";
import { writeRegion } from "./region.js";
import type { WorkerMessage, WorkerReply } from "./run-protocol.js";

let archive = "";
let config: ConfigInput = {};
let level: LogLevel = "warn";

function send(reply: WorkerReply): void {
  process.send?.(reply);
}

// Instantiate the HDF5 WebAssembly module while the orchestrator is still making the template.
void h5module().catch(() => {
  // opening the first file reports it properly
});

// The orchestrator gone (killed with SIGKILL, crashed, or an embedding program that died, none of
// which stop the workers) means nobody records what this worker writes: it must stop rather than
// go on writing into the archive. The main thread can be busy encoding a region for seconds
// without turning its event loop, so a thread watches instead: once this process has been
// re-parented, its parent is gone, and it kills the process (what a killed write leaves, temp
// files and no completion marker, is what --resume and the sweep already handle).
new Worker(
  `const { workerData } = require("node:worker_threads");
   setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, "SIGKILL"); }, 200);`,
  { eval: true, workerData: process.ppid },
).unref();

let queue = Promise.resolve();
process.on("message", (message: WorkerMessage) => {
  if (message.type === "init") {
    ({ archive, config, level } = message);
    return;
  }
  if (message.type === "close") {
    queue = queue.then(() => process.disconnect());
    return;
  }
  const { id, path } = message;
  queue = queue.then(async () => {
    const logger = createLogger(level, (line) =>
      process.stderr.write(`[${basename(path)}] ${line}\n`),
    );
    try {
      const result = await writeRegion(path, archive, { ...config, logger });
      send({ type: "done", id, result });
    } catch (err) {
      send({ type: "failed", id, error: serializeError(err) });
    }
  });
});
