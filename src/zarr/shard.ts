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
 *   copyFromShard(meta, stored, box, out, outShape, outStart)
 *       copies the cells of `box` (shard coordinates) into `out`, decoding only the inner chunks
 *       the box touches: reading one step back from a 40-step shard decodes a tenth of it.
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

/** The shard cells of `box` (shard coordinates) copied into `out` at `outStart`. */
export function copyFromShard(
  meta: ArrayMeta,
  stored: Uint8Array,
  box: { start: readonly number[]; count: readonly number[] },
  out: DataArray,
  outShape: readonly number[],
  outStart: readonly number[],
): void {
  if (box.count.some((n) => n === 0)) return;
  const config = shardingOf(pipelineFor(meta));
  if (!config) throw new Error(`Array ${meta.path} is not sharded`);
  const inner = config.innerShape;
  const grid = innerGrid(config, storedChunk(meta));
  let parts: (Uint8Array | undefined)[];
  try {
    parts = splitShard(config, stored, product(grid));
  } catch (err) {
    throw new ConversionError(`Array ${meta.path}: ${(err as Error).message}`, { cause: err });
  }
  const lo = box.start.map((s, d) => Math.floor(s / inner[d]));
  const hi = box.start.map((s, d) => Math.floor((s + box.count[d] - 1) / inner[d]));
  for (const rel of cIndices(hi.map((h, d) => h - lo[d] + 1))) {
    const pos = rel.map((r, d) => lo[d] + r);
    const k = pos.reduce((acc, p, d) => acc * grid[d] + p, 0);
    const origin = pos.map((p, d) => p * inner[d]);
    const a = origin.map((o, d) => Math.max(o, box.start[d]));
    const b = origin.map((o, d) => Math.min(o + inner[d], box.start[d] + box.count[d]));
    let cells: DataArray;
    try {
      cells = decodeInner(config, parts[k]);
    } catch (err) {
      throw new ConversionError(`Array ${meta.path}: ${(err as Error).message}`, { cause: err });
    }
    copyBox(
      cells,
      inner,
      a.map((x, d) => x - origin[d]),
      out,
      outShape,
      a.map((x, d) => outStart[d] + x - box.start[d]),
      a.map((x, d) => b[d] - x),
    );
  }
}
