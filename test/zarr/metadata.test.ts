import { describe, expect, it } from "vitest";
import type { Attrs, DType } from "../../src/dataset/types.js";
import { ConfigError, InputError } from "../../src/errors.js";
import { parseCompression } from "../../src/zarr/compression.js";
import { type Json, type JsonObject, parseJson, stringifyJson } from "../../src/zarr/json.js";
import {
  type ArrayMetaInput,
  arrayDocuments,
  createArrayMeta,
  groupDocuments,
} from "../../src/zarr/metadata.js";
import { parseArrayDocuments } from "../../src/zarr/metadata-parse.js";
import { ALL_DTYPES } from "./helpers.js";

function input(
  dtype: DType,
  attrs: Attrs,
  format: 2 | 3 = 2,
  method = "blosc:zstd:3",
): ArrayMetaInput {
  return {
    zarrFormat: format,
    path: "v",
    dtype,
    shape: [10, 20],
    chunks: [5, 7],
    dimensionNames: ["time", "lat"],
    attrs,
    compression: parseCompression(method),
  };
}

/** Documents as a reader sees them after a trip through the JSON text. */
function docs(meta: ReturnType<typeof createArrayMeta>): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const [k, v] of Object.entries(arrayDocuments(meta)))
    out[k] = parseJson(stringifyJson(v)) as JsonObject;
  return out;
}

describe("v2 metadata", () => {
  it("writes .zarray/.zattrs for numeric data with _FillValue moved to fill_value", () => {
    const meta = createArrayMeta(
      input("int16", { units: "K", _FillValue: -32767, scale_factor: 0.5 }),
    );
    const d = docs(meta);
    expect(d[".zarray"]).toEqual({
      zarr_format: 2,
      shape: [10, 20],
      chunks: [5, 7],
      dtype: "<i2",
      compressor: { id: "blosc", cname: "zstd", clevel: 3, shuffle: 1, blocksize: 0 },
      fill_value: -32767,
      filters: null,
      order: "C",
      dimension_separator: ".",
    });
    expect(d[".zattrs"]).toEqual({
      units: "K",
      scale_factor: 0.5,
      _ARRAY_DIMENSIONS: ["time", "lat"],
    });
  });

  it("uses fill_value null when the variable has no _FillValue", () => {
    for (const dtype of ALL_DTYPES) {
      expect(docs(createArrayMeta(input(dtype, {})))[".zarray"].fill_value).toBeNull();
    }
  });

  it("maps every dtype", () => {
    const expected: Record<DType, string> = {
      int8: "|i1",
      uint8: "|u1",
      int16: "<i2",
      uint16: "<u2",
      int32: "<i4",
      uint32: "<u4",
      int64: "<i8",
      uint64: "<u8",
      float32: "<f4",
      float64: "<f8",
      char: "|S1",
      string: "|O",
    };
    for (const dtype of ALL_DTYPES) {
      expect(docs(createArrayMeta(input(dtype, {})))[".zarray"].dtype).toBe(expected[dtype]);
    }
  });

  it("writes strings as |O with the vlen-utf8 filter, chars as |S1 with a base64 fill", () => {
    const s = docs(createArrayMeta(input("string", { _FillValue: "N/A" })))[".zarray"];
    expect(s.filters).toEqual([{ id: "vlen-utf8" }]);
    expect(s.fill_value).toBe("N/A");
    const c = docs(createArrayMeta(input("char", { _FillValue: "x" })))[".zarray"];
    expect(c.fill_value).toBe(Buffer.from("x").toString("base64"));
  });

  it("encodes non-finite and 64-bit fill values exactly", () => {
    expect(
      docs(createArrayMeta(input("float32", { _FillValue: Number.NaN })))[".zarray"].fill_value,
    ).toBe("NaN");
    expect(
      docs(createArrayMeta(input("float64", { _FillValue: -Infinity })))[".zarray"].fill_value,
    ).toBe("-Infinity");
    const u = createArrayMeta(input("uint64", { _FillValue: 18446744073709551614n }));
    expect(stringifyJson(arrayDocuments(u)[".zarray"])).toContain(
      '"fill_value": 18446744073709551614',
    );
    expect(docs(u)[".zarray"].fill_value).toBe(18446744073709551614n);
  });

  it("encodes attributes as strict JSON", () => {
    const meta = createArrayMeta(
      input("float32", {
        big: 2n ** 62n,
        small: 3n,
        nan: Number.NaN,
        inf: [1, Number.POSITIVE_INFINITY],
        s: ["a", "é"],
      }),
    );
    const text = stringifyJson(arrayDocuments(meta)[".zattrs"]);
    expect([...text].every((ch) => ch.charCodeAt(0) < 0x80)).toBe(true); // zarr 2 reads metadata as ASCII
    expect(JSON.parse(text)).toMatchObject({
      small: 3,
      nan: "NaN",
      inf: [1, "Infinity"],
      s: ["a", "é"],
    });
    expect(text).toContain(`"big": ${2n ** 62n}`);
  });

  it("round trips through parseArrayDocuments", () => {
    for (const dtype of ALL_DTYPES) {
      for (const withFill of [false, true]) {
        const fill =
          {
            string: "-",
            char: "\u0001",
            float32: 1.5,
            float64: Number.NaN,
            int64: -(2n ** 62n),
            uint64: 2n ** 63n,
          }[dtype as string] ?? 7;
        const attrs: Attrs = withFill ? { units: "m", _FillValue: fill as never } : { units: "m" };
        const meta = createArrayMeta(input(dtype, attrs));
        expect(parseArrayDocuments(2, "v", docs(meta))).toEqual(meta);
      }
    }
  });
});

describe("v3 metadata", () => {
  it("writes zarr.json with dimension_names, codecs and _FillValue kept as xarray encodes it", () => {
    const meta = createArrayMeta(input("float32", { units: "K", _FillValue: -999 }, 3));
    const z = docs(meta)["zarr.json"];
    const fillB64 = Buffer.alloc(8);
    fillB64.writeDoubleLE(-999);
    expect(z).toEqual({
      zarr_format: 3,
      node_type: "array",
      shape: [10, 20],
      data_type: "float32",
      chunk_grid: { name: "regular", configuration: { chunk_shape: [5, 7] } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      fill_value: -999,
      codecs: [
        { name: "bytes", configuration: { endian: "little" } },
        {
          name: "blosc",
          configuration: {
            typesize: 4,
            cname: "zstd",
            clevel: 3,
            shuffle: "shuffle",
            blocksize: 0,
          },
        },
      ],
      attributes: { units: "K", _FillValue: fillB64.toString("base64") },
      dimension_names: ["time", "lat"],
      storage_transformers: [],
    });
  });

  it("defaults fill_value to NaN for floats, 0 for integers and chars, '' for strings", () => {
    const fills = Object.fromEntries(
      ALL_DTYPES.map((d) => [d, docs(createArrayMeta(input(d, {}, 3)))["zarr.json"].fill_value]),
    );
    expect(fills).toEqual({
      int8: 0,
      uint8: 0,
      int16: 0,
      uint16: 0,
      int32: 0,
      uint32: 0,
      int64: 0,
      uint64: 0,
      float32: "NaN",
      float64: "NaN",
      char: 0,
      string: "",
    });
  });

  it("marks char data and writes strings with vlen-utf8 before the compressor", () => {
    const c = docs(createArrayMeta(input("char", {}, 3)))["zarr.json"];
    expect(c.data_type).toBe("uint8");
    expect((c.attributes as JsonObject)._zarrify_dtype).toBe("char");
    expect(c.codecs).toEqual([
      { name: "bytes" },
      {
        name: "blosc",
        configuration: { typesize: 1, cname: "zstd", clevel: 3, shuffle: "shuffle", blocksize: 0 },
      },
    ]);
    const s = docs(createArrayMeta(input("string", { _FillValue: "?" }, 3, "zstd:5")))["zarr.json"];
    expect(s.data_type).toBe("string");
    expect(s.codecs).toEqual([
      { name: "vlen-utf8", configuration: {} },
      { name: "zstd", configuration: { level: 5, checksum: false } },
    ]);
    expect((s.attributes as JsonObject)._FillValue).toBe("?");
  });

  it("names zlib and lz4 as numcodecs codecs", () => {
    expect(
      docs(createArrayMeta(input("int32", {}, 3, "zlib:4")))["zarr.json"].codecs,
    ).toContainEqual({ name: "numcodecs.zlib", configuration: { level: 4 } });
    expect(docs(createArrayMeta(input("int32", {}, 3, "lz4")))["zarr.json"].codecs).toContainEqual({
      name: "numcodecs.lz4",
      configuration: { acceleration: 1 },
    });
    expect(
      docs(createArrayMeta(input("int32", {}, 3, "gzip:2")))["zarr.json"].codecs,
    ).toContainEqual({ name: "gzip", configuration: { level: 2 } });
    expect(docs(createArrayMeta(input("int32", {}, 3, "none")))["zarr.json"].codecs).toEqual([
      { name: "bytes", configuration: { endian: "little" } },
    ]);
  });

  it("round trips through parseArrayDocuments", () => {
    for (const dtype of ALL_DTYPES) {
      for (const method of [
        "none",
        "gzip:1",
        "zlib:2",
        "zstd:4",
        "lz4",
        "blosc:lz4hc:7:bitshuffle",
      ]) {
        const attrs: Attrs =
          dtype === "string"
            ? { _FillValue: "x" }
            : dtype === "char"
              ? { _FillValue: "\u0003" }
              : { _FillValue: dtype.startsWith("int64") || dtype.startsWith("uint64") ? 5n : 5 };
        const meta = createArrayMeta(input(dtype, { a: 1, ...attrs }, 3, method));
        expect(parseArrayDocuments(3, "v", docs(meta))).toEqual(meta);
      }
    }
  });
});

describe("validation", () => {
  it("rejects bad shapes, chunks, paths and unusable fill values", () => {
    expect(() => createArrayMeta({ ...input("int8", {}), chunks: [0, 7] })).toThrow(ConfigError);
    expect(() => createArrayMeta({ ...input("int8", {}), chunks: [5] })).toThrow(/same length/);
    expect(() => createArrayMeta({ ...input("int8", {}), shape: [-1, 2] })).toThrow(ConfigError);
    expect(() => createArrayMeta({ ...input("int8", {}), path: "a/../b" })).toThrow(ConfigError);
    expect(() => createArrayMeta(input("int8", { _FillValue: 300 }))).toThrow(InputError);
    expect(() => createArrayMeta(input("uint16", { _FillValue: 1.5 }))).toThrow(/not an integer/);
    expect(() => createArrayMeta(input("float32", { _FillValue: "abc" }))).toThrow(/not a number/);
    expect(() => createArrayMeta(input("char", { _FillValue: "ab" }))).toThrow(/single byte/);
    expect(() => createArrayMeta(input("int32", { _FillValue: [1, 2] }))).toThrow(/single value/);
  });
  it("accepts a fill value override and single-element vectors", () => {
    expect(createArrayMeta({ ...input("int32", { _FillValue: [4] }) }).fillValue).toBe(4);
    expect(createArrayMeta({ ...input("int32", { _FillValue: 4 }), fillValue: 9 }).fillValue).toBe(
      9,
    );
  });
  it("refuses metadata it cannot read back faithfully", () => {
    const meta = createArrayMeta(input("float32", {}, 3));
    const z = docs(meta)["zarr.json"];
    const bad = (patch: JsonObject) => () =>
      parseArrayDocuments(3, "v", { "zarr.json": { ...z, ...patch } as Json });
    expect(bad({ data_type: "complex64" })).toThrow(InputError);
    expect(bad({ codecs: [{ name: "sharding_indexed", configuration: {} }] })).toThrow(InputError);
    expect(bad({ codecs: [{ name: "bytes", configuration: { endian: "big" } }] })).toThrow(
      /endian/,
    );
    expect(bad({ codecs: [{ name: "bytes" }, { name: "crc32c" }] })).toThrow(/crc32c/);
    const z2 = docs(createArrayMeta(input("float32", {})))[".zarray"];
    expect(() => parseArrayDocuments(2, "v", { ".zarray": { ...z2, dtype: ">f4" } })).toThrow(
      /not supported/,
    );
    expect(() => parseArrayDocuments(2, "v", { ".zarray": { ...z2, order: "F" } })).toThrow(
      /C order/,
    );
  });
});

describe("groups", () => {
  it("writes v2 .zgroup/.zattrs and v3 zarr.json", () => {
    expect(groupDocuments(2, { title: "x" })).toEqual({
      ".zgroup": { zarr_format: 2 },
      ".zattrs": { title: "x" },
    });
    expect(groupDocuments(3, { n: 1n })).toEqual({
      "zarr.json": { zarr_format: 3, node_type: "group", attributes: { n: 1 } },
    });
  });
});
