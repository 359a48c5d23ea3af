/**
 * `queue submit`: the template when the archive does not exist yet, then one job per input file.
 * A job's id is a hash of the archive and the file's absolute path, so submitting the same files
 * again adds nothing (whatever state their jobs are in: waiting, done or failed — retry-failed is
 * what re-runs failures).
 */
import type { ConfigInput, ZarrifyConfig } from "../config/schema.js";
import { ConfigError } from "../errors.js";
import { hint, message, opt, verb } from "../hint.js";
import { type Logger, libraryLogger } from "../log.js";
import { archiveExists, archiveStore } from "../ops/archive-store.js";
import { collectInputs, inputKey } from "../ops/inputs.js";
import { createTemplateForInputs } from "../ops/inputs-template.js";
import { readTemplateInfo } from "../region/state.js";
import { ArchiveQueue, type FileJobData } from "./archive-queue.js";
import { probe, queueServer } from "./connection.js";
import { archiveLocation, FILE_JOB, fileJobId } from "./names.js";

export interface SubmitOptions {
  inputs: readonly string[];
  archive: string;
  /** redis://… ; default ZARRIFY_QUEUE. */
  queue?: string;
  filesFrom?: string;
  /** Template file when the archive is created; default the first input. */
  template?: string;
  globalStart?: string;
  globalEnd?: string;
  freq?: string;
  /** Attempts per file before it lands in the failed set (default 3). */
  attempts?: number;
  /** First retry delay in ms, doubling each attempt (default 2000). */
  backoffMs?: number;
  /** The resolved configuration: encoding for a new template, write-time keys for the jobs. */
  config: ZarrifyConfig;
  /** The configuration as given (what createTemplate takes). */
  configInput?: ConfigInput;
  logger?: Logger;
}

export interface SubmitResult {
  archive: string;
  queue: string;
  server: string;
  templateCreated: boolean;
  files: number;
  added: number;
  alreadyQueued: number;
  generation: number;
}

/** The configuration keys a write needs (the template fixed everything else). */
function writeConfig(config: ZarrifyConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    retriesOnMissing: config.retriesOnMissing,
    missingCheckVars: config.missingCheckVars,
    packing: { rangeExceededAction: config.packing.rangeExceededAction },
  };
  if (config.group !== undefined) out.group = config.group;
  return out;
}

async function ensureTemplate(o: SubmitOptions, archive: string, files: string[], logger: Logger) {
  if (await archiveExists(archive)) {
    const info = await readTemplateInfo(archiveStore(archive, { objectStores: true }), archive);
    if (!info) {
      throw new ConfigError(`${o.archive} exists but is not a zarrify template`, {
        hint: hint`queue workers fill archives made by ${verb("create-template")}; choose a new archive path`,
      });
    }
    logger.info(
      `queue submit: ${o.archive} exists (${info.steps} steps, ${info.start} .. ${info.end})`,
    );
    return false;
  }
  if (o.globalStart === undefined || o.globalEnd === undefined) {
    throw new ConfigError(
      message`${o.archive} does not exist: queue submit needs ${opt("globalStart")} and ${opt("globalEnd")} to create the template`,
      { hint: hint`or create it first with ${verb("create-template")}` },
    );
  }
  await createTemplateForInputs({
    archive,
    files,
    template: o.template,
    globalStart: o.globalStart,
    globalEnd: o.globalEnd,
    freq: o.freq,
    config: o.configInput ?? o.config,
    resolved: o.config,
    logger,
    verb: "queue submit",
  });
  logger.info(`queue submit: created the template ${o.archive}`);
  return true;
}

export async function submitFiles(o: SubmitOptions): Promise<SubmitResult> {
  const logger = o.logger ?? libraryLogger;
  const server = queueServer(o.queue);
  const archive = archiveLocation(o.archive);
  const attempts = o.attempts ?? 3;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new ConfigError(`--attempts: expected a whole number >= 1, got ${o.attempts}`);
  }
  const files = (await collectInputs({ patterns: o.inputs, filesFrom: o.filesFrom })).map(inputKey);
  if (files.length === 0) {
    throw new ConfigError("queue submit: no input files given", {
      hint: hint`pass files, glob patterns or ${opt("filesFrom")}`,
    });
  }
  // Before anything is created: a template without its queue would only confuse.
  await probe(server);
  const templateCreated = await ensureTemplate(o, archive, files, logger);

  const q = new ArchiveQueue(server, archive);
  try {
    await q.register();
    const ids = files.map((f) => fileJobId(archive, f));
    const states: string[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      states.push(
        ...(await Promise.all(ids.slice(i, i + 500).map((id) => q.files.getJobState(id)))),
      );
    }
    const fresh = files.filter((_, i) => states[i] === "unknown");
    const config = writeConfig(o.config);
    const opts = {
      attempts,
      backoff: { type: "exponential", delay: o.backoffMs ?? 2000 },
      removeOnComplete: false,
      removeOnFail: false,
    };
    for (let i = 0; i < fresh.length; i += 500) {
      await q.files.addBulk(
        fresh.slice(i, i + 500).map((file) => ({
          name: FILE_JOB,
          data: { archive, file, config } satisfies FileJobData,
          opts: { ...opts, jobId: fileJobId(archive, file) },
        })),
      );
    }
    // After the jobs are in: the finishing step of this generation waits for them.
    let generation = await q.generation();
    if (fresh.length > 0) {
      generation = await q.bumpGeneration();
      await q.finishIfDrained();
    }
    logger.info(
      `queue submit: ${fresh.length} new job(s), ${files.length - fresh.length} already queued, on ${server.display} (${q.name})`,
    );
    return {
      archive,
      queue: q.name,
      server: server.display,
      templateCreated,
      files: files.length,
      added: fresh.length,
      alreadyQueued: files.length - fresh.length,
      generation,
    };
  } finally {
    await q.close();
  }
}
