/**
 * The chunking analyze proposes: one recommendation per access pattern for each group of data
 * variables sharing dimensions, shape and dtype (they would be chunked alike), and, on request,
 * how many chunks a time series and a map read then cost. The shapes come from plan/chunking.ts,
 * the rules a conversion with intelligent chunking applies.
 */
import { DTYPE_SIZE } from "../dataset/types.js";
import { ACCESS_PATTERNS, type AccessPattern, recommendAll } from "../plan/chunking.js";
import { product } from "../util/shape.js";
import type { AccessEstimate, AnalyzeVariable, ChunkAdvice, PatternAdvice } from "./report.js";
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

export function recommend(
  variables: AnalyzeVariable[],
  timeDim: string | undefined,
  targetChunkSizeMb: number,
  withEstimates: boolean,
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
