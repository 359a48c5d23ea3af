import { Command, Option } from "commander";
import {
  addCommonOptions,
  addJsonOption,
  addMissingCheckOptions,
  type CommonFlags,
  commandConfig,
  printResult,
} from "../common.js";
import type { CliContext } from "../context.js";

export function writeRegionCommand(ctx: CliContext): Command {
  const cmd = new Command("write-region")
    .description(
      "write one NetCDF file into its place in a template archive (safe to run many at once)",
    )
    .argument("<input>", "NetCDF file (path or URL) whose times lie on the archive's time grid")
    .argument("<archive>", "a Zarr archive made by zarrify create-template")
    .option(
      "--region <spec>",
      "place the file by hand: dim:start:stop[,...] in archive indices, e.g. time:0:100",
    )
    .option("--group <path>", "NetCDF-4 group to read instead of the root group")
    .addOption(
      new Option(
        "--packing-range-exceeded-action <action>",
        "values outside a packed archive's range: warn and clip (default), error (write nothing), ignore",
      ).choices(["warn", "error", "ignore"]),
    );
  addMissingCheckOptions(cmd);
  addJsonOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
The region is found from the file's time values (any units or reference date); chunks shared
with a neighbouring file are merged safely, so files need not align with chunk boundaries.

Examples:
  zarrify write-region data_2020.nc archive.zarr
  zarrify write-region data.nc archive.zarr --region time:0:100
  zarrify write-region data.nc archive.zarr --retries-on-missing 3 --missing-check-vars t2m`,
  );
  cmd.action(
    async (input: string, archive: string, flags: CommonFlags & Record<string, unknown>) => {
      const logger = ctx.logger(flags.verbose);
      const config = await commandConfig(flags);
      const { writeRegion } = await import("../../ops/region.js");
      const result = await writeRegion(input, archive, {
        ...config,
        region: flags.region as string | undefined,
        logger,
        progress: flags.progress,
      });
      printResult(
        ctx.out,
        flags,
        "write-region",
        result,
        `wrote ${input} → ${archive}: ${result.steps} steps (${result.first} .. ${result.last}), ${result.chunks} chunks (${result.mergedChunks} shared) in ${result.seconds.toFixed(2)} s`,
      );
    },
  );
  return cmd;
}
