import { describe, expect, it } from "vitest";
import type { Block } from "../../src/plan/blocks.js";
import { regionBlocks } from "../../src/region/blocks.js";
import { rng } from "../zarr/helpers.js";

const product = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

/** How often each cell of the region is covered, C order over `count`. */
function coverage(start: number[], count: number[], blocks: Block[]): number[] {
  const seen = new Array<number>(product(count)).fill(0);
  for (const b of blocks) {
    const idx = b.count.map(() => 0);
    for (let k = 0; k < product(b.count); k++) {
      let flat = 0;
      for (let d = 0; d < count.length; d++) {
        const cell = b.start[d] + idx[d] - start[d];
        if (cell < 0 || cell >= count[d])
          throw new Error(`block ${JSON.stringify(b)} leaves the region`);
        flat = flat * count[d] + cell;
      }
      seen[flat]++;
      for (let d = idx.length - 1; d >= 0; d--) {
        if (++idx[d] < b.count[d]) break;
        idx[d] = 0;
      }
    }
  }
  return seen;
}

/** Every property the writer relies on, checked for one request. */
function checkBlocks(
  chunks: number[],
  start: number[],
  count: number[],
  itemSize: number,
  maxBytes: number,
): Block[] {
  const blocks = regionBlocks(chunks, start, count, itemSize, maxBytes);
  // Tiles the region: every cell exactly once, nothing outside it.
  expect(coverage(start, count, blocks).every((c) => c === 1)).toBe(true);
  const chunkBytes = product(chunks) * itemSize;
  for (const b of blocks) {
    expect(b.count.every((n) => n > 0)).toBe(true);
    for (let d = 0; d < chunks.length; d++) {
      // Edges on the chunk grid, or on the region's own edge.
      const lo = b.start[d];
      const hi = b.start[d] + b.count[d];
      expect(lo === start[d] || lo % chunks[d] === 0).toBe(true);
      expect(hi === start[d] + count[d] || hi % chunks[d] === 0).toBe(true);
    }
    // Within the cap, or a single chunk when one chunk alone is over it.
    const bytes = product(b.count) * itemSize;
    if (chunkBytes <= maxBytes) expect(bytes).toBeLessThanOrEqual(maxBytes);
    else {
      b.start.forEach((s, d) => {
        expect(Math.floor(s / chunks[d])).toBe(Math.floor((s + b.count[d] - 1) / chunks[d]));
      });
    }
  }
  // No chunk is split between two blocks (each chunk is then written by one block only).
  const owner = new Map<string, number>();
  blocks.forEach((b, i) => {
    const lo = b.start.map((s, d) => Math.floor(s / chunks[d]));
    const hi = b.start.map((s, d) => Math.floor((s + b.count[d] - 1) / chunks[d]));
    const idx = [...lo];
    for (;;) {
      const key = idx.join(",");
      if ((owner.get(key) ?? i) !== i) throw new Error(`chunk ${key} is split between blocks`);
      owner.set(key, i);
      let d = idx.length - 1;
      while (d >= 0 && ++idx[d] > hi[d]) {
        idx[d] = lo[d];
        d--;
      }
      if (d < 0) break;
    }
  });
  return blocks;
}

describe("regionBlocks", () => {
  it("cuts a region that starts and ends inside chunks at the chunk grid", () => {
    // time chunks of 10; the region 7..33 touches chunks 0..3.
    const blocks = checkBlocks([10, 4, 4], [7, 0, 0], [26, 4, 4], 4, 10 * 16 * 4);
    expect(blocks.map((b) => [b.start[0], b.count[0]])).toEqual([
      [7, 3],
      [10, 10],
      [20, 10],
      [30, 3],
    ]);
  });

  it("makes one block of a small region", () => {
    expect(regionBlocks([10, 4], [3, 1], [5, 2], 8, 1 << 20)).toEqual([
      { start: [3, 1], count: [5, 2] },
    ]);
  });

  it("groups several chunks per block when the cap allows", () => {
    const blocks = checkBlocks([10, 5], [0, 0], [100, 5], 4, 10 * 5 * 4 * 3);
    expect(blocks.map((b) => b.count[0])).toEqual([30, 30, 30, 10]);
  });

  it("gives single-chunk blocks when one chunk is bigger than the cap", () => {
    const blocks = checkBlocks([10, 100], [5, 0], [20, 100], 8, 100);
    expect(blocks).toEqual([
      { start: [5, 0], count: [5, 100] },
      { start: [10, 0], count: [10, 100] },
      { start: [20, 0], count: [5, 100] },
    ]);
  });

  it("has no blocks for an empty region", () => {
    expect(regionBlocks([10, 4], [5, 0], [0, 4], 4, 1000)).toEqual([]);
    expect(regionBlocks([10, 4], [5, 0], [3, 0], 4, 1000)).toEqual([]);
  });

  it("handles a one-step region in the middle of a chunk", () => {
    expect(checkBlocks([10, 3], [14, 0], [1, 3], 4, 1 << 20)).toEqual([
      { start: [14, 0], count: [1, 3] },
    ]);
  });

  it("keeps its promises over many random regions", () => {
    const r = rng(42);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    for (let trial = 0; trial < 300; trial++) {
      const rank = int(1, 4);
      const chunks = Array.from({ length: rank }, () => int(1, 7));
      const start = Array.from({ length: rank }, () => int(0, 20));
      const count = Array.from({ length: rank }, () => int(1, 15));
      const itemSize = [1, 2, 4, 8][int(0, 3)];
      const maxBytes = int(1, 4 * product(chunks) * itemSize);
      checkBlocks(chunks, start, count, itemSize, maxBytes);
    }
  });
});
