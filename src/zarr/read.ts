/**
 * Reading a box of an archive array back from the store: what validate, the missing-data check of
 * write-region and the grid comparison need. Absent chunks read as the fill value, as in zarr.
 *
 *   readBox(store, meta, start, count): Promise<DataArray>     C order, shape `count`
 *   forEachChunkIn(cell, start, count, fn)                     the grid cells a box touches
 *
 * The unit read is what one store key holds (storedChunk: the shard of a sharded array).
 */
import type { DataArray } from "../dataset/types.js";
import { cIndices } from "../util/shape.js";
import { decodeChunk, emptyChunk } from "./array.js";
import { type ArrayMeta, arrayChunkKey, storedChunk } from "./metadata.js";
import { copyBox, product } from "./nd.js";
import { copyFromShard } from "./shard.js";
import type { Store } from "./store/types.js";

export interface ChunkPart {
  /** Chunk grid index. */
  index: number[];
  /** Where the part starts inside the chunk. */
  inChunk: number[];
  /** Where the part starts inside the box. */
  inBox: number[];
  /** Extent of the part. */
  count: number[];
}

/** Calls fn for every chunk the box [start, start+count) touches, in C order. */
export function forEachChunkIn(
  chunks: readonly number[],
  start: readonly number[],
  count: readonly number[],
  fn: (part: ChunkPart) => void,
): void {
  if (count.some((n) => n === 0)) return;
  const lo = start.map((s, d) => Math.floor(s / chunks[d]));
  const hi = start.map((s, d) => Math.floor((s + count[d] - 1) / chunks[d]));
  for (const rel of cIndices(hi.map((h, d) => h - lo[d] + 1))) {
    const index = rel.map((i, d) => lo[d] + i);
    const inChunk: number[] = [];
    const inBox: number[] = [];
    const partCount: number[] = [];
    for (let d = 0; d < index.length; d++) {
      const c0 = index[d] * chunks[d];
      const a = Math.max(c0, start[d]);
      const b = Math.min(c0 + chunks[d], start[d] + count[d]);
      inChunk.push(a - c0);
      inBox.push(a - start[d]);
      partCount.push(b - a);
    }
    fn({ index, inChunk, inBox, count: partCount });
  }
}

function allocLike(template: DataArray, length: number): DataArray {
  if (Array.isArray(template)) return new Array<string>(length).fill("");
  return new (template.constructor as new (length: number) => DataArray)(length);
}

export async function readBox(
  store: Store,
  meta: ArrayMeta,
  start: readonly number[],
  count: readonly number[],
): Promise<DataArray> {
  const empty = emptyChunk(meta);
  const out = allocLike(empty, product(count));
  const cell = storedChunk(meta);
  const parts: ChunkPart[] = [];
  forEachChunkIn(cell, start, count, (p) => parts.push(p));
  // A few reads in flight keep a network store busy without holding many chunks at once.
  const CONCURRENCY = 8;
  for (let i = 0; i < parts.length; i += CONCURRENCY) {
    const batch = parts.slice(i, i + CONCURRENCY);
    const bytes = await Promise.all(batch.map((p) => store.get(arrayChunkKey(meta, p.index))));
    batch.forEach((p, k) => {
      const raw = bytes[k];
      if (raw !== undefined && meta.shards) {
        // Only the inner chunks the box touches are decoded.
        copyFromShard(meta, raw, { start: p.inChunk, count: p.count }, out, count, p.inBox);
        return;
      }
      const chunk = raw === undefined ? empty : decodeChunk(meta, raw);
      copyBox(chunk, cell, p.inChunk, out, count, p.inBox, p.count);
    });
  }
  return out;
}
