import { describe, expect, it } from "vitest";
import { closest, didYouMean } from "../src/suggest.js";

describe("didYouMean", () => {
  const dims = ["time", "latitude", "longitude", "lev"];
  it("corrects a typo", () => {
    expect(didYouMean("tiem", dims)).toBe("time");
  });
  it("expands an abbreviation that starts exactly one name, even when a short name is fewer edits away", () => {
    expect(didYouMean("lat", dims)).toBe("latitude");
    expect(didYouMean("lon", dims)).toBe("longitude");
  });
  it("says nothing rather than guess", () => {
    expect(didYouMean("depth", dims)).toBeUndefined();
    expect(didYouMean("q", dims)).toBeUndefined();
    expect(didYouMean("", dims)).toBeUndefined();
  });
});

describe("closest", () => {
  it("ignores case and separators", () => {
    expect(closest("Target-Chunk-Size", ["targetChunkSizeMb", "jobs"])).toBe("targetChunkSizeMb");
  });
});
