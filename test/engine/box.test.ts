import { describe, expect, it } from "vitest";
import { extractBox } from "../../src/engine/box.js";

describe("extractBox", () => {
  it("copies a 3-D sub-box in C order", () => {
    const shape = [3, 4, 5];
    const src = Float32Array.from({ length: 60 }, (_, i) => i);
    const out = extractBox(src, shape, [1, 1, 2], [2, 2, 3]);
    const expected: number[] = [];
    for (let i = 1; i < 3; i++)
      for (let j = 1; j < 3; j++) for (let k = 2; k < 5; k++) expected.push(i * 20 + j * 5 + k);
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(out as Float32Array)).toEqual(expected);
  });

  it("handles strings, bigints and scalars", () => {
    expect(extractBox(["a", "b", "c", "d"], [2, 2], [0, 1], [2, 1])).toEqual(["b", "d"]);
    const big = BigInt64Array.from([1n, 2n, 3n, 4n]);
    expect(Array.from(extractBox(big, [4], [2], [2]) as BigInt64Array)).toEqual([3n, 4n]);
    expect(Array.from(extractBox(Float64Array.of(7), [], [], []) as Float64Array)).toEqual([7]);
  });
});
