/**
 * Read blocks: the unit of work the engine hands a worker. A block is a box of whole output
 * chunks read from the source in one call. Reading chunk by chunk would cut through the source's
 * own chunks (HDF5 then decompresses each source chunk many times: 48 vs 421 MiB/s measured) and
 * through contiguous rows (many tiny positioned reads), so blocks grow to cover the source chunks
 * and then whole inner rows, within a memory cap.
 */
import { cIndices } from "../util/shape.js";

/**
 * The default `maxBlockBytes` of every verb, in MiB: each worker holds one block at a time, so
 * this bounds memory per worker.
 */
export const DEFAULT_MAX_BLOCK_MB = 128;

export interface Block {
  /** Element offset of the block in the array. */
  start: number[];
  /** Element extent of the block (clipped at the array's edge). */
  count: number[];
}

export interface BlockRequest {
  shape: readonly number[];
  chunks: readonly number[];
  itemSize: number;
  sourceChunks?: readonly number[];
  maxBlockBytes: number;
}

/** How many output chunks a block spans along each dimension. */
export function blockSpan(req: BlockRequest): number[] {
  const grid = req.shape.map((n, d) => Math.ceil(n / req.chunks[d]));
  const span = grid.map(() => 1);
  const bytes = (s: readonly number[]) =>
    s.reduce((acc, n, d) => acc * Math.min(n * req.chunks[d], req.shape[d]), req.itemSize);

  if (req.sourceChunks && req.sourceChunks.length === span.length) {
    for (let d = 0; d < span.length; d++) {
      span[d] = Math.min(grid[d], Math.ceil(req.sourceChunks[d] / req.chunks[d]));
    }
    // Too big to cover whole source chunks: give up alignment from the outermost dim inwards.
    for (let d = 0; d < span.length && bytes(span) > req.maxBlockBytes; d++) {
      span[d] = 1;
    }
  }
  for (let d = span.length - 1; d >= 0; d--) {
    const before = span[d];
    span[d] = grid[d];
    if (bytes(span) > req.maxBlockBytes) {
      // Take as many chunks along this dim as fit, then stop: outer dims stay one chunk thick.
      const per = bytes(span.map((s, i) => (i === d ? 1 : s)));
      span[d] = Math.max(before, Math.min(grid[d], Math.floor(req.maxBlockBytes / per)));
      break;
    }
  }
  return span;
}

/** All blocks of an array in C order. Zero-size arrays have no blocks. */
export function planBlocks(req: BlockRequest): Block[] {
  if (req.shape.some((n) => n === 0)) return [];
  const span = blockSpan(req);
  const step = span.map((s, d) => s * req.chunks[d]);
  const counts = req.shape.map((n, d) => Math.ceil(n / step[d]));
  const blocks: Block[] = [];
  for (const index of cIndices(counts)) {
    const start = index.map((i, d) => i * step[d]);
    blocks.push({ start, count: start.map((s, d) => Math.min(step[d], req.shape[d] - s)) });
  }
  return blocks;
}
