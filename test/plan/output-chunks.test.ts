import { describe, expect, it } from "vitest";
import { outputChunks } from "../../src/plan/output-chunks.js";

const MB = 1024 * 1024;

describe("outputChunks", () => {
  it("uses the requested length per dimension name and whole length elsewhere", () => {
    expect(
      outputChunks({
        dims: ["time", "lat", "lon"],
        shape: [100, 50, 60],
        itemSize: 4,
        byDim: { time: 10, depth: 3 },
        targetBytes: 50 * MB,
      }),
    ).toEqual([10, 50, 60]);
  });

  it("clips requests to the dimension length and keeps length-0 dims at chunk 1", () => {
    expect(
      outputChunks({
        dims: ["t", "x"],
        shape: [0, 5],
        itemSize: 4,
        byDim: { x: 100 },
        targetBytes: MB,
      }),
    ).toEqual([1, 5]);
  });

  it("cuts unrequested outer dimensions to stay under the target size", () => {
    const chunks = outputChunks({
      dims: ["time", "lat", "lon"],
      shape: [10000, 721, 1440],
      itemSize: 4,
      byDim: {},
      targetBytes: 50 * MB,
    });
    expect(chunks.slice(1)).toEqual([721, 1440]);
    expect(chunks[0]).toBe(Math.floor((50 * MB) / (721 * 1440 * 4)));
  });

  it("never shrinks a dimension the user asked for", () => {
    const chunks = outputChunks({
      dims: ["time", "lat", "lon"],
      shape: [1000, 721, 1440],
      itemSize: 4,
      byDim: { time: 100 },
      targetBytes: 50 * MB,
    });
    expect(chunks[0]).toBe(100);
    expect(chunks[1] * chunks[2] * 100 * 4).toBeLessThanOrEqual(50 * MB);
  });
});

describe("outputChunks cut order", () => {
  it("cuts the time dimension first even when it is not outermost", () => {
    const chunks = outputChunks({
      dims: ["member", "time", "x"],
      shape: [4, 1000, 1000],
      itemSize: 8,
      byDim: {},
      targetBytes: 4 * 100 * 1000 * 8,
      cutFirst: "time",
    });
    expect(chunks).toEqual([4, 100, 1000]);
  });
});
