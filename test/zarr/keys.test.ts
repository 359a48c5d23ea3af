import { describe, expect, it } from "vitest";
import { chunkKey, joinPath, metadataKeys, parseChunkKey } from "../../src/zarr/keys.js";

describe("chunk keys", () => {
  it("uses '.'-separated v2 keys and c/-prefixed v3 keys", () => {
    expect(chunkKey(2, "t2m", [0, 1, 2])).toBe("t2m/0.1.2");
    expect(chunkKey(3, "t2m", [0, 1, 2])).toBe("t2m/c/0/1/2");
    expect(chunkKey(2, "grp/t2m", [10])).toBe("grp/t2m/10");
    expect(chunkKey(3, "grp/t2m", [10])).toBe("grp/t2m/c/10");
  });
  it("names the single chunk of a 0-d array 'name/0' (v2) and 'name/c' (v3)", () => {
    expect(chunkKey(2, "scalar", [])).toBe("scalar/0");
    expect(chunkKey(3, "scalar", [])).toBe("scalar/c");
  });
  it("parses keys back and ignores everything that is not a chunk of the array", () => {
    expect(parseChunkKey(2, "t2m", "t2m/0.1.2")).toEqual([0, 1, 2]);
    expect(parseChunkKey(3, "t2m", "t2m/c/0/1/2")).toEqual([0, 1, 2]);
    expect(parseChunkKey(2, "scalar", "scalar/0", 0)).toEqual([]);
    expect(parseChunkKey(3, "scalar", "scalar/c", 0)).toEqual([]);
    expect(parseChunkKey(3, "scalar", "scalar/c", 1)).toBeUndefined();
    expect(parseChunkKey(2, "t2m", "t2m/.zarray")).toBeUndefined();
    expect(parseChunkKey(3, "t2m", "t2m/zarr.json")).toBeUndefined();
    expect(parseChunkKey(2, "t2m", "t2m2/0.0")).toBeUndefined();
    expect(parseChunkKey(2, "t2m", "t2m/0.0", 3)).toBeUndefined();
    expect(parseChunkKey(3, "t2m", "t2m/c/1/x")).toBeUndefined();
    expect(parseChunkKey(2, "t2m", "t2m/sub/0.0")).toBeUndefined();
    for (const idx of [[0], [3, 4], [12, 0, 7, 1]]) {
      for (const f of [2, 3] as const)
        expect(parseChunkKey(f, "a/b", chunkKey(f, "a/b", idx), idx.length)).toEqual(idx);
    }
  });
  it("lists the metadata documents of each node", () => {
    expect(metadataKeys(2, "array", "t2m")).toEqual(["t2m/.zarray", "t2m/.zattrs"]);
    expect(metadataKeys(2, "group", "")).toEqual([".zgroup", ".zattrs"]);
    expect(metadataKeys(3, "group", "")).toEqual(["zarr.json"]);
    expect(metadataKeys(3, "array", "g/x")).toEqual(["g/x/zarr.json"]);
    expect(joinPath("", "a", "", "b")).toBe("a/b");
  });
});
