import { Command, Option } from "commander";
import {
  addCommonOptions,
  addJsonOption,
  type CommonFlags,
  commandConfig,
  printResult,
} from "../common.js";
import type { CliContext } from "../context.js";

export function appendCommand(ctx: CliContext): Command {
  const cmd = new Command("append")
    .description("extend an archive along its time dimension with a file's new steps")
    .argument("<input>", "NetCDF file (path or URL) with the archive's variables and grid")
    .argument("<archive>", "a Zarr archive made by zarrify")
    .option("--append-dim <name>", "the dimension to extend (default time)")
    .addOption(
      new Option(
        "--on-overlap <policy>",
        "times already in the archive: skip (default), overwrite, error",
      ).choices(["skip", "overwrite", "error"]),
    )
    .option("--group <path>", "NetCDF-4 group to read instead of the root group");
  addJsonOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  zarrify append 2024.nc archive.zarr
  zarrify append late.nc archive.zarr --on-overlap overwrite`,
  );
  cmd.action(
    async (input: string, archive: string, flags: CommonFlags & Record<string, unknown>) => {
      const logger = ctx.logger(flags.verbose);
      const config = await commandConfig(flags);
      const { appendToZarr } = await import("../../ops/append.js");
      const r = await appendToZarr(input, archive, { ...config, logger, progress: flags.progress });
      printResult(
        ctx.out,
        flags,
        "append",
        r,
        `appended ${input} → ${archive}: ${r.appended} new step(s), ${r.overlapping} already there (${r.overlapPolicy}); ${r.totalSteps} steps in the archive`,
      );
    },
  );
  return cmd;
}
