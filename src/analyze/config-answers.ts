/**
 * `analyze --interactive`: the config file the user's answers amount to, starting from what the
 * report suggests. The file is checked to load and resolve before it is written, so a generated
 * config is never one that zarrify itself would refuse.
 */
import { stringify } from "yaml";
import { parseConfigText } from "../config/file.js";
import { resolveConfig } from "../config/schema.js";
import type { AccessPattern } from "../plan/chunking.js";
import type { PackBits } from "../plan/packing.js";
import type { AnalyzeReport } from "./report.js";

export interface ConfigAnswers {
  accessPattern: AccessPattern;
  targetChunkSizeMb: number;
  compression: string;
  /** false: no packing. */
  packing: false | { bits: PackBits; fixRanges: boolean };
  zarrFormat: 2 | 3;
  /** `shards: auto` (plan/shard-advice.ts) in the config; only written for Zarr v3. */
  shards: boolean;
}

/** What --interactive offers before the user changes anything. */
export function defaultAnswers(r: AnalyzeReport): ConfigAnswers {
  return {
    accessPattern: "balanced",
    targetChunkSizeMb: r.targetChunkSizeMb,
    compression: r.compression.suggested,
    packing: false,
    zarrFormat: 3,
    shards: true,
  };
}

/** Round min down and max up to about 4 significant digits of the range: readable, still covering. */
function roundOutward(min: number, max: number): { min: number; max: number } {
  const span = max - min;
  if (!(span > 0)) return { min, max };
  const q = 10 ** (Math.floor(Math.log10(span)) - 3);
  const lo = Number((Math.floor(min / q) * q).toPrecision(12));
  const hi = Number((Math.ceil(max / q) * q).toPrecision(12));
  return lo <= min && hi >= max && lo < hi ? { min: lo, max: hi } : { min, max };
}

/** The config file (snake_case keys, as in docs/configuration.md) for these answers. */
export function configFromAnswers(r: AnalyzeReport, a: ConfigAnswers): Record<string, unknown> {
  const config: Record<string, unknown> = {
    intelligent_chunking: true,
    access_pattern: a.accessPattern,
    target_chunk_size_mb: a.targetChunkSizeMb,
    compression: a.compression,
    zarr_format: a.zarrFormat,
  };
  // Zarr v2 has no sharding: the config would not load with shards in it.
  if (a.shards && a.zarrFormat === 3) config.shards = "auto";
  if (r.time) config.time_dim = r.time.dim;
  if (r.group !== "/") config.group = r.group;
  if (a.packing) {
    const packing: Record<string, unknown> = { enabled: true, bits: a.packing.bits };
    if (a.packing.fixRanges) {
      const ranges: Record<string, { min: number; max: number }> = {};
      for (const p of r.packing) {
        const fromData = p.rangeSource === "data" || p.rangeSource === "data-sample";
        if (!fromData || !p.packedRange || p.options.length === 0) continue;
        ranges[p.variable] = roundOutward(p.packedRange.min, p.packedRange.max);
      }
      if (Object.keys(ranges).length > 0) packing.manual_ranges = ranges;
    }
    const unpackable = r.packing.filter((p) => p.options.length === 0).map((p) => p.variable);
    if (unpackable.length > 0) packing.exclude = unpackable;
    config.packing = packing;
  }
  return config;
}

/** The YAML text of the config, checked to load and resolve as a config file would. */
export function configYaml(r: AnalyzeReport, a: ConfigAnswers): string {
  const text = `# zarrify config from \`zarrify analyze ${r.file} --interactive\`\n${stringify(configFromAnswers(r, a))}`;
  resolveConfig({ file: parseConfigText(text, "generated config", "yaml") });
  return text;
}
