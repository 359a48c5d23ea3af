/**
 * Rewriting part of a shard: the merge step of a writer that shares a shard with others.
 *
 *   patchShard(meta, current, copies): Uint8Array
 *       `current`: the shard as stored (undefined: not there yet); `copies`: boxes of cells to
 *       write, each from a source array into the shard (shard coordinates). Only the inner chunks
 *       the boxes touch are decoded, patched and re-encoded; every other inner chunk keeps its
 *       stored bytes. A shard of a hundred inner chunks that ten writers share is then encoded
 *       about once in all, not ten times over, which is what keeps filling sharded archives near
 *       the speed of unsharded ones.
 */
import type { DataArray } from "../dataset/types.js";
import { ConversionError, ZarrifyError } from "../errors.js";
import { cIndices } from "../util/shape.js";
import { type ArrayMeta, storedChunk } from "./metadata.js";
import { copyBox, product } from "./nd.js";
import { pipelineFor, shardingOf } from "./pipeline/pipeline.js";
import { decodeInner, encodeInner, innerGrid, joinShard, splitShard } from "./pipeline/sharding.js";

export interface BoxCopy {
  src: DataArray;
  srcShape: readonly number[];
  srcStart: readonly number[];
  /** Where the box starts in the shard. */
  dstStart: readonly number[];
  count: readonly number[];
}

export function patchShard(
  meta: ArrayMeta,
  current: Uint8Array | undefined,
  copies: readonly BoxCopy[],
): Uint8Array {
  try {
    return patch(meta, current, copies);
  } catch (err) {
    if (err instanceof ZarrifyError) throw err;
    throw new ConversionError(`Array ${meta.path}: ${(err as Error).message}`, { cause: err });
  }
}

function patch(
  meta: ArrayMeta,
  current: Uint8Array | undefined,
  copies: readonly BoxCopy[],
): Uint8Array {
  const config = shardingOf(pipelineFor(meta));
  if (!config) throw new Error(`Array ${meta.path} is not sharded`);
  const inner = config.innerShape;
  const grid = innerGrid(config, storedChunk(meta));
  const n = product(grid);
  const parts = current ? splitShard(config, current, n) : new Array<undefined>(n).fill(undefined);
  let k = 0;
  for (const pos of cIndices(grid)) {
    const origin = pos.map((i, d) => i * inner[d]);
    let cells: DataArray | undefined;
    for (const c of copies) {
      // The part of this copy's box inside inner chunk `pos`, if any.
      const lo = c.dstStart.map((s, d) => Math.max(s, origin[d]));
      const hi = c.dstStart.map((s, d) => Math.min(s + c.count[d], origin[d] + inner[d]));
      if (lo.some((l, d) => l >= hi[d])) continue;
      cells ??= decodeInner(config, parts[k]);
      copyBox(
        c.src,
        c.srcShape,
        lo.map((l, d) => c.srcStart[d] + l - c.dstStart[d]),
        cells,
        inner,
        lo.map((l, d) => l - origin[d]),
        lo.map((l, d) => hi[d] - l),
      );
    }
    if (cells !== undefined) parts[k] = encodeInner(config, cells);
    k++;
  }
  return joinShard(config, parts);
}
