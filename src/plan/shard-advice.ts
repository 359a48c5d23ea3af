/**
 * The shard shape intelligent chunking proposes for a chunk shape (`shards: auto`, and the
 * shards column of `analyze`). Pure: dims, shape, item size, time dimension, access pattern and
 * the (inner) chunks in, a shard shape and what it costs out.
 *
 *   proposeShards(req): ShardProposal      shards undefined: stay unsharded
 *
 * The inner chunks are the read unit, already shaped for the access pattern; the shard is the
 * store's unit, so it is sized for the store and for memory, not for reads:
 *
 * - size: grown in whole chunks to the shard nearest SHARD_TARGET_MB uncompressed (nearest by
 *   ratio, so between about 181 and 362 MiB whenever the array has room), never above
 *   SHARD_MAX_MB. The engine holds a whole shard uncompressed per task, and a convert measured
 *   about 2.4–3.6× the shard per worker in peak RSS (docs/analyze.md, "Shards"): 256 MiB keeps two
 *   workers under 2 GiB, 1 GiB shards took 3.4 GiB with one. Compressed, 256 MiB of float data is
 *   the tens to low hundreds of MB per object that object stores handle best.
 * - order: the dimensions other than time first, innermost first, then time. Archives are filled
 *   in time slabs (a file is some steps of whole maps), and a writer that covers part of a shard
 *   rewrites all of it: a shard wider in space but no longer in time than its inner chunks is
 *   shared by the same writers as its chunks, so it costs region writes nothing, while each step
 *   along time multiplies what a one-step file re-reads and re-puts. A map read also touches one
 *   shard index instead of several. The pattern shows in the chunks grown from: spatial chunks
 *   are already near-whole maps, so their shards grow along time; temporal chunks are small in
 *   space, so theirs grow across it first; balanced ones both.
 * - a shard of one chunk is no shard (it only adds an index), so an array of one chunk, or whose
 *   chunks are already near the target, stays unsharded.
 *
 * Sizes are of the shard's cells inside the array (an edge shard, or a dimension shorter than its
 * chunks, holds less): that is what a task holds in memory.
 */
import type { AccessPattern } from "./chunking.js";

/** Uncompressed MiB a proposed shard aims at. */
export const SHARD_TARGET_MB = 256;
/** Uncompressed MiB no proposed shard exceeds. */
export const SHARD_MAX_MB = 512;

const MIB = 1024 * 1024;

export interface ShardRequest {
  dims: readonly string[];
  shape: readonly number[];
  /** Bytes per element of the stored dtype. */
  itemSize: number;
  /** The (inner) chunks, one per dimension. */
  chunks: readonly number[];
  timeDim?: string;
  /**
   * The access pattern the chunks were chosen for. The growth order does not depend on it (see
   * the module comment); it is carried so a proposal says what it was made for.
   */
  pattern: AccessPattern;
  targetShardMb?: number;
  maxShardMb?: number;
}

export interface ShardProposal {
  /** The shard shape, a multiple of the chunks; undefined: the array stays unsharded. */
  shards: number[] | undefined;
  /** Uncompressed bytes of one full shard's cells inside the array (of one chunk, unsharded). */
  shardBytes: number;
  shardMb: number;
  /** Inner chunks per shard (1 unsharded). */
  chunksPerShard: number;
  /** Objects of the array in the store with these shards. */
  objects: number;
  /** Objects unsharded: one per chunk. */
  unshardedObjects: number;
}

function gridOf(shape: readonly number[], chunks: readonly number[]): number[] {
  return shape.map((n, d) => Math.max(1, Math.ceil(n / chunks[d])));
}

/** Bytes of a box of `counts` chunks from the array's origin, clipped at its edge. */
function boxBytes(req: ShardRequest, counts: readonly number[]): number {
  return req.shape.reduce(
    (acc, n, d) => acc * Math.min(counts[d] * req.chunks[d], Math.max(1, n)),
    req.itemSize,
  );
}

/** Dimension indices in growth order: the others innermost first, then time. */
function growthOrder(req: ShardRequest): number[] {
  const time = req.timeDim === undefined ? -1 : req.dims.indexOf(req.timeDim);
  const others = req.dims.map((_, d) => d).filter((d) => d !== time);
  others.reverse();
  return time < 0 ? others : [...others, time];
}

export function proposeShards(req: ShardRequest): ShardProposal {
  const grid = gridOf(req.shape, req.chunks);
  const unshardedObjects = req.shape.some((n) => n === 0) ? 0 : grid.reduce((a, b) => a * b, 1);
  const target = (req.targetShardMb ?? SHARD_TARGET_MB) * MIB;
  const max = (req.maxShardMb ?? SHARD_MAX_MB) * MIB;
  const counts = grid.map(() => 1);
  const distance = (bytes: number) => Math.abs(Math.log(bytes / target));
  for (const d of growthOrder(req)) {
    let best = counts[d];
    let bestBytes = boxBytes(req, counts);
    for (let k = counts[d] + 1; k <= grid[d]; k++) {
      const bytes = boxBytes(
        req,
        counts.map((c, i) => (i === d ? k : c)),
      );
      if (bytes > max || distance(bytes) >= distance(bestBytes)) break;
      best = k;
      bestBytes = bytes;
    }
    counts[d] = best;
    // A dimension is grown only once the ones before it are whole: a shard covering part of a
    // map and more steps than its chunks would be shared by more writers and save nothing.
    if (best < grid[d]) break;
  }
  const chunksPerShard = counts.reduce((a, b) => a * b, 1);
  const shardBytes = boxBytes(req, counts);
  if (chunksPerShard === 1) {
    return {
      shards: undefined,
      shardBytes,
      shardMb: shardBytes / MIB,
      chunksPerShard: 1,
      objects: unshardedObjects,
      unshardedObjects,
    };
  }
  const objects =
    unshardedObjects === 0 ? 0 : grid.reduce((a, g, d) => a * Math.ceil(g / counts[d]), 1);
  return {
    shards: counts.map((c, d) => c * req.chunks[d]),
    shardBytes,
    shardMb: shardBytes / MIB,
    chunksPerShard,
    objects,
    unshardedObjects,
  };
}
