/**
 * Writing a box of data into an existing array when other writers may be touching the same
 * chunks. A chunk the box covers entirely belongs to this writer alone (regions of different
 * files do not overlap), so it is written blind. A chunk the box covers only in part is shared
 * with the neighbouring region's writer: it is read, merged and written back with a conditional
 * put (`setIfMatch` on the version read), and the merge starts over when another writer got there
 * first. That is the compare-and-swap an object store gives with ETags; the filesystem store
 * implements it under a per-chunk lock file. Either way no update is lost, and replaying a write
 * produces the same chunk (idempotent), which is what makes a killed writer repairable.
 */
import type { DataArray } from "../dataset/types.js";
import { extractBox } from "../engine/box.js";
import { ConversionError } from "../errors.js";
import { chunkExtent, decodeChunk, emptyChunk, encodeChunk } from "../zarr/array.js";
import { type ArrayMeta, arrayChunkKey } from "../zarr/metadata.js";
import { copyBox } from "../zarr/nd.js";
import { type ChunkPart, forEachChunkIn } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";

/** Conflicts resolve in a few rounds; this many means something else keeps rewriting the chunk. */
const MAX_MERGE_ATTEMPTS = 1000;

export interface BoxWriteResult {
  chunks: number;
  /** Chunks merged with a conditional put (shared with another region). */
  merged: number;
  /** Conditional puts that lost a race and were redone. */
  conflicts: number;
  bytesWritten: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function coversChunk(meta: ArrayMeta, part: ChunkPart): boolean {
  const extent = chunkExtent(meta, part.index);
  return part.inChunk.every((o, d) => o === 0 && part.count[d] === extent[d]);
}

async function mergeChunk(
  store: Store,
  meta: ArrayMeta,
  key: string,
  piece: DataArray,
  part: ChunkPart,
): Promise<{ bytes: number; conflicts: number }> {
  const zeros = part.count.map(() => 0);
  for (let attempt = 0; attempt < MAX_MERGE_ATTEMPTS; attempt++) {
    const current = await store.getWithVersion(key);
    const chunk = current ? decodeChunk(meta, current.value) : emptyChunk(meta);
    copyBox(piece, part.count, zeros, chunk, meta.chunks, part.inChunk, part.count);
    const encoded = encodeChunk(meta, chunk, meta.chunks);
    if (await store.setIfMatch(key, encoded, current ? current.version : null)) {
      return { bytes: encoded.byteLength, conflicts: attempt };
    }
    // Someone else's merge landed between our read and our put: back off a little and redo.
    await sleep(Math.random() * Math.min(50, 2 ** attempt));
  }
  throw new ConversionError(
    `chunk ${key} changed under every one of ${MAX_MERGE_ATTEMPTS} merge attempts`,
    { hint: "another process keeps rewriting this chunk; check for writers stuck in a loop" },
  );
}

/**
 * Writes `data` (C order, shape `count`) at `start` of the array described by `meta`.
 */
export async function writeBox(
  store: Store,
  meta: ArrayMeta,
  start: readonly number[],
  count: readonly number[],
  data: DataArray,
): Promise<BoxWriteResult> {
  const result: BoxWriteResult = { chunks: 0, merged: 0, conflicts: 0, bytesWritten: 0 };
  const parts: ChunkPart[] = [];
  forEachChunkIn(meta.chunks, start, count, (p) => parts.push(p));
  const whole = parts.length === 1 && count.every((n, d) => n === parts[0].count[d]);
  const writes = parts.map(async (part) => {
    const key = arrayChunkKey(meta, part.index);
    const piece = whole ? data : extractBox(data, count, part.inBox, part.count);
    result.chunks++;
    if (coversChunk(meta, part)) {
      const encoded = encodeChunk(meta, piece, part.count);
      await store.set(key, encoded);
      result.bytesWritten += encoded.byteLength;
      return;
    }
    const merged = await mergeChunk(store, meta, key, piece, part);
    result.merged++;
    result.conflicts += merged.conflicts;
    result.bytesWritten += merged.bytes;
  });
  await Promise.all(writes);
  return result;
}
