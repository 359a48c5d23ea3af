/**
 * `run`: the local orchestrator of the parallel workflow. Creates the template (unless the
 * archive exists and --resume continues it), then writes every input with write-region in `jobs`
 * worker processes, with a progress bar and a summary. Failed files are reported, not retried:
 * their errors (off-grid times, other grids) would fail again; `--resume` re-runs exactly the
 * files without a completion marker.
 */
import { type ChildProcess, fork } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { onInterrupt } from "../cleanup.js";
import { type ConfigInput, resolveConfig, type ZarrifyConfig } from "../config/schema.js";
import { deserializeError } from "../engine/errors.js";
import { progressFor } from "../engine/progress.js";
import { ConfigError, type ZarrifyError } from "../errors.js";
import { hint, message, opt, verb } from "../hint.js";
import { localPath } from "../location.js";
import { type Logger, libraryLogger } from "../log.js";
import { readMarker, readTemplateInfo } from "../region/state.js";
import type { Store } from "../zarr/store/types.js";
import { archiveStore } from "./archive-store.js";
import { inferStepFromInputs } from "./infer-step.js";
import { collectInputs, fileSize, parseShard, type Shard } from "./inputs.js";
import { splitOptions } from "./options.js";
import type { RegionWriteResult } from "./region.js";
import type { WorkerMessage, WorkerReply } from "./run-protocol.js";
import { sweepArchiveTemps } from "./sweep.js";
import { createTemplate } from "./template.js";

export interface RunParallelOptions {
  /** Paths and glob patterns. */
  inputs: readonly string[];
  output: string;
  /** Template file; default: the first input. */
  template?: string;
  globalStart?: string;
  globalEnd?: string;
  freq?: string;
  filesFrom?: string;
  shard?: string | Shard;
  /** Continue an existing archive, skipping files already written. */
  resume?: boolean;
  /** Replace an existing archive with a new template. */
  overwrite?: boolean;
  logger?: Logger;
  progress?: boolean;
}

export interface FailedFile {
  input: string;
  error: string;
  hint?: string;
}

export interface RunResult {
  archive: string;
  templateCreated: boolean;
  files: number;
  written: number;
  skipped: number;
  failed: FailedFile[];
  steps: number;
  /** Size of the input files written, in bytes. */
  bytesIn: number;
  seconds: number;
  workers: number;
}

const RUN_KEYS = [
  "inputs",
  "output",
  "template",
  "globalStart",
  "globalEnd",
  "freq",
  "filesFrom",
  "shard",
  "resume",
  "overwrite",
  "logger",
  "progress",
] as const;

function workerEntry(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  // Under the test runner this module runs from TypeScript; the child then needs tsx's loader.
  // Node flags given to zarrify (e.g. --max-old-space-size) apply to the workers too. Workers
  // collect garbage on their own thread: with several per core, V8's helper GC threads only
  // compete with the other workers (measured: 8 % faster with 2 workers on 2 cores).
  if (here.endsWith(".ts")) {
    return { url: new URL("./run-worker.ts", here), execArgv: ["--import", "tsx"] };
  }
  return {
    url: new URL("./run-worker.js", here),
    execArgv: [...process.execArgv, "--single-threaded-gc"],
  };
}

async function prepareArchive(
  run: RunParallelOptions,
  config: ConfigInput,
  resolved: ZarrifyConfig,
  files: string[],
  logger: Logger,
): Promise<boolean> {
  const archive = localPath(run.output, "archive");
  const exists = existsSync(archive);
  if (exists && run.resume && !run.overwrite) {
    const info = await readTemplateInfo(archiveStore(archive), archive);
    if (!info) {
      throw new ConfigError(`${run.output} exists but is not a zarrify template`, {
        hint: hint`run fills archives made by ${verb("create-template")}; choose a new output path`,
      });
    }
    logger.info(`run: resuming ${run.output} (${info.steps} steps, ${info.start} .. ${info.end})`);
    return false;
  }
  if (exists && !run.overwrite) {
    throw new ConfigError(`${run.output} already exists`, {
      hint: hint`pass ${opt("resume", true)} to continue filling it, or ${opt("overwrite", true)} to start again`,
    });
  }
  if (run.shard !== undefined) {
    throw new ConfigError(
      message`${opt("shard")} needs an existing template: ${run.output} does not exist`,
      {
        hint: hint`create it once with ${verb("create-template")}, then start the shards with ${opt("resume", true)}`,
      },
    );
  }
  if (run.globalStart === undefined || run.globalEnd === undefined) {
    throw new ConfigError(
      message`${verb("run")} needs ${opt("globalStart")} and ${opt("globalEnd")} to create the template`,
      {
        hint: hint`or create the template with ${verb("create-template")} and pass ${opt("resume", true)}`,
      },
    );
  }
  const template = run.template ?? files[0];
  const freq =
    run.freq ?? (await inferStepFromInputs([...new Set([resolve(template), ...files])], resolved));
  if (run.freq === undefined) logger.info(`run: step ${freq}, from the times of the inputs`);
  await createTemplate({
    ...config,
    templateDataset: template,
    outputPath: archive,
    globalStart: run.globalStart,
    globalEnd: run.globalEnd,
    freq,
    overwrite: run.overwrite,
    logger,
  });
  return true;
}

/** Workers get this long to die of SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 2000;

/** Stops every worker still running and resolves once all have exited. */
function stopWorkers(live: Set<ChildProcess>): Promise<void> {
  const exits = [...live].map(
    (child) =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS).unref();
      }),
  );
  return Promise.all(exits).then(() => {});
}

async function alreadyWritten(store: Store, file: string): Promise<boolean> {
  const marker = await readMarker(store, file);
  if (!marker) return false;
  try {
    const st = statSync(file);
    return st.size === marker.size && st.mtimeMs === marker.mtimeMs;
  } catch {
    return false;
  }
}

export async function runParallel(all: RunParallelOptions & ConfigInput): Promise<RunResult> {
  const { own: run, config: configInput } = splitOptions(all, RUN_KEYS);
  const config = resolveConfig({ cli: configInput });
  const logger = run.logger ?? libraryLogger;
  const started = performance.now();
  const shard = typeof run.shard === "string" ? parseShard(run.shard) : run.shard;
  const files = collectInputs({ patterns: run.inputs, filesFrom: run.filesFrom, shard }).map((f) =>
    resolve(f),
  );
  if (files.length === 0 && !shard) {
    throw new ConfigError("run: no input files given", {
      hint: hint`pass files, glob patterns or ${opt("filesFrom")}`,
    });
  }
  const archive = localPath(run.output, "archive");
  logger.info(
    `run: ${files.length} file(s)${shard ? ` (shard ${shard.index}/${shard.count})` : ""} → ${run.output}`,
  );
  // Workers start now: Node, zarrify's modules and the HDF5 WebAssembly instance load (about a
  // second each) while the template is being made, not after it.
  const { url, execArgv } = workerEntry();
  const live = new Set<ChildProcess>();
  const spawnWorker = (): ChildProcess => {
    const child = fork(url, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    live.add(child);
    child.on("exit", () => live.delete(child));
    return child;
  };
  // A SIGTERM sent to this process alone (a batch scheduler, `kill PID`) does not reach the
  // workers as Ctrl-C's SIGINT to the whole process group does: the CLI's interrupt handler stops
  // them before it exits, so none goes on writing into the archive behind the user's back.
  let stopping = false;
  const forgetWorkers = onInterrupt(() => {
    stopping = true;
    return stopWorkers(live);
  });
  const early = Array.from({ length: Math.min(config.jobs, files.length) }, spawnWorker);
  let templateCreated: boolean;
  try {
    templateCreated = await prepareArchive(run, configInput, config, files, logger);
  } catch (err) {
    for (const child of early) child.kill();
    forgetWorkers();
    throw err;
  }

  const store = archiveStore(archive);
  await sweepArchiveTemps(store, logger, "run");
  const todo: string[] = [];
  let skipped = 0;
  for (const f of files) {
    if (run.resume && (await alreadyWritten(store, f))) skipped++;
    else todo.push(f);
  }
  if (skipped > 0) logger.info(`run: skipping ${skipped} file(s) already written`);

  const sizes = todo.map(fileSize);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const reporter = progressFor(run.progress, "run", "files");
  const failed: FailedFile[] = [];
  let written = 0;
  let steps = 0;
  let doneBytes = 0;
  let done = 0;
  const report = () =>
    reporter.update?.({ doneBytes, totalBytes, doneTasks: done, totalTasks: todo.length });
  report();

  const workers = Math.max(0, Math.min(config.jobs, todo.length));
  for (const child of early.splice(workers)) child.kill();
  let next = 0;
  const onResult = (id: number, result?: RegionWriteResult, error?: ZarrifyError | Error) => {
    done++;
    doneBytes += sizes[id];
    if (result) {
      written++;
      steps += result.steps;
    } else if (error) {
      failed.push({ input: todo[id], error: error.message, hint: (error as ZarrifyError).hint });
      logger.error(`run: ${todo[id]}: ${error.message}`);
    }
    report();
  };

  const runWorker = (started?: ChildProcess) =>
    new Promise<void>((resolveWorker) => {
      let current: number | undefined;
      const child = started ?? spawnWorker();
      const send = (m: WorkerMessage) => child.send(m);
      const feed = () => {
        if (next < todo.length) {
          current = next++;
          send({ type: "file", id: current, path: todo[current] });
        } else {
          current = undefined;
          send({ type: "close" });
        }
      };
      child.on("message", (reply: WorkerReply) => {
        if (reply.type === "done") onResult(reply.id, reply.result);
        else onResult(reply.id, undefined, deserializeError(reply.error));
        feed();
      });
      child.on("exit", (code, signal) => {
        if (stopping) return resolveWorker(); // interrupted: the file is redone by --resume
        if (current !== undefined) {
          onResult(
            current,
            undefined,
            new Error(
              `worker process died (${signal ?? `exit code ${code}`}) while writing this file`,
            ),
          );
          current = undefined;
          // Keep the remaining files moving on a fresh process.
          if (next < todo.length) {
            void runWorker().then(resolveWorker);
            return;
          }
        }
        resolveWorker();
      });
      send({ type: "init", archive, config: configInput, level: logger.level });
      feed();
    });

  try {
    await Promise.all(early.map((child) => runWorker(child)));
  } finally {
    forgetWorkers();
    reporter.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  logger.info(
    `run: ${written} written, ${failed.length} failed, ${skipped} skipped in ${seconds.toFixed(1)} s`,
  );
  return {
    archive: run.output,
    templateCreated,
    files: files.length,
    written,
    skipped,
    failed,
    steps,
    bytesIn: totalBytes,
    seconds,
    workers,
  };
}
