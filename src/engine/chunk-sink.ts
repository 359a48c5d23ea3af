/**
 * Where every verb's encoded chunks go. A block of data in archive coordinates is cut along the
 * archive's chunk grid; each chunk then takes one of two paths. A "chunk" here is what one store
 * key holds (storedChunk): a sharded array's shard, with all its inner chunks, is written in one
 * put or merged as one unit, never inner chunk by inner chunk.
 *
 * - blind put: the boxes this writer was given cover the chunk entirely, so nobody else writes any
 *   of its cells (regions of different files never overlap) and it is encoded and stored as is;
 * - compare-and-swap merge: the chunk is shared with a region someone else writes (the next file
 *   of a region fill, a neighbour on another machine), so it is read, the covered cells are copied
 *   in, and it is written back with `setIfMatch` on the version read, starting over when another
 *   writer got there first. That is the compare-and-swap an object store gives with ETags; the
 *   filesystem store implements it under a per-chunk lock file.
 *
 * Either way no update is lost, and replaying a write produces the same chunk (idempotent), which
 * is what makes a killed writer repairable.
 */
import type { DataArray } from "../dataset/types.js";
import { ConversionError } from "../errors.js";
import { product } from "../util/shape.js";
import { chunkExtent, decodeChunk, emptyChunk, encodeChunk } from "../zarr/array.js";
import { type ArrayMeta, arrayChunkKey, storedChunk } from "../zarr/metadata.js";
import { copyBox } from "../zarr/nd.js";
import { type ChunkPart, forEachChunkIn } from "../zarr/read.js";
import { applyShardPatch, prepareShardPatch } from "../zarr/shard.js";
import type { Store } from "../zarr/store/types.js";
import { extractBox, inScratch } from "./box.js";
import type { SinkResult } from "./job.js";

/** Puts and merges of one block at once. */
const WRITES_IN_FLIGHT = 4;

/** Conflicts resolve in a few rounds; this many means something else keeps rewriting the chunk. */
const MAX_MERGE_ATTEMPTS = 1000;

/** A box in array coordinates. */
export interface Box {
  start: readonly number[];
  count: readonly number[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The part of `box` inside the box `within`, or undefined when they do not meet. */
export function intersect(box: Box, within: Box): Box | undefined {
  const start: number[] = [];
  const count: number[] = [];
  for (let d = 0; d < box.start.length; d++) {
    const a = Math.max(box.start[d], within.start[d]);
    const b = Math.min(box.start[d] + box.count[d], within.start[d] + within.count[d]);
    if (b <= a) return undefined;
    start.push(a);
    count.push(b - a);
  }
  return { start, count };
}

/** Copies of a part's cells into its decoded chunk: one per covered box. */
interface Patch {
  /** Where the box starts in the part. */
  inPart: number[];
  /** Where it starts in the chunk. */
  inChunk: number[];
  count: number[];
}

async function mergeChunk(
  store: Store,
  meta: ArrayMeta,
  key: string,
  data: DataArray,
  partCount: readonly number[],
  patches: readonly Patch[],
  extent: readonly number[],
): Promise<{ bytes: number; conflicts: number }> {
  const cell = storedChunk(meta);
  // A shard: the inner chunks these cells cover wholly are encoded once, here; each attempt then
  // merges only the ones they share with others into what is stored.
  const shard = meta.shards
    ? prepareShardPatch(
        meta,
        patches.map((p) => ({
          src: data,
          srcShape: partCount,
          srcStart: p.inPart,
          dstStart: p.inChunk,
          count: p.count,
        })),
        extent,
      )
    : undefined;
  for (let attempt = 0; attempt < MAX_MERGE_ATTEMPTS; attempt++) {
    const current = await store.getWithVersion(key);
    let encoded: Uint8Array;
    if (shard) encoded = applyShardPatch(shard, current?.value);
    else {
      const chunk = current ? decodeChunk(meta, current.value) : emptyChunk(meta);
      for (const p of patches) {
        copyBox(data, partCount, p.inPart, chunk, cell, p.inChunk, p.count);
      }
      encoded = encodeChunk(meta, chunk, cell);
    }
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

function chunkBox(meta: ArrayMeta, part: ChunkPart): Box {
  const cell = storedChunk(meta);
  return {
    start: part.index.map((i, d) => i * cell[d]),
    count: chunkExtent(meta, part.index),
  };
}

/** The chunks a block touches, each with where it lies in the block (zarr/read.ts ChunkPart). */
export function blockParts(meta: ArrayMeta, block: Box): ChunkPart[] {
  const parts: ChunkPart[] = [];
  forEachChunkIn(storedChunk(meta), block.start, block.count, (p) => parts.push(p));
  return parts;
}

/**
 * A part's cells (C order, shape part.count). `transient`: the sink encodes them before it awaits
 * anything and keeps nothing of them, so they may live in reused memory (engine/box.ts
 * scratchArray); otherwise they are kept across a merge's retries.
 */
export type PartData = (part: ChunkPart, index: number, transient: boolean) => DataArray;

/**
 * Writes the cells of `covered` (boxes in array coordinates, inside the block, not overlapping)
 * into the array. `dataOf` gives each part's cells; cells outside `covered` are never written, so
 * their values there do not matter.
 */
export async function writeChunks(
  store: Store,
  meta: ArrayMeta,
  block: Box,
  parts: readonly ChunkPart[],
  dataOf: PartData,
  covered: readonly Box[],
): Promise<SinkResult> {
  const result: SinkResult = { chunks: 0, merged: 0, conflicts: 0, bytesWritten: 0 };
  // Chunks are cut and encoded one at a time, with a few puts (or merges) in flight: the store's
  // latency overlaps the encoding, and memory holds the block plus a few encoded chunks, not a
  // copy of every chunk of the block at once.
  const inFlight = new Set<Promise<void>>();
  const launch = async (write: Promise<void>) => {
    inFlight.add(write);
    const gone = () => inFlight.delete(write);
    write.then(gone, gone);
    if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
  };
  for (const [i, part] of parts.entries()) {
    const own = chunkBox(meta, part);
    const pieces = covered.map((b) => intersect(b, own)).filter((b): b is Box => b !== undefined);
    if (pieces.length === 0) continue;
    result.chunks++;
    const key = arrayChunkKey(meta, part.index);
    const cells = pieces.reduce((n, b) => n + product(b.count), 0);
    if (cells === product(own.count)) {
      // Covered boxes do not overlap, so covering every cell means this writer owns the chunk;
      // the chunk then lies inside the block too (covered boxes are inside it).
      let encoded = encodeChunk(meta, dataOf(part, i, true), part.count);
      // Uncompressed bytes may be a view of the cells; scratch cells are reused by the next chunk.
      if (inScratch(encoded)) encoded = encoded.slice();
      result.bytesWritten += encoded.byteLength;
      await launch(store.set(key, encoded));
      continue;
    }
    const data = dataOf(part, i, false);
    const at = part.inBox.map((o, d) => block.start[d] + o);
    const patches = pieces.map((b) => ({
      inPart: b.start.map((s, d) => s - at[d]),
      inChunk: b.start.map((s, d) => s - own.start[d]),
      count: [...b.count],
    }));
    await launch(
      mergeChunk(store, meta, key, data, part.count, patches, own.count).then((merged) => {
        result.merged++;
        result.conflicts += merged.conflicts;
        result.bytesWritten += merged.bytes;
      }),
    );
  }
  await Promise.all(inFlight);
  return result;
}

/** Writes `data` (C order, shape `count`) at `start`: a block that covers itself. */
export function writeBox(
  store: Store,
  meta: ArrayMeta,
  start: readonly number[],
  count: readonly number[],
  data: DataArray,
): Promise<SinkResult> {
  const box = { start, count };
  const parts = blockParts(meta, box);
  const whole = parts.length === 1 && count.every((n, d) => n === parts[0].count[d]);
  const dataOf: PartData = (p, _index, transient) =>
    whole ? data : extractBox(data, count, p.inBox, p.count, meta.dtype, transient);
  return writeChunks(store, meta, box, parts, dataOf, [box]);
}
