/**
 * Options every command shares, and the mapping from flags to the config schema's input. Only
 * flags the user actually gave reach the config, so a config file or ZARRIFY_* variable is not
 * overridden by a default.
 */
import { type Command, Option } from "commander";
import { parseChunking, parseShards } from "../config/chunking.js";
import { configFromEnv } from "../config/env.js";
import { type ConfigInput, resolveConfig, type ZarrifyConfig } from "../config/schema.js";
import { ConfigError } from "../errors.js";

export interface CommonFlags {
  verbose: number;
  config?: string;
  progress: boolean;
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option(
      "-v, --verbose",
      "more output: -v progress lines and timings, -vv debug and stack traces, -vvv trace",
      (_: string, previous: number) => previous + 1,
      0,
    )
    .option("--config <file>", "YAML or JSON config file (snake_case or camelCase keys)")
    .option("--no-progress", "no progress bar");
}

/** --json on the verbs that change an archive: what was done, one JSON object on stdout. */
export function addJsonOption(cmd: Command): Command {
  return cmd.option(
    "--json",
    "print what was done as one JSON object on stdout (fields: docs/cli.md)",
  );
}

/** The result of a verb: the sentence, or with --json the result object named by its command. */
export function printResult(
  out: (line: string) => void,
  flags: Record<string, unknown>,
  command: string,
  result: object,
  sentence: string,
): void {
  out(flags.json === true ? JSON.stringify({ command, ...result }) : sentence);
}

export function addEncodingOptions(
  cmd: Command,
  jobs = "worker threads (default: number of CPUs)",
): Command {
  return cmd
    .option("--chunking <spec>", 'chunk length per dimension name, e.g. "time:100,lat:50,lon:100"')
    .option(
      "--shards <spec>",
      'Zarr v3 shard length per dimension name, multiples of the chunks, e.g. "time:720" (dimensions left out: one shard along them), or "auto": the proposal for the chunks chosen (docs/analyze.md)',
    )
    .option(
      "--compression <spec>",
      "none | gzip[:level] | zlib[:level] | zstd[:level] | lz4 | blosc[:cname[:clevel[:shuffle]]] (default blosc:zstd:3)",
    )
    .option("--variables <names>", "comma-separated variables to write (plus their coordinates)")
    .option("--drop-variables <names>", "comma-separated variables to leave out")
    .option("--attrs <json>", "extra global attributes as a JSON object")
    .option("--time-dim <name>", "the time dimension (default: detected from CF attributes)")
    .addOption(new Option("--zarr-format <n>", "Zarr format version").choices(["2", "3"]))
    .option(
      "--group <path>",
      "read only this NetCDF-4 group (default: convert writes every group, other verbs the root)",
    )
    .option(
      "--target-chunk-size-mb <n>",
      "largest chunk zarrify makes on its own, in MB (default 50)",
    )
    .option("--jobs <n>", jobs);
}

/** Packing flags (convert, create-template, run); any --packing-* implies --packing. */
export function addPackingOptions(cmd: Command): Command {
  return cmd
    .option("--packing", "store float variables as scaled integers (CF scale_factor/add_offset)")
    .addOption(
      new Option("--packing-bits <n>", "integer width (default 16)").choices(["8", "16", "32"]),
    )
    .option(
      "--packing-manual-ranges <json>",
      'per-variable ranges, e.g. \'{"t2m": {"min": 180, "max": 340}}\'',
    )
    .option(
      "--packing-auto-buffer-factor <f>",
      "widening of ranges computed from the data, as a fraction (default 0.01)",
    )
    .option("--packing-exclude <names>", "comma-separated variables never packed")
    .option("--packing-check-range-exceeded", "check data against the packing range (default)")
    .option("--no-packing-check-range-exceeded", "do not check data against the packing range")
    .addOption(
      new Option(
        "--packing-range-exceeded-action <action>",
        "values outside the range are clipped; also: warn (default), error, ignore",
      ).choices(["warn", "error", "ignore"]),
    );
}

function packingFlags(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const packing: Record<string, unknown> = {
    bits: o.packingBits === undefined ? undefined : Number(o.packingBits),
    manualRanges: jsonObject("--packing-manual-ranges", o.packingManualRanges),
    autoBufferFactor:
      o.packingAutoBufferFactor === undefined ? undefined : Number(o.packingAutoBufferFactor),
    exclude: list(o.packingExclude),
    checkRangeExceeded:
      typeof o.packingCheckRangeExceeded === "boolean" ? o.packingCheckRangeExceeded : undefined,
    rangeExceededAction: o.packingRangeExceededAction,
  };
  for (const key of Object.keys(packing)) if (packing[key] === undefined) delete packing[key];
  if (o.packing !== true && Object.keys(packing).length === 0) return undefined;
  return { enabled: true, ...packing };
}

/** --intelligent-chunking / --access-pattern (convert, create-template). */
export function addChunkingAdviceOptions(cmd: Command): Command {
  return cmd
    .option(
      "--intelligent-chunking",
      "choose chunks from the archive's full dimensions and the access pattern",
    )
    .addOption(
      new Option("--access-pattern <pattern>", "what the chunks favour (default balanced)").choices(
        ["temporal", "spatial", "balanced"],
      ),
    );
}

/** The second line of defence after writing a region (write-region, run). */
export function addMissingCheckOptions(cmd: Command): Command {
  return cmd
    .option(
      "--retries-on-missing <n>",
      "read the region back after writing and rewrite it up to n times if data are missing (default 0)",
    )
    .option(
      "--missing-check-vars <names>",
      'variables to check: "all" (default), "none" or a comma-separated list',
    );
}

function list(value: unknown): string[] | undefined {
  return typeof value === "string"
    ? value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

function positiveNumber(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new ConfigError(`${flag}: expected a positive number, got '${value}'`, {
      hint: `give ${flag} a number greater than 0, e.g. ${flag} 4`,
    });
  }
  return n;
}

function wholeNumber(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ConfigError(`${flag}: expected a whole number >= 0, got '${value}'`, {
      hint: `give ${flag} a whole number such as 0 or 3`,
    });
  }
  return n;
}

function jsonObject(flag: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch (err) {
    throw new ConfigError(`${flag}: not valid JSON: ${(err as Error).message}`, {
      hint: `quote it for the shell, e.g. ${flag} '{"title": "My archive"}'`,
    });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`${flag}: expected a JSON object, got ${String(value)}`, {
      hint: `quote it for the shell, e.g. ${flag} '{"key": "value"}'`,
    });
  }
  return parsed as Record<string, unknown>;
}

/** Flags → ConfigInput, leaving out everything not given. */
export function encodingFlagsToConfig(o: Record<string, unknown>): ConfigInput {
  const cli: Record<string, unknown> = {
    chunking: typeof o.chunking === "string" ? parseChunking(o.chunking) : undefined,
    shards: typeof o.shards === "string" ? parseShards(o.shards) : undefined,
    compression: o.compression,
    variables: list(o.variables),
    dropVariables: list(o.dropVariables),
    attrs: jsonObject("--attrs", o.attrs),
    timeDim: o.timeDim,
    zarrFormat: o.zarrFormat === undefined ? undefined : Number(o.zarrFormat),
    group: o.group,
    targetChunkSizeMb: positiveNumber("--target-chunk-size-mb", o.targetChunkSizeMb),
    jobs: positiveNumber("--jobs", o.jobs),
    intelligentChunking: o.intelligentChunking === true ? true : undefined,
    packing: packingFlags(o),
    onOverlap: o.onOverlap,
    appendDim: o.appendDim,
    accessPattern: o.accessPattern,
    retriesOnMissing: wholeNumber("--retries-on-missing", o.retriesOnMissing),
    missingCheckVars:
      o.missingCheckVars === "all" || o.missingCheckVars === "none"
        ? o.missingCheckVars
        : list(o.missingCheckVars),
  };
  for (const key of Object.keys(cli)) if (cli[key] === undefined) delete cli[key];
  return cli as ConfigInput;
}

export async function fileConfig(flags: CommonFlags): Promise<ConfigInput | undefined> {
  if (!flags.config) return undefined;
  const { loadConfigFile } = await import("../config/file.js");
  return loadConfigFile(flags.config);
}

/** A command's configuration: its flags over ZARRIFY_* variables over --config over defaults. */
export async function commandConfig(
  flags: CommonFlags & Record<string, unknown>,
): Promise<ZarrifyConfig> {
  return resolveConfig({
    cli: encodingFlagsToConfig(flags),
    env: configFromEnv(process.env),
    file: await fileConfig(flags),
  });
}

/** Everything that shapes a new archive's encoding (convert, create-template, run). */
export function addArchiveOptions(cmd: Command, jobs?: string): Command {
  return addChunkingAdviceOptions(addPackingOptions(addEncodingOptions(cmd, jobs)));
}
