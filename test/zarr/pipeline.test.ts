/**
 * The codec pipeline in the Zarr v3 model: which codecs an array gets, their two JSON forms read
 * back into the same pipeline, the order v3 requires, and the hot path's zero-copy serializer.
 * (The exact documents and bytes are pinned by metadata.test.ts, codecs.test.ts and interop.)
 */
import { describe, expect, it } from "vitest";
import type { DataArray, DType } from "../../src/dataset/types.js";
import { InputError } from "../../src/errors.js";
import { decodeChunk, encodeChunk } from "../../src/zarr/array.js";
import { parseCompression } from "../../src/zarr/compression.js";
import type { JsonObject } from "../../src/zarr/json.js";
import { arrayDocuments, createArrayMeta } from "../../src/zarr/metadata.js";
import { parseArrayDocuments } from "../../src/zarr/metadata-parse.js";
import type { ArrayToArrayCodec } from "../../src/zarr/pipeline/codec.js";
import {
  CodecMetadataError,
  type CodecPipeline,
  chunkSpecOf,
  compressionOf,
  decodeArray,
  decodeCompressed,
  encodeChunkBytes,
  pipelineFor,
  pipelineFromV2,
  pipelineFromV3,
  v2Codecs,
  v3Codecs,
} from "../../src/zarr/pipeline/pipeline.js";

const SPECS = ["none", "gzip:4", "zlib:2", "zstd:5", "lz4", "blosc:lz4:7:bitshuffle", "blosc"];
const DTYPES: DType[] = ["int8", "uint16", "int64", "float32", "float64", "char", "string"];

const kinds = (p: CodecPipeline) => [
  ...p.arrayToArray.map((c) => c.kind),
  p.arrayToBytes.kind,
  ...p.bytesToBytes.map((c) => c.kind),
];

describe("pipelineFor", () => {
  it("gives one array→bytes codec chosen by the element type, then the compressor", () => {
    const src = (dtype: DType, stringLength?: number) => ({
      dtype,
      stringLength,
      compression: parseCompression("blosc:zstd:3"),
    });
    const names = (p: CodecPipeline) => v3Codecs(p).map((c) => c.name);
    expect(names(pipelineFor(src("float32")))).toEqual(["bytes", "blosc"]);
    expect(kinds(pipelineFor(src("float32")))).toEqual(["array_to_bytes", "bytes_to_bytes"]);
    expect(names(pipelineFor(src("string")))).toEqual(["vlen-utf8", "blosc"]);
    // Fixed-length UTF-32 elements are fixed-size, so the plain bytes codec serialises them.
    expect(v3Codecs(pipelineFor(src("string", 3)))[0]).toEqual({
      name: "bytes",
      configuration: { endian: "little" },
    });
    expect(v3Codecs(pipelineFor(src("char")))[0]).toEqual({ name: "bytes" });
    expect(kinds(pipelineFor({ dtype: "int16", compression: { method: "none" } }))).toEqual([
      "array_to_bytes",
    ]);
  });

  it("is built once per meta and rebuilt when its compression is replaced", () => {
    const meta = createArrayMeta({
      zarrFormat: 3,
      path: "v",
      dtype: "float32",
      shape: [4],
      chunks: [4],
      dimensionNames: ["x"],
      attrs: {},
      compression: parseCompression("zstd:3"),
    });
    const first = pipelineFor(meta);
    expect(pipelineFor(meta)).toBe(first);
    const changed = { ...meta, compression: parseCompression("gzip:1") };
    expect(v3Codecs(pipelineFor(changed)).map((c) => c.name)).toEqual(["bytes", "gzip"]);
    expect(pipelineFor(meta)).toBe(first);
  });

  it("serialises numbers as a view of the chunk: no copy before the compressor", () => {
    const p = pipelineFor({ dtype: "float64", compression: { method: "none" } });
    const data = new Float64Array([1, 2, 3]);
    const bytes = encodeChunkBytes(p, data, [3]);
    expect(bytes.buffer).toBe(data.buffer);
    // encodeChunk still hands out a buffer of its own (it is transferred between threads).
    const meta = createArrayMeta({
      zarrFormat: 2,
      path: "v",
      dtype: "float64",
      shape: [3],
      chunks: [3],
      dimensionNames: ["x"],
      attrs: {},
      compression: { method: "none" },
    });
    expect(encodeChunk(meta, data, [3]).buffer).not.toBe(data.buffer);
  });
});

describe("metadata forms", () => {
  for (const dtype of DTYPES) {
    it(`${dtype}: every compression reads back from v3 codecs and v2 compressor+filters`, () => {
      for (const text of SPECS) {
        const spec = parseCompression(text);
        const chunk = chunkSpecOf({ dtype });
        const p = pipelineFor({ dtype, compression: spec });
        const v3 = pipelineFromV3(v3Codecs(p), chunk);
        expect(v3Codecs(v3)).toEqual(v3Codecs(p));
        expect(compressionOf(v3)).toEqual(spec);
        const { compressor, filters } = v2Codecs(p);
        expect(filters).toEqual(dtype === "string" ? [{ id: "vlen-utf8" }] : null);
        const v2 = pipelineFromV2(compressor, filters, chunk);
        expect(v2Codecs(v2)).toEqual({ compressor, filters });
        expect(compressionOf(v2)).toEqual(spec);
      }
    });
  }

  it("reads numcodecs-prefixed names as the same codecs", () => {
    const chunk = chunkSpecOf({ dtype: "string" });
    const p = pipelineFromV3(
      [{ name: "numcodecs.vlen-utf8" }, { name: "numcodecs.zstd", configuration: { level: 2 } }],
      chunk,
    );
    expect(compressionOf(p)).toEqual({ method: "zstd", level: 2 });
  });

  const refused: [string, JsonObject[], DType, RegExp][] = [
    [
      "a compressor before the serializer",
      [{ name: "gzip" }, { name: "bytes" }],
      "int16",
      /before the array-to-bytes/,
    ],
    [
      "two serializers",
      [{ name: "bytes" }, { name: "bytes" }],
      "int16",
      /after another array-to-bytes/,
    ],
    ["no serializer", [{ name: "zstd" }], "int16", /before the array-to-bytes|no array-to-bytes/],
    [
      "bytes on variable-length strings",
      [{ name: "bytes" }],
      "string",
      /cannot serialise string data \(expected vlen-utf8\)/,
    ],
    [
      "vlen-utf8 on numbers",
      [{ name: "vlen-utf8" }],
      "float32",
      /cannot serialise float32 data \(expected bytes\)/,
    ],
    [
      "an unknown codec",
      [{ name: "bytes" }, { name: "bz2" }],
      "int16",
      /codec "bz2" is not supported/,
    ],
    [
      "sharding (not yet)",
      [{ name: "sharding_indexed", configuration: {} }],
      "int16",
      /sharding_indexed/,
    ],
    [
      "a big-endian serializer",
      [{ name: "bytes", configuration: { endian: "big" } }],
      "int16",
      /codec bytes: endian big/,
    ],
    [
      "an unknown blosc cname",
      [{ name: "bytes" }, { name: "blosc", configuration: { cname: "snappy" } }],
      "int16",
      /blosc cname snappy/,
    ],
  ];
  for (const [what, codecs, dtype, pattern] of refused) {
    it(`refuses ${what}`, () => {
      expect(() => pipelineFromV3(codecs, chunkSpecOf({ dtype }))).toThrow(CodecMetadataError);
      expect(() => pipelineFromV3(codecs, chunkSpecOf({ dtype }))).toThrow(pattern);
    });
  }

  it("refuses v2 filters other than vlen-utf8 on strings", () => {
    const spec = chunkSpecOf({ dtype: "float32" });
    expect(() => pipelineFromV2(null, [{ id: "delta" }], spec)).toThrow(/filters/);
    expect(() => pipelineFromV2(null, null, chunkSpecOf({ dtype: "string" }))).toThrow(/filters/);
    expect(() => pipelineFromV2({ id: "bz2" }, null, spec)).toThrow(/v2 compressor "bz2"/);
  });

  it("parseArrayDocuments turns codec problems into an InputError naming the array, with a hint", () => {
    const meta = createArrayMeta({
      zarrFormat: 3,
      path: "t2m",
      dtype: "float32",
      shape: [4],
      chunks: [4],
      dimensionNames: ["x"],
      attrs: {},
      compression: parseCompression("zstd:3"),
    });
    const z = arrayDocuments(meta)["zarr.json"];
    const parse = (codecs: JsonObject[]) => () =>
      parseArrayDocuments(3, "t2m", { "zarr.json": { ...z, codecs } });
    let err: unknown;
    try {
      parse([{ name: "bytes" }, { name: "crc32c" }])();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(
      'Invalid Zarr metadata for t2m: codec "crc32c" is not supported.',
    );
    expect((err as InputError).hint).toMatch(/reads the codecs bytes, vlen-utf8, gzip/);
    // Two compressors are a valid v3 pipeline, but ArrayMeta records one compression.
    expect(parse([{ name: "bytes" }, { name: "gzip" }, { name: "zstd" }])).toThrow(
      /codec chain bytes \+ gzip \+ zstd is not supported/,
    );
  });
});

describe("array→array codecs", () => {
  // A stand-in for transpose on 1-d chunks: reverses the elements.
  const reverse: ArrayToArrayCodec = {
    kind: "array_to_array",
    v3: () => ({ name: "test.reverse" }),
    encodedShape: (shape) => [...shape],
    encode: (chunk) => Float32Array.from(chunk as Float32Array).reverse(),
    decode: (chunk) => Float32Array.from(chunk as Float32Array).reverse(),
  };

  it("run before the serializer and are undone after it", () => {
    const base = pipelineFor({ dtype: "float32", compression: parseCompression("zstd:1") });
    const p: CodecPipeline = { ...base, arrayToArray: [reverse] };
    const data = new Float32Array([1, 2, 3, 4]);
    const encoded = encodeChunkBytes(p, data, [4]);
    const plain = decodeArray(base, decodeCompressed(base, encoded), [4], true) as Float32Array;
    expect(Array.from(plain)).toEqual([4, 3, 2, 1]);
    const back = decodeArray(p, decodeCompressed(p, encoded), [4], true) as DataArray;
    expect(Array.from(back as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(v3Codecs(p).map((c) => c.name)).toEqual(["test.reverse", "bytes", "zstd"]);
    expect(() => v2Codecs(p)).toThrow(/no Zarr v2 form/);
  });
});

describe("encodeChunk/decodeChunk through the pipeline", () => {
  it("wraps a codec's error in a ConversionError naming the array", () => {
    const meta = createArrayMeta({
      zarrFormat: 3,
      path: "names",
      dtype: "string",
      shape: [2],
      chunks: [2],
      dimensionNames: ["x"],
      attrs: {},
      compression: { method: "none" },
      stringLength: 2,
    });
    expect(() => encodeChunk(meta, ["ab", "abc"], [2])).toThrow(/^Array names: string "abc"/);
    const vlen = { ...meta, stringLength: undefined };
    expect(() => decodeChunk(vlen, new Uint8Array([1, 0, 0, 0]))).toThrow(
      /^Array names: vlen-utf8 buffer holds 1 items, expected 2/,
    );
  });
});
