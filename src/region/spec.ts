/**
 * Manual regions: `--region time:0:100,lat:0:90` on the command line, or
 * `{ time: [0, 100], lat: { start: 0, stop: 90 } }` in the library (the seed's
 * `{"time": slice(0, 100), "lat": slice(None)}`; null or an empty object is the whole dimension).
 * Start/stop are archive indices, stop exclusive, as Python slices.
 */
import { ConfigError } from "../errors.js";
import { hint, message, opt } from "../hint.js";

export interface DimRange {
  start?: number;
  stop?: number;
}

export type RegionInput = string | Record<string, [number, number] | DimRange | null>;

export type RegionSpec = Record<string, DimRange>;

function index(text: string, what: string): number | undefined {
  if (text.trim() === "") return undefined;
  // Digits only: Number() would also take "0x10" and "1e2".
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ConfigError(message`${opt("region")}: ${what} '${text}' is not a whole number >= 0`, {
      hint: hint`write the region as dim:start:stop, e.g. ${opt("region", "time:0:100")}`,
    });
  }
  return n;
}

/** The form of a region, for hints: how the CLI or the library writes one. */
const FORM = hint`write the region as dim:start:stop archive indexes, e.g. ${opt("region", "time:0:100")}`;

export function parseRegion(input: RegionInput): RegionSpec {
  const out: RegionSpec = {};
  if (typeof input === "string") {
    for (const part of input.split(",").filter((p) => p.trim() !== "")) {
      const m = /^\s*([^:\s]+)\s*:([^:]*):([^:]*)$/.exec(part);
      if (!m) {
        throw new ConfigError(message`${opt("region")}: cannot read '${part}'`, {
          hint: hint`write the region as dim:start:stop[,dim:start:stop], e.g. ${opt("region", "time:0:100")}`,
        });
      }
      if (Object.hasOwn(out, m[1])) {
        throw new ConfigError(message`${opt("region")} names '${m[1]}' twice`, {
          hint: hint`give each dimension once, e.g. ${opt("region", "time:0:100,lat:0:90")}`,
        });
      }
      out[m[1]] = { start: index(m[2], "start"), stop: index(m[3], "stop") };
    }
  } else {
    for (const [dim, r] of Object.entries(input)) {
      if (r === null) out[dim] = {};
      else if (Array.isArray(r) && r.length === 2) out[dim] = { start: r[0], stop: r[1] };
      else if (typeof r === "object" && !Array.isArray(r))
        out[dim] = { start: r.start, stop: r.stop };
      else {
        // Untyped callers (JSON, plain JS) could otherwise get the whole dimension by mistake.
        throw new ConfigError(
          `region for '${dim}': ${JSON.stringify(r)} is not [start, stop], {start, stop} or null`,
          { hint: FORM },
        );
      }
    }
  }
  for (const [dim, r] of Object.entries(out)) {
    for (const v of [r.start, r.stop]) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
        throw new ConfigError(`region for '${dim}': ${v} is not a whole number >= 0`, {
          hint: FORM,
        });
      }
    }
    if (r.start !== undefined && r.stop !== undefined && r.stop <= r.start) {
      throw new ConfigError(`region for '${dim}': stop ${r.stop} is not after start ${r.start}`, {
        hint: hint`stop is excluded, as in Python slices, so it must exceed start: e.g. ${opt("region", `${dim}:${Math.min(r.start, r.stop)}:${Math.max(r.start, r.stop + 1)}`)}`,
      });
    }
  }
  return out;
}
