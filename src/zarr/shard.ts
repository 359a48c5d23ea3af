/**
 * Rewriting part of a shard: the merge step of a writer that shares a shard with others.
 *
 *   prepareShardPatch(meta, copies, extent): ShardPatch
 *   applyShardPatch(patch, current): Uint8Array
 *       `copies`: boxes of cells to write, each from a source array into the shard (shard
 *       coordinates); `current`: the shard as stored (undefined: not there yet). Only the inner
 *       chunks the boxes touch are decoded, patched and re-encoded; every other inner chunk keeps
 *       its stored bytes. Inner chunks the copies cover wholly are encoded once, in prepare, not
 *       on every attempt of the compare-and-swap that applies the patch. A shard of a hundred
 *       inner chunks that ten writers share is then encoded about once in all, not ten times
 *       over, which is what keeps filling sharded archives near the speed of unsharded ones.
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

/**
 * A merge's inner chunks, worked out once before its compare-and-swap loop: those the copies cover
 * wholly (every cell inside the array) are encoded here, as nothing stored can change them; only
 * the ones they cover in part are merged with the stored shard, on each attempt.
 */
export interface ShardPatch {
  readonly meta: ArrayMeta;
  readonly copies: readonly BoxCopy[];
  /** Inner chunk index (C order) → its encoding (undefined: only fill, left out). */
  readonly whole: ReadonlyMap<number, Uint8Array | undefined>;
  /** Inner chunks touched in part: index, origin in the shard. */
  readonly partial: readonly { k: number; origin: number[] }[];
}

function failing<T>(meta: ArrayMeta, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof ZarrifyError) throw err;
    throw new ConversionError(`Array ${meta.path}: ${(err as Error).message}`, { cause: err });
  }
}

function configOf(meta: ArrayMeta) {
  const config = shardingOf(pipelineFor(meta));
  if (!config) throw new Error(`Array ${meta.path} is not sharded`);
  return config;
}

/** Applies the parts of `copies` that fall in the inner chunk at `origin` to its cells. */
function applyCopies(
  copies: readonly BoxCopy[],
  origin: readonly number[],
  inner: readonly number[],
  cells: DataArray,
): void {
  for (const c of copies) {
    const lo = c.dstStart.map((s, d) => Math.max(s, origin[d]));
    const hi = c.dstStart.map((s, d) => Math.min(s + c.count[d], origin[d] + inner[d]));
    if (lo.some((l, d) => l >= hi[d])) continue;
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
}

/**
 * `extent`: the part of the shard inside the array (chunkExtent), so an inner chunk at the
 * array's edge counts as wholly covered when every cell of it inside the array is.
 */
export function prepareShardPatch(
  meta: ArrayMeta,
  copies: readonly BoxCopy[],
  extent: readonly number[],
): ShardPatch {
  return failing(meta, () => {
    const config = configOf(meta);
    const inner = config.innerShape;
    const grid = innerGrid(config, storedChunk(meta));
    const whole = new Map<number, Uint8Array | undefined>();
    const partial: { k: number; origin: number[] }[] = [];
    let k = 0;
    for (const pos of cIndices(grid)) {
      const origin = pos.map((i, d) => i * inner[d]);
      const inArray = origin.map((o, d) => Math.max(0, Math.min(inner[d], extent[d] - o)));
      let covered = 0;
      for (const c of copies) {
        let cells = 1;
        for (let d = 0; d < inner.length && cells > 0; d++) {
          const lo = Math.max(c.dstStart[d], origin[d]);
          const hi = Math.min(c.dstStart[d] + c.count[d], origin[d] + inner[d]);
          cells *= Math.max(0, hi - lo);
        }
        covered += cells;
      }
      if (covered > 0 && covered === product(inArray)) {
        const cells = decodeInner(config, undefined);
        applyCopies(copies, origin, inner, cells);
        whole.set(k, encodeInner(config, cells));
      } else if (covered > 0) partial.push({ k, origin });
      k++;
    }
    return { meta, copies, whole, partial };
  });
}

/** The shard `current` (undefined: not stored yet) with `patch` applied. */
export function applyShardPatch(patch: ShardPatch, current: Uint8Array | undefined): Uint8Array {
  const { meta, copies } = patch;
  return failing(meta, () => {
    const config = configOf(meta);
    const n = product(innerGrid(config, storedChunk(meta)));
    const parts = current
      ? splitShard(config, current, n)
      : new Array<undefined>(n).fill(undefined);
    for (const [k, bytes] of patch.whole) parts[k] = bytes;
    for (const { k, origin } of patch.partial) {
      const cells = decodeInner(config, parts[k]);
      applyCopies(copies, origin, config.innerShape, cells);
      parts[k] = encodeInner(config, cells);
    }
    return joinShard(config, parts);
  });
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
