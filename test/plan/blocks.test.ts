import { describe, expect, it } from "vitest";
import { blockSpan, planBlocks } from "../../src/plan/blocks.js";

const MB = 1024 * 1024;

function covered(shape: number[], blocks: { start: number[]; count: number[] }[]): number[] {
  const seen = new Array(shape.reduce((a, b) => a * b, 1)).fill(0);
  for (const b of blocks) {
    const idx = b.count.map(() => 0);
    const n = b.count.reduce((x, y) => x * y, 1);
    for (let k = 0; k < n; k++) {
      let flat = 0;
      for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + b.start[d] + idx[d];
      seen[flat]++;
      for (let d = idx.length - 1; d >= 0; d--) {
        if (++idx[d] < b.count[d]) break;
        idx[d] = 0;
      }
    }
  }
  return seen;
}

describe("planBlocks", () => {
  it("tiles every element exactly once, aligned to output chunks", () => {
    const req = { shape: [7, 11, 13], chunks: [2, 4, 5], itemSize: 4, maxBlockBytes: 400 };
    const blocks = planBlocks(req);
    expect(covered(req.shape, blocks).every((c) => c === 1)).toBe(true);
    for (const b of blocks) {
      b.start.forEach((s, d) => {
        expect(s % req.chunks[d]).toBe(0);
      });
    }
    for (const b of blocks) expect(b.count.reduce((x, y) => x * y, 4)).toBeLessThanOrEqual(400);
  });

  it("covers whole source chunks when they fit (the bench layout: 1×721×1440 source, 24×180×360 out)", () => {
    const span = blockSpan({
      shape: [48, 721, 1440],
      chunks: [24, 180, 360],
      itemSize: 4,
      sourceChunks: [1, 721, 1440],
      maxBlockBytes: 128 * MB,
    });
    expect(span).toEqual([1, 5, 4]);
  });

  it("gives up source alignment from the outside in when over the cap", () => {
    const span = blockSpan({
      shape: [48, 721, 1440],
      chunks: [24, 180, 360],
      itemSize: 4,
      sourceChunks: [1, 721, 1440],
      maxBlockBytes: 64 * MB,
    });
    const bytes = span.reduce(
      (a, s, d) => a * Math.min(s * [24, 180, 360][d], [48, 721, 1440][d]),
      4,
    );
    expect(bytes).toBeLessThanOrEqual(64 * MB);
    expect(span[2]).toBe(4);
  });

  it("grows contiguous sources along inner dims for long sequential reads", () => {
    expect(
      blockSpan({ shape: [100, 10, 10], chunks: [10, 5, 5], itemSize: 8, maxBlockBytes: MB }),
    ).toEqual([10, 2, 2]);
  });

  it("has one empty-index block for scalars and none for empty arrays", () => {
    expect(planBlocks({ shape: [], chunks: [], itemSize: 8, maxBlockBytes: MB })).toEqual([
      { start: [], count: [] },
    ]);
    expect(planBlocks({ shape: [0, 5], chunks: [1, 5], itemSize: 8, maxBlockBytes: MB })).toEqual(
      [],
    );
  });
});
