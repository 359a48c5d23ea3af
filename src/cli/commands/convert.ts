import { Command, Option } from "commander";
import { ConfigError } from "../../errors.js";
import {
  addArchiveOptions,
  addCommonOptions,
  addJsonOption,
  type CommonFlags,
  commandConfig,
  printResult,
} from "../common.js";
import type { CliContext } from "../context.js";

export function convertCommand(ctx: CliContext): Command {
  const cmd = new Command("convert")
    .description(
      "convert NetCDF files into a new Zarr archive (several files: concatenated along time, in time order)",
    )
    .argument(
      "<paths...>",
      "NetCDF-3 or NetCDF-4/HDF5 files (paths, s3:// or http(s):// URLs) or quoted glob patterns (local or s3://), then the archive to create",
    )
    .addOption(
      new Option(
        "--on-overlap <policy>",
        "a time in two files: skip (keep the earlier file's, default), overwrite (keep the later), error",
      ).choices(["skip", "overwrite", "error"]),
    )
    .option("--overwrite", "replace the output archive if it exists");
  addArchiveOptions(cmd);
  addJsonOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  zarrify convert era5.nc era5.zarr
  zarrify convert era5.nc era5.zarr --zarr-format 2 --chunking time:24,latitude:180 --compression blosc:zstd:3
  zarrify convert model.nc out.zarr --variables tas,pr --attrs '{"project": "demo"}'
  zarrify convert 2020.nc 2021.nc 'more/*.nc' all.zarr --on-overlap error`,
  );
  cmd.action(async (paths: string[], flags: CommonFlags & Record<string, unknown>) => {
    if (paths.length < 2) {
      throw new ConfigError("convert needs at least one input and the output archive", {
        hint: "zarrify convert INPUT.nc [MORE.nc ...] OUTPUT.zarr",
      });
    }
    const output = paths[paths.length - 1];
    const inputs = paths.slice(0, -1);
    const logger = ctx.logger(flags.verbose);
    const config = await commandConfig(flags);
    const { convertToZarr } = await import("../../ops/convert.js");
    const result = await convertToZarr(inputs, output, {
      ...config,
      overwrite: flags.overwrite === true,
      logger,
      progress: flags.progress,
    });
    printResult(
      ctx.out,
      flags,
      "convert",
      { inputs, ...result },
      `converted ${inputs.join(" ")} → ${output}: ${result.variables.length} variables, ${result.chunks} chunks, ${(result.bytesWritten / 2 ** 20).toFixed(1)} MiB written in ${result.seconds.toFixed(2)} s`,
    );
  });
  return cmd;
}
