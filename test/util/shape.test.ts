import { describe, expect, it } from "vitest";
import { cIndices, product } from "../../src/util/shape.js";

describe("cIndices", () => {
  it("walks a shape in C order, last dimension fastest", () => {
    expect([...cIndices([2, 3])]).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    expect([...cIndices([2, 1, 2])].length).toBe(product([2, 1, 2]));
  });

  it("yields one empty index for 0-d and nothing for a zero extent", () => {
    expect([...cIndices([])]).toEqual([[]]);
    expect([...cIndices([3, 0])]).toEqual([]);
    expect(product([])).toBe(1);
  });
});
