import { Command } from "commander";
import { configFromEnv } from "../../config/load.js";
import { resolveConfig } from "../../config/schema.js";
import { convertToZarr } from "../../ops/convert.js";
import {
  addChunkingAdviceOptions,
  addCommonOptions,
  addEncodingOptions,
  addPackingOptions,
  type CommonFlags,
  encodingFlagsToConfig,
  fileConfig,
} from "../common.js";
import type { CliContext } from "../context.js";

export function convertCommand(ctx: CliContext): Command {
  const cmd = new Command("convert")
    .description("convert a NetCDF file into a new Zarr archive")
    .argument("<input>", "NetCDF-3 or NetCDF-4/HDF5 file")
    .argument("<output>", "path of the Zarr archive to create (a directory)")
    .option("--overwrite", "replace the output archive if it exists");
  addEncodingOptions(cmd);
  addPackingOptions(cmd);
  addChunkingAdviceOptions(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  zarrify convert era5.nc era5.zarr
  zarrify convert era5.nc era5.zarr --zarr-format 2 --chunking time:24,latitude:180 --compression blosc:zstd:3
  zarrify convert model.nc out.zarr --variables tas,pr --attrs '{"project": "demo"}'`,
  );
  cmd.action(
    async (input: string, output: string, flags: CommonFlags & Record<string, unknown>) => {
      const logger = ctx.logger(flags.verbose);
      const config = resolveConfig({
        cli: encodingFlagsToConfig(flags),
        env: configFromEnv(process.env),
        file: await fileConfig(flags),
      });
      const result = await convertToZarr(input, output, {
        ...config,
        overwrite: flags.overwrite === true,
        logger,
        progress: flags.progress,
      });
      ctx.out(
        `converted ${input} → ${output}: ${result.variables.length} variables, ${result.chunks} chunks, ${(result.bytesWritten / 2 ** 20).toFixed(1)} MiB written in ${result.seconds.toFixed(2)} s`,
      );
    },
  );
  return cmd;
}
