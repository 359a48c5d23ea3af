/**
 * Shard shapes from the `shards` setting (`--shards time:720`): per array, per dimension.
 *
 *   shardsFor(array, shards): number[] | undefined      undefined: the array stays unsharded
 *   withShards(plan, shards, auto?): WritePlan           every array of the plan
 *
 * `shards: "auto"` takes, per array, the shape plan/shard-advice.ts proposes for the chunks the
 * plan already has (so it comes last, after chunking and packing have fixed chunks and dtype);
 * `auto` then says which access pattern and time dimension those chunks were chosen for.
 *
 * Rules, so that one setting fits the data variables and their coordinates alike:
 * - a dimension the setting names gets that length, which must hold whole chunks (a multiple of
 *   the array's chunk length there), unless one chunk already spans the dimension (a coordinate
 *   chunked whole), which stays one chunk;
 * - a dimension left out is one shard along it (its whole length, in whole chunks);
 * - an array with none of the named dimensions, or whose shard would be one chunk, is not
 *   sharded: a shard of one chunk only adds an index.
 */

import { DTYPE_SIZE } from "../dataset/types.js";
import { ConfigError } from "../errors.js";
import { hint, opt } from "../hint.js";
import type { AccessPattern } from "./chunking.js";
import { proposeShards } from "./shard-advice.js";
import type { ArrayPlan, WritePlan } from "./write-plan.js";

type Shards = Readonly<Record<string, number>>;

/** What `shards: "auto"` needs besides the plan. */
export interface AutoShards {
  pattern: AccessPattern;
  timeDim?: string;
}

export function shardsFor(
  array: Pick<ArrayPlan, "name" | "dims" | "shape" | "chunks">,
  shards: Shards,
): number[] | undefined {
  const { dims, shape, chunks } = array;
  if (!dims.some((d) => d in shards)) return undefined;
  const out = dims.map((dim, d) => {
    const chunk = chunks[d];
    const whole = Math.max(1, Math.ceil(shape[d] / chunk)) * chunk;
    if (!(dim in shards) || chunk >= shape[d]) return whole;
    const n = shards[dim];
    if (n % chunk !== 0) {
      // The multiples on either side of what was asked (never below one chunk).
      const lower = Math.max(chunk, Math.floor(n / chunk) * chunk);
      const upper = lower + chunk;
      throw new ConfigError(
        `shards: ${dim}:${n} does not hold whole chunks of ${array.name}, whose chunks along ${dim} are ${chunk} long`,
        {
          hint: hint`choose a multiple of the chunk length, e.g. ${opt("shards", { [dim]: upper })} or ${opt("shards", { [dim]: lower })}`,
        },
      );
    }
    return n;
  });
  return out.every((n, d) => n === chunks[d]) ? undefined : out;
}

/** The proposal of plan/shard-advice.ts for one array's chunks. */
export function autoShardsFor(
  array: Pick<ArrayPlan, "dims" | "shape" | "chunks" | "dtype">,
  auto: AutoShards,
): number[] | undefined {
  if (array.dims.length === 0) return undefined;
  return proposeShards({
    dims: array.dims,
    shape: array.shape,
    itemSize: DTYPE_SIZE[array.dtype],
    chunks: array.chunks,
    timeDim: auto.timeDim,
    pattern: auto.pattern,
  }).shards;
}

export function withShards(
  plan: WritePlan,
  shards: Shards | "auto" | undefined,
  auto: AutoShards = { pattern: "balanced" },
): WritePlan {
  if (!shards || (shards !== "auto" && Object.keys(shards).length === 0)) return plan;
  if (plan.zarrFormat !== 3) {
    const what = shards === "auto" ? "shards: auto needs" : "shards need";
    throw new ConfigError(`${what} Zarr v3 (Zarr v2 has no sharding)`, {
      hint: hint`add ${opt("zarrFormat", 3)}, or leave out ${opt("shards")}`,
    });
  }
  const arrays = plan.arrays.map((a) => {
    const s = shards === "auto" ? autoShardsFor(a, auto) : shardsFor(a, shards);
    return s ? { ...a, shards: s } : a;
  });
  return { ...plan, arrays };
}
