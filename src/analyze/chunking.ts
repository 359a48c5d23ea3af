/**
 * The chunking analyze proposes: one recommendation per access pattern for each group of data
 * variables sharing dimensions, shape and dtype (they would be chunked alike), the shards
 * `shards: auto` would lay over those chunks (Zarr v3), and, on request, how many chunks (and
 * shards) a time series and a map read then cost. The shapes come from plan/chunking.ts and
 * plan/shard-advice.ts, the rules a conversion with intelligent chunking applies.
 */
import { DTYPE_SIZE } from "../dataset/types.js";
import { ACCESS_PATTERNS, type AccessPattern, recommendAll } from "../plan/chunking.js";
import { proposeShards } from "../plan/shard-advice.js";
import { product } from "../util/shape.js";
import type {
  AccessEstimate,
  AnalyzeVariable,
  ChunkAdvice,
  PatternAdvice,
  ShardAdvice,
} from "./report.js";
import { byDim, isNumeric, MIB } from "./sizes.js";

/** Chunk reads for one series at one point along `timeIndex`, and for one map at one time. */
export function estimateAccess(
  shape: readonly number[],
  chunks: readonly number[],
  timeIndex: number,
  chunkBytes: number,
): { timeSeries: AccessEstimate | null; map: AccessEstimate } {
  const along = (d: number) => Math.ceil(shape[d] / chunks[d]);
  const est = (n: number): AccessEstimate => ({ chunks: n, mb: (n * chunkBytes) / MIB });
  const mapChunks = product(shape.map((_, d) => (d === timeIndex ? 1 : along(d))));
  return {
    timeSeries: timeIndex < 0 ? null : est(along(timeIndex)),
    map: est(shape.some((n) => n === 0) ? 0 : mapChunks),
  };
}

/** The shards `shards: auto` would lay over these chunks, and what reads then touch. */
export function adviseShards(
  dims: readonly string[],
  shape: readonly number[],
  itemSize: number,
  chunks: readonly number[],
  timeDim: string | undefined,
  pattern: AccessPattern,
  withEstimates: boolean,
): ShardAdvice {
  const p = proposeShards({ dims, shape, itemSize, chunks, timeDim, pattern });
  const advice: ShardAdvice = {
    shards: p.shards ? byDim(dims, p.shards) : null,
    shardBytes: p.shardBytes,
    shardMb: p.shardMb,
    chunksPerShard: p.chunksPerShard,
    totalShards: p.objects,
  };
  if (withEstimates) {
    const timeIndex = timeDim === undefined ? -1 : dims.indexOf(timeDim);
    const e = estimateAccess(shape, p.shards ?? chunks, timeIndex, 0);
    advice.estimate = { timeSeries: e.timeSeries?.chunks ?? null, map: e.map.chunks };
  }
  return advice;
}

export function recommend(
  variables: AnalyzeVariable[],
  timeDim: string | undefined,
  targetChunkSizeMb: number,
  withEstimates: boolean,
  zarrFormat: 2 | 3 = 3,
): ChunkAdvice[] {
  const groups = new Map<string, AnalyzeVariable[]>();
  for (const v of variables) {
    if (v.role !== "data" || v.dims.length === 0 || !isNumeric(v.dtype)) continue;
    const key = `${v.dims.join(",")}|${v.shape.join(",")}|${v.dtype}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  const advice: ChunkAdvice[] = [];
  for (const members of groups.values()) {
    const { dims, shape, dtype } = members[0];
    const timeIndex = timeDim === undefined ? -1 : dims.indexOf(timeDim);
    const recs = recommendAll({
      dims,
      shape,
      itemSize: DTYPE_SIZE[dtype],
      timeDim,
      targetChunkSizeMb,
    });
    const patterns = {} as Record<AccessPattern, PatternAdvice>;
    for (const p of ACCESS_PATTERNS) {
      const r = recs[p];
      patterns[p] = {
        chunks: byDim(dims, r.chunks),
        chunkBytes: r.chunkBytes,
        chunkMb: r.chunkMb,
        totalChunks: shape.some((n) => n === 0)
          ? 0
          : product(shape.map((n, d) => Math.ceil(n / r.chunks[d]))),
        warnings: r.warnings,
        ...(withEstimates
          ? { estimate: estimateAccess(shape, r.chunks, timeIndex, r.chunkBytes) }
          : {}),
        ...(zarrFormat === 3
          ? {
              sharding: adviseShards(
                dims,
                shape,
                DTYPE_SIZE[dtype],
                r.chunks,
                timeIndex < 0 ? undefined : timeDim,
                p,
                withEstimates,
              ),
            }
          : {}),
      };
    }
    advice.push({
      variables: members.map((m) => m.name),
      dims,
      shape,
      dtype,
      timeDim: timeIndex < 0 ? null : (timeDim ?? null),
      patterns,
    });
  }
  const size = (a: ChunkAdvice) => product(a.shape) * DTYPE_SIZE[a.dtype] * a.variables.length;
  return advice.sort((a, b) => size(b) - size(a));
}
