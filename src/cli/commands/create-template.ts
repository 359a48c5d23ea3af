import { Command } from "commander";
import {
  addArchiveOptions,
  addCommonOptions,
  addJsonOption,
  type CommonFlags,
  commandConfig,
  printResult,
} from "../common.js";
import type { CliContext } from "../context.js";

export function createTemplateCommand(ctx: CliContext): Command {
  const cmd = new Command("create-template")
    .description(
      "create an archive covering a whole time range from a template file, ready for write-region",
    )
    .argument("<template>", "a NetCDF file with the variables and grid of every input")
    .argument("<output>", "path of the Zarr archive to create")
    .requiredOption("--global-start <date>", "first time step, e.g. 2020-01-01 or 2020-01-01T06:00")
    .requiredOption("--global-end <date>", "last time step (included when on the grid)")
    .option(
      "--freq <freq>",
      "time step: 15min, 1H, 6H, 1D, 1W, MS (month starts), YS... (default: the template's)",
    )
    .option("--compute", "also write the template file's own data into its region")
    .option("--overwrite", "replace the output archive if it exists");
  addArchiveOptions(cmd);
  addJsonOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  zarrify create-template template.nc archive.zarr --global-start 2020-01-01 --global-end 2023-12-31
  zarrify create-template template.nc archive.zarr --global-start 2020-01-01 --global-end 2023-12-31 \\
      --freq 6H --intelligent-chunking --access-pattern temporal
Then fill it, in as many processes as you like:
  zarrify write-region data_2020.nc archive.zarr`,
  );
  cmd.action(
    async (template: string, output: string, flags: CommonFlags & Record<string, unknown>) => {
      const logger = ctx.logger(flags.verbose);
      const config = await commandConfig(flags);
      const { createTemplate } = await import("../../ops/template.js");
      const result = await createTemplate({
        ...config,
        templateDataset: template,
        outputPath: output,
        globalStart: String(flags.globalStart),
        globalEnd: String(flags.globalEnd),
        freq: flags.freq as string | undefined,
        compute: flags.compute === true,
        overwrite: flags.overwrite === true,
        logger,
        progress: flags.progress,
      });
      printResult(
        ctx.out,
        flags,
        "create-template",
        { template, ...result },
        `created template ${output}: ${result.steps} steps of ${result.freq} from ${result.start} to ${result.end}; ${result.regionArrays.length} variables to fill (${result.regionArrays.join(", ")})`,
      );
    },
  );
  return cmd;
}
