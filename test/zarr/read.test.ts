import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { DataArray, DType } from "../../src/dataset/types.js";
import { chunkKey } from "../../src/zarr/keys.js";
import { type ArrayMeta, createArrayMeta } from "../../src/zarr/metadata.js";
import { type ChunkPart, forEachChunkIn, readBox } from "../../src/zarr/read.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import { tempDir } from "../helpers/paths.js";
import { rng, sampleData, writeAllChunks } from "./helpers.js";

const tmp = tempDir("zarrify-read-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const product = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

function meta(
  dtype: DType,
  shape: number[],
  chunks: number[],
  format: 2 | 3 = 3,
  attrs: ArrayMeta["attrs"] = {},
): ArrayMeta {
  return createArrayMeta({
    zarrFormat: format,
    path: "group/v",
    dtype,
    shape,
    chunks,
    dimensionNames: shape.map((_, i) => `d${i}`),
    attrs,
    compression: { method: "zstd", level: 1 },
  });
}

/** The box [start, start+count) of a C-order array of `shape`, computed by index arithmetic. */
function expectedBox(data: DataArray, shape: number[], start: number[], count: number[]) {
  const out: unknown[] = [];
  const idx = count.map(() => 0);
  for (let k = 0; k < product(count); k++) {
    let flat = 0;
    for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + start[d] + idx[d];
    out.push(data[flat]);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < count[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

describe("forEachChunkIn", () => {
  it("lists the parts of every chunk a box touches, in C order", () => {
    const parts: ChunkPart[] = [];
    forEachChunkIn([10, 4], [7, 3], [15, 2], (p) => parts.push(p));
    expect(parts).toEqual([
      { index: [0, 0], inChunk: [7, 3], inBox: [0, 0], count: [3, 1] },
      { index: [0, 1], inChunk: [7, 0], inBox: [0, 1], count: [3, 1] },
      { index: [1, 0], inChunk: [0, 3], inBox: [3, 0], count: [10, 1] },
      { index: [1, 1], inChunk: [0, 0], inBox: [3, 1], count: [10, 1] },
      { index: [2, 0], inChunk: [0, 3], inBox: [13, 0], count: [2, 1] },
      { index: [2, 1], inChunk: [0, 0], inBox: [13, 1], count: [2, 1] },
    ]);
  });

  it("gives one part for a box inside one chunk", () => {
    const parts: ChunkPart[] = [];
    forEachChunkIn([10], [12], [3], (p) => parts.push(p));
    expect(parts).toEqual([{ index: [1], inChunk: [2], inBox: [0], count: [3] }]);
  });

  it("gives nothing for an empty box and one part for a 0-d array", () => {
    const parts: ChunkPart[] = [];
    forEachChunkIn([4, 4], [0, 0], [0, 4], (p) => parts.push(p));
    expect(parts).toEqual([]);
    forEachChunkIn([], [], [], (p) => parts.push(p));
    expect(parts).toEqual([{ index: [], inChunk: [], inBox: [], count: [] }]);
  });

  it("parts tile the box over random boxes", () => {
    const r = rng(7);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    for (let trial = 0; trial < 200; trial++) {
      const rank = int(1, 4);
      const chunks = Array.from({ length: rank }, () => int(1, 5));
      const start = Array.from({ length: rank }, () => int(0, 12));
      const count = Array.from({ length: rank }, () => int(1, 9));
      const seen = new Array<number>(product(count)).fill(0);
      forEachChunkIn(chunks, start, count, (p) => {
        for (let d = 0; d < rank; d++) {
          // The part sits where its chunk and the box overlap.
          expect(p.index[d] * chunks[d] + p.inChunk[d]).toBe(start[d] + p.inBox[d]);
          expect(p.inChunk[d] + p.count[d]).toBeLessThanOrEqual(chunks[d]);
          expect(p.count[d]).toBeGreaterThan(0);
        }
        const idx = p.count.map(() => 0);
        for (let k = 0; k < product(p.count); k++) {
          let flat = 0;
          for (let d = 0; d < rank; d++) flat = flat * count[d] + p.inBox[d] + idx[d];
          seen[flat]++;
          for (let d = rank - 1; d >= 0; d--) {
            if (++idx[d] < p.count[d]) break;
            idx[d] = 0;
          }
        }
      });
      expect(seen.every((n) => n === 1)).toBe(true);
    }
  });
});

describe("readBox", () => {
  it("reads boxes across chunk edges, and the whole array, equal to the data written", async () => {
    const store = new MemoryStore();
    const m = meta("float32", [13, 7, 9], [4, 3, 4]);
    const data = sampleData("float32", product(m.shape));
    await writeAllChunks(store, m, data);
    expect(await readBox(store, m, [0, 0, 0], m.shape)).toEqual(data);
    const r = rng(3);
    for (let trial = 0; trial < 50; trial++) {
      const start = m.shape.map((n) => Math.floor(r() * n));
      const count = start.map((s, d) => 1 + Math.floor(r() * (m.shape[d] - s)));
      const got = await readBox(store, m, start, count);
      expect(got).toBeInstanceOf(Float32Array);
      expect(Array.from(got as Float32Array)).toEqual(expectedBox(data, m.shape, start, count));
    }
  });

  it.each<[DType, 2 | 3]>([
    ["int64", 3],
    ["uint8", 2],
    ["string", 3],
    ["string", 2],
    ["char", 2],
    ["float64", 2],
  ])("reads %s (v%i) with the right element type", async (dtype, format) => {
    const store = new MemoryStore();
    const m = meta(dtype, [9, 5], [4, 2], format);
    const data = sampleData(dtype, 45);
    await writeAllChunks(store, m, data);
    const got = await readBox(store, m, [3, 1], [5, 3]);
    expect(got.constructor).toBe(data.constructor);
    expect(Array.from(got as ArrayLike<unknown>)).toEqual(
      expectedBox(data, [9, 5], [3, 1], [5, 3]),
    );
  });

  it("reads absent chunks as the fill value", async () => {
    const store = new MemoryStore();
    const m = meta("int16", [8, 4], [4, 2], 3, { _FillValue: -99 });
    const data = Int16Array.from({ length: 32 }, (_, i) => i);
    // Only chunk (1, 0) is written.
    await writeAllChunks(store, m, data, (idx) => !(idx[0] === 1 && idx[1] === 0));
    expect(store.keys()).toEqual([chunkKey(3, "group/v", [1, 0])]);
    const got = Array.from((await readBox(store, m, [2, 1], [4, 2])) as Int16Array);
    // Rows 2..5, columns 1..2: row 4 and 5 column 1 come from the written chunk.
    expect(got).toEqual([-99, -99, -99, -99, 17, -99, 21, -99]);
  });

  it.each<[string, ArrayMeta, number]>([
    ["v3 float without _FillValue: NaN", meta("float32", [6], [4], 3), Number.NaN],
    [
      "v3 integer without _FillValue: netCDF's default fill",
      meta("int32", [6], [4], 3),
      -2147483647,
    ],
    ["v2 integer without fill_value: 0", meta("int32", [6], [4], 2), 0],
    ["v2 float with _FillValue", meta("float64", [6], [4], 2, { _FillValue: 1e20 }), 1e20],
  ])("reads a never-written array as fill (%s)", async (_, m, fill) => {
    const got = Array.from((await readBox(new MemoryStore(), m, [1], [5])) as Float32Array);
    expect(got).toEqual(new Array(5).fill(fill));
  });

  it("reads more chunks than it keeps in flight (batches) from a filesystem store", async () => {
    const store = new FsStore(`${tmp}/a.zarr`);
    const m = meta("uint16", [50, 3], [2, 2], 2);
    const data = sampleData("uint16", 150);
    await writeAllChunks(store, m, data, (idx) => idx[0] % 5 === 0);
    const got = (await readBox(store, m, [1, 1], [48, 2])) as Uint16Array;
    const want = expectedBox(data, [50, 3], [1, 1], [48, 2]).map((v, k) => {
      const row = 1 + Math.floor(k / 2);
      return Math.floor(row / 2) % 5 === 0 ? 0 : v;
    });
    expect(Array.from(got)).toEqual(want);
  });

  it("reads a zero-size box as an empty array", async () => {
    const m = meta("float32", [6, 4], [4, 4]);
    const got = await readBox(new MemoryStore(), m, [2, 0], [0, 4]);
    expect(got).toBeInstanceOf(Float32Array);
    expect(got.length).toBe(0);
  });
});
