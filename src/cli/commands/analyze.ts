import { access, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Command } from "commander";
import type { ConfigAnswers } from "../../analyze/config-answers.js";
import type { AnalyzeReport } from "../../analyze/report.js";
import { configFromEnv } from "../../config/env.js";
import { resolveConfig } from "../../config/schema.js";
import { ConfigError, ConversionError } from "../../errors.js";
import { ACCESS_PATTERNS, type AccessPattern } from "../../plan/chunking.js";
import { parseCompression } from "../../zarr/compression.js";
import {
  addCommonOptions,
  type CommonFlags,
  encodingFlagsToConfig,
  fileConfig,
} from "../common.js";
import type { CliContext } from "../context.js";

export function analyzeCommand(ctx: CliContext): Command {
  const cmd = new Command("analyze")
    .description(
      "report a NetCDF file's dimensions, variables and sizes, and the chunking, packing and compression to store it with",
    )
    .argument(
      "<input>",
      "NetCDF-3 or NetCDF-4/HDF5 file: a path, s3://bucket/key or an http(s):// URL",
    )
    .option("--json", "print the report as JSON")
    .option(
      "--test-performance",
      "estimate the chunks (and MB) read for a time series and for a map with each recommendation",
    )
    .option(
      "--run-tests",
      "convert a sample with each recommendation into a scratch archive and time real reads",
    )
    .option(
      "--interactive",
      "answer a few questions and get a config file (printed; written where you say)",
    )
    .option("--sample-mb <n>", "largest part of a variable --run-tests converts (default 256)")
    .option(
      "--scratch <location>",
      "where --run-tests writes its scratch archives and removes them: a directory or s3://bucket/prefix (default: the temp dir)",
    )
    .option("--time-dim <name>", "the time dimension (default: detected from CF attributes)")
    .option("--group <path>", "NetCDF-4 group to read instead of the root group")
    .option("--target-chunk-size-mb <n>", "chunk size the recommendations aim at (default 50)")
    .option(
      "--compression <spec>",
      "codec to compare the alternatives with and to write --run-tests archives with (default blosc:zstd:3)",
    );
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  zarrify analyze era5.nc
  zarrify analyze era5.nc --test-performance --json > report.json
  zarrify analyze era5.nc --run-tests --sample-mb 100
  zarrify analyze era5.nc --run-tests --scratch s3://my-bucket/tmp   # read times from S3
  zarrify analyze era5.nc --interactive > zarrify.yaml`,
  );
  cmd.action(async (input: string, flags: CommonFlags & Record<string, unknown>) => {
    const logger = ctx.logger(flags.verbose);
    const config = resolveConfig({
      cli: encodingFlagsToConfig(flags),
      env: configFromEnv(process.env),
      file: await fileConfig(flags),
    });
    const { analyzeFile } = await import("../../ops/analyze.js");
    const { formatAnalyzeReport } = await import("../../analyze/text.js");
    const report = await analyzeFile(input, {
      ...config,
      testPerformance: flags.testPerformance === true,
      runTests: flags.runTests === true,
      sampleMb: positive("--sample-mb", flags.sampleMb),
      scratchDir: typeof flags.scratch === "string" ? flags.scratch : undefined,
      logger,
    });
    const text = flags.json ? JSON.stringify(report, null, 2) : formatAnalyzeReport(report);
    if (!flags.interactive) {
      ctx.out(text);
      return;
    }
    // stdout carries only the config, so `--interactive > zarrify.yaml` works.
    process.stderr.write(`${text}\n\n`);
    const asker = lineAsker(process.stdin, process.stderr);
    try {
      const yaml = await interview(report, asker);
      ctx.out(yaml.trimEnd());
    } finally {
      asker.close();
    }
  });
  return cmd;
}

function positive(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new ConfigError(`${flag}: expected a positive number, got '${value}'`, {
      hint: `give ${flag} a number greater than 0`,
    });
  }
  return n;
}

interface Asker {
  /** The trimmed answer, or `fallback` for an empty line or at the end of the input. */
  ask(question: string, fallback: string, shown?: string): Promise<string>;
  say(line: string): void;
  close(): void;
}

/**
 * Questions on `output`, answers line by line from `input`. The async iterator buffers lines, so
 * answers piped in all at once are not lost between questions; at the end of input every question
 * takes its default.
 */
function lineAsker(
  input: NodeJS.ReadableStream & { isTTY?: boolean },
  output: NodeJS.WritableStream,
): Asker {
  const rl = createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  let ended = false;
  return {
    async ask(question, fallback, shown = fallback) {
      output.write(`${question} [${shown}]: `);
      const next = ended ? undefined : await lines.next();
      if (next === undefined || next.done) {
        ended = true;
        output.write("\n");
        return fallback;
      }
      const answer = String(next.value).trim();
      // A terminal echoes what was typed; piped answers are echoed so the transcript reads right.
      if (!input.isTTY) output.write(`${answer}\n`);
      return answer === "" ? fallback : answer;
    },
    say: (line) => output.write(`${line}\n`),
    close: () => rl.close(),
  };
}

/** Ask until the answer parses; the fallback always does, so the end of input cannot loop. */
async function choose<T>(
  asker: Asker,
  question: string,
  fallback: string,
  parse: (answer: string) => T | undefined,
  help: string,
): Promise<T> {
  for (;;) {
    const value = parse(await asker.ask(question, fallback));
    if (value !== undefined) return value;
    asker.say(`  ${help}`);
  }
}

const yesNo = (a: string): boolean | undefined =>
  /^(y|yes)$/i.test(a) ? true : /^(n|no)$/i.test(a) ? false : undefined;

async function interview(report: AnalyzeReport, asker: Asker): Promise<string> {
  const { configYaml, defaultAnswers } = await import("../../analyze/config-answers.js");
  const d = defaultAnswers(report);
  const answers: ConfigAnswers = { ...d };
  answers.accessPattern = await choose(
    asker,
    "Access pattern: temporal (long time series), spatial (maps) or balanced",
    d.accessPattern,
    (a) => (ACCESS_PATTERNS.includes(a as AccessPattern) ? (a as AccessPattern) : undefined),
    "answer temporal, spatial or balanced",
  );
  answers.targetChunkSizeMb = await choose(
    asker,
    "Target chunk size in MB",
    String(d.targetChunkSizeMb),
    (a) => (Number.isFinite(Number(a)) && Number(a) > 0 ? Number(a) : undefined),
    "answer a number of MB greater than 0, e.g. 50",
  );
  answers.compression = await choose(
    asker,
    "Compression",
    d.compression,
    (a) => {
      try {
        parseCompression(a);
        return a;
      } catch {
        return undefined;
      }
    },
    "e.g. blosc:zstd:3, blosc:lz4, zstd:3, gzip:5 or none",
  );
  const packable = report.packing.filter((p) => p.options.length > 0);
  if (packable.length > 0) {
    const names = packable.map((p) => p.variable);
    const shown = names.length > 6 ? `${names.slice(0, 6).join(", ")}, …` : names.join(", ");
    const pack = await choose(
      asker,
      `Pack float variables (${shown}) as scaled integers (lossy, see the steps above)? y/n`,
      "n",
      yesNo,
      "answer y or n",
    );
    if (pack) {
      const bits = await choose(
        asker,
        "Bits per packed value: 8 or 16",
        "16",
        (a) => (a === "8" ? 8 : a === "16" ? 16 : undefined),
        "answer 8 or 16",
      );
      const fromData = packable.some(
        (p) => p.rangeSource === "data" || p.rangeSource === "data-sample",
      );
      const fixRanges = fromData
        ? await choose(
            asker,
            "Fix the ranges found in this file as manual_ranges (advised when later files are written into the same archive)? y/n",
            "y",
            yesNo,
            "answer y or n",
          )
        : false;
      answers.packing = { bits, fixRanges };
    }
  }
  answers.zarrFormat = await choose(
    asker,
    "Zarr format: 2 or 3",
    String(d.zarrFormat),
    (a) => (a === "2" ? 2 : a === "3" ? 3 : undefined),
    "answer 2 or 3",
  );
  const yaml = configYaml(report, answers);
  const path = await asker.ask("Write the config to a file (empty: only print it)", "", "none");
  if (path !== "") {
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    const replace =
      !exists ||
      (await choose(asker, `${path} exists; replace it? y/n`, "n", yesNo, "answer y or n"));
    if (replace) {
      try {
        await writeFile(path, yaml);
      } catch (err) {
        throw new ConversionError(`cannot write ${path}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      asker.say(`wrote ${path}`);
    } else {
      asker.say(`left ${path} as it was`);
    }
  }
  return yaml;
}
