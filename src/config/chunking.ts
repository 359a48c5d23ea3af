/**
 * "dim:int,dim:int" strings, as given to --chunking and --shards (and accepted in config files and
 * ZARRIFY_CHUNKING/ZARRIFY_SHARDS). Any dimension name works, not only time/lat/lon.
 */
import { ConfigError } from "../errors.js";
import { type ConfigPath, type ConfigSource, where } from "./source.js";

/**
 * Parse "time:100,lat:50,lon:100" into {time: 100, lat: 50, lon: 100}. Whitespace around names and
 * numbers is ignored, as are empty entries ("time:10,"). A name may itself contain ':' (the last
 * one separates the length). Errors quote the offending piece.
 */
const FORM =
  'give each dimension\'s length, a whole number of at least 1, after a colon, e.g. "time:100,lat:50"';

export function parseKeyValueInts(spec: string, what = "value"): Record<string, number> {
  const out: Record<string, number> = {};
  const pieces = spec
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (pieces.length === 0) {
    throw new ConfigError(
      `${what}: expected dim:length pairs such as "time:100,lat:50", got '${spec}'`,
      { hint: FORM },
    );
  }
  for (const piece of pieces) {
    const colon = piece.lastIndexOf(":");
    if (colon < 0) {
      const hint = piece.includes("=") ? ` (write ${piece.replace("=", ":")})` : "";
      throw new ConfigError(`${what}: '${piece}' is not dim:length${hint}`, { hint: FORM });
    }
    const name = piece.slice(0, colon).trim();
    const length = piece.slice(colon + 1).trim();
    if (name === "") {
      throw new ConfigError(`${what}: '${piece}' has no dimension name`, { hint: FORM });
    }
    if (!/^\d+$/.test(length) || !Number.isSafeInteger(Number(length)) || Number(length) === 0) {
      throw new ConfigError(
        `${what}: '${piece}': the length must be a positive integer, got '${length}'`,
        { hint: FORM },
      );
    }
    if (Object.hasOwn(out, name)) {
      throw new ConfigError(`${what}: dimension '${name}' is given twice (in '${piece}')`, {
        hint: "give each dimension once",
      });
    }
    out[name] = Number(length);
  }
  return out;
}

/** --chunking "time:100,lat:50,lon:100" → {time: 100, lat: 50, lon: 100}. */
export function parseChunking(spec: string): Record<string, number> {
  return parseKeyValueInts(spec, "chunking");
}

/** --shards "time:720" → {time: 720}; "auto" stays "auto" (plan/shard-advice.ts proposes them). */
export function parseShards(spec: string): Record<string, number> | "auto" {
  if (spec.trim().toLowerCase() === "auto") return "auto";
  return parseKeyValueInts(spec, "shards");
}

/** A chunking or shards value of a config layer: a "dim:int,..." string becomes its record. */
export function lengthsFromString(value: unknown, source: ConfigSource, path: ConfigPath): unknown {
  if (typeof value !== "string") return value;
  try {
    return parseKeyValueInts(value, source.label?.(path) ?? path.join("."));
  } catch (err) {
    const e = err as ConfigError;
    throw new ConfigError(`${where(source, path)}: ${e.message}`, { hint: e.hintText });
  }
}
