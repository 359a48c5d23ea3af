/**
 * Read blocks for a region write: boxes in archive coordinates, aligned to the archive's chunk
 * grid and clipped to the region, so each block is one source read that fills whole chunks (or
 * the region's share of a boundary chunk) and stays under a memory cap.
 */
import { type Block, blockSpan } from "../plan/blocks.js";
import { cIndices } from "../util/shape.js";

export function regionBlocks(
  chunks: readonly number[],
  start: readonly number[],
  count: readonly number[],
  itemSize: number,
  maxBlockBytes: number,
): Block[] {
  if (count.some((n) => n === 0)) return [];
  const lo = start.map((s, d) => Math.floor(s / chunks[d]));
  const hi = start.map((s, d) => Math.floor((s + count[d] - 1) / chunks[d]));
  const n = lo.map((l, d) => hi[d] - l + 1);
  const span = blockSpan({
    shape: n.map((k, d) => k * chunks[d]),
    chunks,
    itemSize,
    maxBlockBytes,
  });
  const steps = n.map((k, d) => Math.ceil(k / span[d]));
  const blocks: Block[] = [];
  for (const index of cIndices(steps)) {
    const bStart: number[] = [];
    const bCount: number[] = [];
    for (let d = 0; d < index.length; d++) {
      const a = Math.max(start[d], (lo[d] + index[d] * span[d]) * chunks[d]);
      const b = Math.min(start[d] + count[d], (lo[d] + (index[d] + 1) * span[d]) * chunks[d]);
      bStart.push(a);
      bCount.push(b - a);
    }
    blocks.push({ start: bStart, count: bCount });
  }
  return blocks;
}
