import { describe, expect, it } from "vitest";
import { extractBox, inScratch, scratchArray } from "../../src/engine/box.js";

describe("extractBox", () => {
  it("copies a 3-D sub-box in C order", () => {
    const shape = [3, 4, 5];
    const src = Float32Array.from({ length: 60 }, (_, i) => i);
    const out = extractBox(src, shape, [1, 1, 2], [2, 2, 3], "float32", false);
    const expected: number[] = [];
    for (let i = 1; i < 3; i++)
      for (let j = 1; j < 3; j++) for (let k = 2; k < 5; k++) expected.push(i * 20 + j * 5 + k);
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(out as Float32Array)).toEqual(expected);
    expect(inScratch(out)).toBe(false);
  });

  it("handles strings, bigints and scalars", () => {
    expect(extractBox(["a", "b", "c", "d"], [2, 2], [0, 1], [2, 1], "string", true)).toEqual([
      "b",
      "d",
    ]);
    const big = BigInt64Array.from([1n, 2n, 3n, 4n]);
    const tail = extractBox(big, [4], [2], [2], "int64", false) as BigInt64Array;
    expect(Array.from(tail)).toEqual([3n, 4n]);
    const scalar = extractBox(Float64Array.of(7), [], [], [], "float64", false);
    expect(Array.from(scalar as Float64Array)).toEqual([7]);
  });

  it("copies a transient box into the thread's scratch, reused by the next one", () => {
    const src = Int16Array.from({ length: 12 }, (_, i) => i);
    const a = extractBox(src, [3, 4], [1, 0], [2, 4], "int16", true) as Int16Array;
    expect(Array.from(a)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(a).toBeInstanceOf(Int16Array);
    expect(inScratch(a)).toBe(true);
    const b = extractBox(src, [3, 4], [0, 0], [1, 2], "int16", true) as Int16Array;
    expect(Array.from(b)).toEqual([0, 1]);
    // The same memory: a's first cells now hold b's.
    expect(a[0]).toBe(0);
    expect(b.buffer).toBe(a.buffer);
  });
});

describe("scratchArray", () => {
  it("grows to the largest request and views it with the dtype's array", () => {
    const small = scratchArray("uint8", 4);
    const big = scratchArray("float64", 1000);
    expect(big).toBeInstanceOf(Float64Array);
    expect((big as Float64Array).length).toBe(1000);
    expect(inScratch(big)).toBe(true);
    expect(inScratch(small)).toBe(false);
    expect(Array.isArray(scratchArray("string", 3))).toBe(true);
  });
});
