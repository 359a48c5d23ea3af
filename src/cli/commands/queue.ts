import { Command } from "commander";
import { onInterrupt } from "../../cleanup.js";
import { ConfigError } from "../../errors.js";
import { QUEUE_ENV } from "../../queue/env.js";
import {
  addArchiveOptions,
  addCommonOptions,
  addJsonOption,
  addMissingCheckOptions,
  type CommonFlags,
  commandConfig,
  encodingFlagsToConfig,
  printResult,
} from "../common.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../report-error.js";

type Flags = CommonFlags & Record<string, unknown>;

const QUEUE_HELP = `Redis URL, redis://HOST:PORT/DB (default: $${QUEUE_ENV})`;

function wholeFlag(flag: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new ConfigError(`${flag}: expected a whole number >= ${min}, got '${value}'`, {
      hint: `give ${flag} a whole number of at least ${min}`,
    });
  }
  return n;
}

function submitCommand(ctx: CliContext): Command {
  const cmd = new Command("submit")
    .description("create the template if the archive does not exist, then queue one job per file")
    .argument(
      "<paths...>",
      "input files (paths, s3:// or http(s):// URLs) or quoted glob patterns (local or s3://), then the archive",
    )
    .option("--queue <url>", QUEUE_HELP)
    .option("--files-from <file>", "read more inputs from a file, one path or URL per line")
    .option(
      "--template <file>",
      "template file when the archive is created (default: the first input)",
    )
    .option("--global-start <date>", "first time step, when the archive is created")
    .option("--global-end <date>", "last time step, when the archive is created")
    .option("--freq <freq>", "time step (default: inferred from the times of all inputs)")
    .option("--attempts <n>", "attempts per file before it lands in the failed list (default 3)")
    .option("--backoff <ms>", "delay before the first retry, doubling each time (default 2000)");
  addArchiveOptions(cmd, "unused by submit (workers write one file per job)");
  addMissingCheckOptions(cmd);
  addJsonOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Re-submitting files already queued (waiting, done or failed) adds nothing; retry-failed re-runs
failures.

Examples:
  zarrify queue submit 'data/*.nc' archive.zarr --queue redis://redis:6379/0 \\
      --global-start 2020-01-01 --global-end 2023-12-31
  zarrify queue submit --files-from new-files.txt archive.zarr    # with ZARRIFY_QUEUE set`,
  );
  cmd.action(async (paths: string[], flags: Flags) => {
    const logger = ctx.logger(flags.verbose);
    const config = await commandConfig(flags);
    const archive = paths[paths.length - 1];
    const { submitFiles } = await import("../../queue/submit.js");
    const result = await submitFiles({
      inputs: paths.slice(0, -1),
      archive,
      queue: flags.queue as string | undefined,
      filesFrom: flags.filesFrom as string | undefined,
      template: flags.template as string | undefined,
      globalStart: flags.globalStart as string | undefined,
      globalEnd: flags.globalEnd as string | undefined,
      freq: flags.freq as string | undefined,
      attempts: wholeFlag("--attempts", flags.attempts, 1),
      backoffMs: wholeFlag("--backoff", flags.backoff, 0),
      config,
      configInput: { ...config, ...encodingFlagsToConfig(flags) },
      logger,
    });
    printResult(
      ctx.out,
      flags,
      "queue submit",
      result,
      `queued ${result.added} new job(s) for ${archive} (${result.alreadyQueued} of ${result.files} files were already queued)${result.templateCreated ? "; created the template" : ""}`,
    );
  });
  return cmd;
}

function workCommand(ctx: CliContext): Command {
  const cmd = new Command("work")
    .description("write queued files into their archives (run on as many machines as you like)")
    .argument(
      "[archive]",
      "serve this archive only (default: every archive submitted to the queue)",
    )
    .option("--queue <url>", QUEUE_HELP)
    .option(
      "--concurrency <n>",
      "files written at once by this worker, each on its own thread (default 1)",
    )
    .option(
      "--lock-duration <ms>",
      "a job whose worker stops renewing its lock this long is run again by another worker (default 30000)",
    )
    .option("--exit-when-drained", "stop once nothing is left to do (default: wait for more)");
  addJsonOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Stops on SIGINT/SIGTERM after the jobs in hand (within 10 s; jobs cut short are run again by
another worker once their lock expires).

Examples:
  zarrify queue work --queue redis://redis:6379/0 --concurrency 4
  ZARRIFY_QUEUE=redis://redis:6379/0 zarrify queue work archive.zarr --exit-when-drained`,
  );
  cmd.action(async (archive: string | undefined, flags: Flags) => {
    const logger = ctx.logger(flags.verbose);
    let stop: () => void = () => {};
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    let done: Promise<unknown> = Promise.resolve();
    const unregister = onInterrupt(async () => {
      stop();
      await done;
    });
    const { runWorkers } = await import("../../queue/work.js");
    try {
      done = runWorkers({
        queue: flags.queue as string | undefined,
        archive,
        concurrency: wholeFlag("--concurrency", flags.concurrency, 1),
        lockDurationMs: wholeFlag("--lock-duration", flags.lockDuration, 1000),
        exitWhenDrained: flags.exitWhenDrained === true,
        logger,
        stop: stopped,
      });
      const result = (await done) as Awaited<ReturnType<typeof runWorkers>>;
      printResult(
        ctx.out,
        flags,
        "queue work",
        result,
        `queue work: ${result.completed} file(s) written, ${result.failed} failed, ${result.finished} finishing step(s) in ${result.seconds.toFixed(1)} s`,
      );
    } finally {
      unregister();
    }
  });
  return cmd;
}

function statusCommand(ctx: CliContext): Command {
  const cmd = new Command("status")
    .description(
      "an archive's queue: waiting, active, done, failed (with reasons), throughput, ETA",
    )
    .argument("<archive>", "the archive files were submitted for")
    .option("--queue <url>", QUEUE_HELP)
    .option("--json", "print the status as JSON");
  addCommonOptions(cmd);
  cmd.action(async (archive: string, flags: Flags) => {
    ctx.logger(flags.verbose);
    const { formatQueueStatus, queueStatus } = await import("../../queue/status.js");
    const s = await queueStatus(archive, flags.queue as string | undefined);
    ctx.out(flags.json === true ? JSON.stringify(s, null, 2) : formatQueueStatus(s));
  });
  return cmd;
}

function retryCommand(ctx: CliContext): Command {
  const cmd = new Command("retry-failed")
    .description("put an archive's failed jobs back in its queue, attempts reset")
    .argument("<archive>", "the archive files were submitted for")
    .option("--queue <url>", QUEUE_HELP);
  addJsonOption(cmd);
  addCommonOptions(cmd);
  cmd.action(async (archive: string, flags: Flags) => {
    ctx.logger(flags.verbose);
    const { retryFailed } = await import("../../queue/status.js");
    const r = await retryFailed(archive, flags.queue as string | undefined);
    printResult(
      ctx.out,
      flags,
      "queue retry-failed",
      r,
      `re-queued ${r.retried} failed job(s) for ${archive}`,
    );
  });
  return cmd;
}

export function queueCommand(ctx: CliContext): Command {
  const cmd = new Command("queue").description(
    "fill an archive from a shared Redis queue (BullMQ): submit files, run workers anywhere, watch",
  );
  for (const sub of [submitCommand(ctx), workCommand(ctx), statusCommand(ctx), retryCommand(ctx)]) {
    sub.exitOverride();
    cmd.addCommand(sub);
  }
  cmd.addHelpText(
    "after",
    `
See docs/queue.md. Exit codes as for the other verbs; ${EXIT.failure} when Redis cannot be reached.`,
  );
  return cmd;
}
