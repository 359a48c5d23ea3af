import { describe, expect, it } from "vitest";
import type { DataArray, DType } from "../../src/dataset/types.js";
import { ConversionError } from "../../src/errors.js";
import {
  chunkExtent,
  chunkGrid,
  decodeChunk,
  emptyChunk,
  encodeChunk,
} from "../../src/zarr/array.js";
import { parseCompression } from "../../src/zarr/compression.js";
import { arrayChunkKey, createArrayMeta } from "../../src/zarr/metadata.js";
import { copyBox, product } from "../../src/zarr/nd.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import { ALL_DTYPES, rng, sampleData, writeAllChunks } from "./helpers.js";

const METHODS = [
  "none",
  "gzip:3",
  "zlib:6",
  "zstd:2",
  "lz4",
  "blosc:zstd:3",
  "blosc:lz4:5:bitshuffle",
  "blosc:blosclz:7",
  "blosc:lz4hc:4:noshuffle",
  "blosc:zlib:2",
];

function toArray(d: DataArray): unknown[] {
  return Array.isArray(d) ? d : Array.from(d as ArrayLike<unknown>);
}

describe("encodeChunk / decodeChunk", () => {
  it("reassembles random arrays from their chunks for every dtype, odd chunk shape and codec", async () => {
    const r = rng(2024);
    const pick = (n: number) => Math.floor(r() * n);
    let cases = 0;
    for (const dtype of ALL_DTYPES) {
      for (let trial = 0; trial < 6; trial++) {
        const ndim = pick(4); // 0..3 dimensions
        const shape = Array.from({ length: ndim }, () => 1 + pick(17));
        const chunks = shape.map((s) => 1 + pick(s + 3)); // sometimes larger than the array
        const format = (trial % 2 === 0 ? 2 : 3) as 2 | 3;
        // Zarr v3 char arrays: every other trial holds strings (the last dimension whole), and
        // every third v3 string array is fixed-length UTF-32 (long enough for sampleData's words).
        const foldChars = dtype === "char" && trial % 4 === 1 && ndim > 0;
        if (foldChars) chunks[ndim - 1] = Math.max(chunks[ndim - 1], shape[ndim - 1]);
        const stringLength = dtype === "string" && trial % 3 === 0 ? 310 : undefined;
        const meta = createArrayMeta({
          zarrFormat: format,
          path: `g/${dtype}`,
          dtype,
          shape,
          chunks,
          dimensionNames: shape.map((_, i) => `d${i}`),
          attrs:
            trial % 3 === 0
              ? {}
              : {
                  _FillValue:
                    dtype === "string"
                      ? "~"
                      : dtype === "char"
                        ? "#"
                        : dtype.endsWith("64") && dtype.includes("int")
                          ? 3n
                          : 3,
                },
          compression: parseCompression(
            METHODS[(trial * 7 + ALL_DTYPES.indexOf(dtype)) % METHODS.length],
          ),
          foldChars,
          stringLength,
        });
        const data = sampleData(dtype, product(shape), trial + 1);
        const store = new MemoryStore();
        await writeAllChunks(store, meta, data);
        const grid = chunkGrid(meta);
        expect(store.keys().length).toBe(product(grid));
        const back: DataArray = Array.isArray(data)
          ? new Array<string>(data.length).fill("")
          : new (data.constructor as new (n: number) => Exclude<DataArray, string[]>)(data.length);
        for (let flat = 0; flat < product(grid); flat++) {
          const index = grid.map((_, d) => Math.floor(flat / product(grid.slice(d + 1))) % grid[d]);
          const bytes = await store.get(arrayChunkKey(meta, index));
          const chunk = decodeChunk(meta, bytes as Uint8Array);
          expect(chunk.length).toBe(product(chunks));
          const extent = chunkExtent(meta, index);
          copyBox(
            chunk,
            chunks,
            chunks.map(() => 0),
            back,
            shape,
            index.map((c, d) => c * chunks[d]),
            extent,
          );
          // Padding beyond the array's edge holds the fill value (or zero without one).
          if (extent.some((e, d) => e < chunks[d])) {
            const last = toArray(chunk)[chunk.length - 1];
            expect(last).toEqual(toArray(emptyChunk(meta))[0]);
          }
        }
        expect(toArray(back)).toEqual(toArray(data));
        cases++;
      }
    }
    expect(cases).toBe(ALL_DTYPES.length * 6);
  });

  it("pads a partial edge chunk with the fill value", () => {
    const meta = createArrayMeta({
      zarrFormat: 3,
      path: "x",
      dtype: "int16",
      shape: [5, 5],
      chunks: [4, 4],
      dimensionNames: ["a", "b"],
      attrs: { _FillValue: -1 },
      compression: parseCompression("zstd"),
    });
    const part = Int16Array.from([1, 2, 3, 4]); // the 1x4 edge chunk at index (1, 0)
    const chunk = decodeChunk(meta, encodeChunk(meta, part, [1, 4])) as Int16Array;
    expect(Array.from(chunk)).toEqual([1, 2, 3, 4, ...new Array(12).fill(-1)]);
    const v2 = createArrayMeta({ ...meta, zarrFormat: 2, attrs: {}, fillValue: undefined });
    const c2 = decodeChunk(v2, encodeChunk(v2, Int16Array.from([7]), [1, 1])) as Int16Array;
    expect(Array.from(c2)).toEqual([7, ...new Array(15).fill(0)]);
    const s = createArrayMeta({ ...meta, dtype: "string", attrs: {}, fillValue: undefined });
    expect(decodeChunk(s, encodeChunk(s, ["a", "b"], [2, 1]))).toEqual([
      "a",
      "",
      "",
      "",
      "b",
      ...new Array(11).fill(""),
    ]);
  });

  it("stores one whole chunk for a 0-d array", () => {
    const meta = createArrayMeta({
      zarrFormat: 2,
      path: "s",
      dtype: "float64",
      shape: [],
      chunks: [],
      dimensionNames: [],
      attrs: {},
      compression: parseCompression("none"),
    });
    const bytes = encodeChunk(meta, Float64Array.of(2.5), []);
    expect(bytes.length).toBe(8);
    expect(Array.from(decodeChunk(meta, bytes) as Float64Array)).toEqual([2.5]);
  });

  it("refuses data whose element type or size does not match", () => {
    const meta = createArrayMeta({
      zarrFormat: 3,
      path: "x",
      dtype: "float32",
      shape: [4],
      chunks: [4],
      dimensionNames: ["a"],
      attrs: {},
      compression: parseCompression("none"),
    });
    expect(() => encodeChunk(meta, new Float64Array(4), [4])).toThrow(ConversionError);
    expect(() => encodeChunk(meta, new Float32Array(3), [4])).toThrow(/3 elements/);
    expect(() => encodeChunk(meta, new Float32Array(5), [5])).toThrow(/exceeds/);
    const u8 = createArrayMeta({ ...meta, dtype: "char", fillValue: undefined });
    expect(() => encodeChunk(u8, Buffer.from("abcd"), [4])).not.toThrow(); // Buffer is a Uint8Array
    expect(() => decodeChunk(meta, new Uint8Array(12))).toThrow(/12 bytes, expected 16/);
    const z = createArrayMeta({ ...meta, compression: parseCompression("zstd") });
    expect(() => decodeChunk(z, new Uint8Array([1, 2, 3]))).toThrow(/cannot decompress/);
  });

  it("returns chunk bytes that own their whole buffer, ready to transfer to another thread", () => {
    for (const method of METHODS) {
      const meta = createArrayMeta({
        zarrFormat: 2,
        path: "x",
        dtype: "uint8",
        shape: [3],
        chunks: [3],
        dimensionNames: ["a"],
        attrs: {},
        compression: parseCompression(method),
      });
      const data = new Uint8Array(100).subarray(10, 13);
      const out = encodeChunk(meta, data, [3]);
      expect(out.byteOffset, method).toBe(0);
      expect(out.byteLength, method).toBe(out.buffer.byteLength);
      expect(out.buffer).not.toBe(data.buffer);
      expect(Array.from(decodeChunk(meta, out) as Uint8Array)).toEqual([0, 0, 0]);
      const whole = Uint8Array.of(1, 2, 3);
      expect(encodeChunk(meta, whole, [3]).buffer, method).not.toBe(whole.buffer);
    }
  });

  it("never returns data that aliases the caller's chunk bytes", () => {
    const meta = createArrayMeta({
      zarrFormat: 3,
      path: "x",
      dtype: "int32",
      shape: [4],
      chunks: [4],
      dimensionNames: ["a"],
      attrs: {},
      compression: parseCompression("none"),
    });
    const bytes = new Uint8Array(encodeChunk(meta, Int32Array.of(1, 2, 3, 4), [4]));
    const decoded = decodeChunk(meta, bytes) as Int32Array;
    bytes.fill(0);
    expect(Array.from(decoded)).toEqual([1, 2, 3, 4]);
  });

  it("pads with an exact 64-bit fill", () => {
    const meta = createArrayMeta({
      zarrFormat: 2,
      path: "u",
      dtype: "uint64" as DType,
      shape: [3],
      chunks: [2],
      dimensionNames: ["a"],
      attrs: { _FillValue: 18446744073709551614n },
      compression: parseCompression("lz4"),
    });
    const c = decodeChunk(meta, encodeChunk(meta, BigUint64Array.of(5n), [1])) as BigUint64Array;
    expect(Array.from(c)).toEqual([5n, 18446744073709551614n]);
  });
});
