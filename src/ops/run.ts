/**
 * `run`: the local orchestrator of the parallel workflow. Creates the template (unless the
 * archive exists and --resume continues it), then writes every input into its region, all files
 * planned together on `jobs` worker threads of this one process (ops/write-files.ts), with a
 * progress bar and a summary. Failed files are reported, not retried: their errors (off-grid
 * times, other grids) would fail again; `--resume` re-runs exactly the files without a completion
 * marker, which each file gets as soon as its last chunk is stored.
 */
import { onInterrupt } from "../cleanup.js";
import { type ConfigInput, resolveConfig, type ZarrifyConfig } from "../config/schema.js";
import { ConfigError, type ZarrifyError } from "../errors.js";
import { hint, message, opt, verb } from "../hint.js";
import { type Logger, libraryLogger } from "../log.js";
import { inputIdentity, sameIdentity } from "../readers/identity.js";
import { readMarker, readTemplateInfo } from "../region/state.js";
import type { Store } from "../zarr/store/types.js";
import { archiveExists, archiveLocation, archiveStore } from "./archive-store.js";
import { collectInputs, inputKey, type Shard, totalSize } from "./inputs.js";
import { createTemplateForInputs } from "./inputs-template.js";
import { type ResolvedShard, resolveShard } from "./job-array.js";
import { splitOptions } from "./options.js";
import { sweepArchiveTemps, sweepOwnTemps } from "./sweep.js";
import { writeFiles } from "./write-files.js";

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
  /**
   * This task's part of the inputs: "i/n", or "auto" / "auto/N" from a SLURM job array's or a
   * Kubernetes Indexed Job's environment (ops/job-array.ts).
   */
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
  /** The shard this run took, when sharded. */
  shard?: Shard;
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

async function prepareArchive(
  run: RunParallelOptions,
  config: ConfigInput,
  resolved: ZarrifyConfig,
  files: string[],
  logger: Logger,
): Promise<boolean> {
  const archive = archiveLocation(run.output);
  const exists = await archiveExists(archive);
  if (exists && run.resume && !run.overwrite) {
    const info = await readTemplateInfo(archiveStore(archive, { objectStores: true }), archive);
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
  await createTemplateForInputs({
    archive,
    files,
    template: run.template,
    globalStart: run.globalStart,
    globalEnd: run.globalEnd,
    freq: run.freq,
    overwrite: run.overwrite,
    config,
    resolved,
    logger,
    verb: "run",
  });
  return true;
}

/** A marker of `file` that names the version there now: size and mtime, or a URL's ETag. */
async function alreadyWritten(store: Store, file: string): Promise<boolean> {
  const marker = await readMarker(store, file);
  if (!marker) return false;
  try {
    return sameIdentity(marker, await inputIdentity(file));
  } catch {
    return false;
  }
}

export async function runParallel(all: RunParallelOptions & ConfigInput): Promise<RunResult> {
  const { own: run, config: configInput } = splitOptions(all, RUN_KEYS);
  const config = resolveConfig({ cli: configInput });
  const logger = run.logger ?? libraryLogger;
  const started = performance.now();
  const shard: ResolvedShard | undefined =
    typeof run.shard === "string" ? resolveShard(run.shard, process.env) : run.shard;
  const files = (
    await collectInputs({ patterns: run.inputs, filesFrom: run.filesFrom, shard })
  ).map(inputKey);
  if (files.length === 0 && !shard) {
    throw new ConfigError("run: no input files given", {
      hint: hint`pass files, glob patterns or ${opt("filesFrom")}`,
    });
  }
  const archive = archiveLocation(run.output);
  logger.info(
    `run: ${files.length} file(s)${shard ? ` (shard ${shard.index}/${shard.count}${shard.from ? `, from ${shard.from}` : ""})` : ""} → ${run.output}`,
  );
  const templateCreated = await prepareArchive(run, configInput, config, files, logger);

  const store = archiveStore(archive, { objectStores: true });
  await sweepArchiveTemps(store, logger, "run");
  const todo: string[] = [];
  let skipped = 0;
  for (const f of files) {
    if (run.resume && (await alreadyWritten(store, f))) skipped++;
    else todo.push(f);
  }
  if (skipped > 0) logger.info(`run: skipping ${skipped} file(s) already written`);

  const totalBytes = await totalSize(todo);
  const failed: FailedFile[] = [];
  // Interrupted, the engine's threads are stopped first (cleanups run newest first) and then the
  // temp files of their unfinished puts removed: the archive stays, and no sweep rule would
  // remove them until the next run.
  const forget = onInterrupt(() => sweepOwnTemps(store, logger, "run"));
  const written = await writeFiles(
    todo.map((path) => ({ path })),
    archive,
    {
      config,
      store,
      logger,
      progress: run.progress,
      internal: { verb: "run" },
      onFailed(input, err) {
        const message = err instanceof Error ? err.message : String(err);
        failed.push({ input, error: message, hint: (err as ZarrifyError).hint });
        logger.error(`run: ${input}: ${message}`);
      },
    },
  ).then((r) => {
    // Not on a failure: an interrupted write fails before the cleanups reach the sweep.
    forget();
    return r;
  });
  // Every write of this run is over (the engine's threads are stopped, also after a fallback).
  await sweepOwnTemps(store, logger, "run");
  const steps = written.results.reduce((n, r) => n + r.steps, 0);
  const seconds = (performance.now() - started) / 1000;
  logger.info(
    `run: ${written.results.length} written, ${failed.length} failed, ${skipped} skipped in ${seconds.toFixed(1)} s`,
  );
  return {
    archive: run.output,
    templateCreated,
    files: files.length,
    written: written.results.length,
    skipped,
    failed,
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
    steps,
    bytesIn: totalBytes,
    seconds,
    workers: written.workers,
  };
}
