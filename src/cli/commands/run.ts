import { Command } from "commander";
import {
  addArchiveOptions,
  addCommonOptions,
  addJsonOption,
  addMissingCheckOptions,
  type CommonFlags,
  commandConfig,
  printResult,
} from "../common.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../report-error.js";

export function runCommand(ctx: CliContext): Command {
  const cmd = new Command("run")
    .description(
      "create a template and write many files into it on parallel worker threads (resumable)",
    )
    .argument(
      "<paths...>",
      "input files (paths, s3:// or http(s):// URLs) or quoted glob patterns (local or s3://), then the output archive",
    )
    .option("--template <file>", "template file (default: the first input)")
    .option("--global-start <date>", "first time step of the archive")
    .option("--global-end <date>", "last time step of the archive")
    .option(
      "--freq <freq>",
      "time step, e.g. 1D, 6H, MS (default: inferred from the times of all inputs)",
    )
    .option("--files-from <file>", "read more inputs from a file, one path or URL per line")
    .option(
      "--shard <i/n|auto>",
      "take every n-th input starting at the i-th (0-based), for job arrays; auto: i and n from SLURM_ARRAY_TASK_*, auto/N: i from Kubernetes' JOB_COMPLETION_INDEX, n = N",
    )
    .option("--resume", "continue an existing archive, skipping files already written")
    .option("--overwrite", "replace an existing archive with a new template");
  addArchiveOptions(
    cmd,
    "worker threads writing the files together, each chunk once (default: number of CPUs)",
  );
  addMissingCheckOptions(cmd);
  addJsonOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
A file that fails does not stop the others; rerun with --resume to write only what is missing.

Examples:
  zarrify run 'data/*.nc' archive.zarr --global-start 2020-01-01 --global-end 2023-12-31 --jobs 8
  zarrify run 'data/*.nc' archive.zarr --resume                       # after an interruption
  zarrify run --files-from list.txt archive.zarr --resume --shard auto      # in sbatch --array
  zarrify run --files-from list.txt archive.zarr --resume --shard auto/16   # Indexed Job, completions: 16`,
  );
  cmd.action(async (paths: string[], flags: CommonFlags & Record<string, unknown>) => {
    const logger = ctx.logger(flags.verbose);
    const config = await commandConfig(flags);
    const output = paths[paths.length - 1];
    const { runParallel } = await import("../../ops/run.js");
    const result = await runParallel({
      ...config,
      inputs: paths.slice(0, -1),
      output,
      template: flags.template as string | undefined,
      globalStart: flags.globalStart as string | undefined,
      globalEnd: flags.globalEnd as string | undefined,
      freq: flags.freq as string | undefined,
      filesFrom: flags.filesFrom as string | undefined,
      shard: flags.shard as string | undefined,
      resume: flags.resume === true,
      overwrite: flags.overwrite === true,
      logger,
      progress: flags.progress,
    });
    const rate = result.seconds > 0 ? result.written / result.seconds : 0;
    if (result.failed.length > 0) ctx.exitCode = EXIT.failure;
    if (flags.json === true) {
      printResult(ctx.out, flags, "run", result, "");
      return;
    }
    const shard = result.shard ? ` (shard ${result.shard.index} of ${result.shard.count})` : "";
    ctx.out(
      `run ${output}${shard}: ${result.written} of ${result.files} files written (${result.steps} steps), ${result.skipped} skipped, ${result.failed.length} failed in ${result.seconds.toFixed(1)} s (${rate.toFixed(1)} files/s, ${result.workers} workers)`,
    );
    for (const f of result.failed) {
      ctx.out(`  failed: ${f.input}: ${f.error}${f.hint ? ` (hint: ${f.hint})` : ""}`);
    }
    if (result.failed.length > 0) {
      ctx.out(
        "  fix or remove the failed files, then rerun with --resume to write only what is missing",
      );
    }
  });
  return cmd;
}
