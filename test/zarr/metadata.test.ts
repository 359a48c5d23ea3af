import { describe, expect, it } from "vitest";
import type { Attrs, DType } from "../../src/dataset/types.js";
import { ConfigError, InputError } from "../../src/errors.js";
import { parseCompression } from "../../src/zarr/compression.js";
import { type Json, type JsonObject, parseJson, stringifyJson } from "../../src/zarr/json.js";
import {
  type ArrayMetaInput,
  arrayChunkKey,
  arrayDocuments,
  charDimName,
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

  it("without _FillValue: NaN for floats (never-written reads missing), null otherwise", () => {
    for (const dtype of ALL_DTYPES) {
      const fill = docs(createArrayMeta(input(dtype, {})))[".zarray"].fill_value;
      if (dtype === "float32" || dtype === "float64") expect(fill, dtype).toBe("NaN");
      else expect(fill, dtype).toBeNull();
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
    // Non-finite numbers are Python json's bare tokens, which zarr-python reads as floats.
    expect(text).toContain('"nan": NaN');
    expect(parseJson(text)).toMatchObject({
      small: 3,
      nan: Number.NaN,
      inf: [1, Number.POSITIVE_INFINITY],
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
        // A v2 fill_value is xarray's _FillValue, so a float's default NaN comes back as one.
        const back =
          !withFill && meta.fillValue !== null
            ? { ...meta, attrs: { ...meta.attrs, _FillValue: meta.fillValue as number } }
            : meta;
        expect(parseArrayDocuments(2, "v", docs(meta))).toEqual(back);
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

  it("defaults fill_value to NaN for floats, netCDF's default fill for integers, '' for strings and chars", () => {
    const fills = Object.fromEntries(
      ALL_DTYPES.map((d) => [d, docs(createArrayMeta(input(d, {}, 3)))["zarr.json"].fill_value]),
    );
    expect(fills).toEqual({
      int8: -127,
      uint8: 255,
      int16: -32767,
      uint16: 65535,
      int32: -2147483647,
      uint32: 4294967295,
      int64: -9223372036854775806n,
      uint64: 18446744073709551614n,
      float32: "NaN",
      float64: "NaN",
      char: "",
      string: "",
    });
  });

  it("writes char data as xarray does: n-byte strings with the string dimension folded, or 1-byte strings", () => {
    const folded = createArrayMeta({
      ...input("char", { _FillValue: " " }, 3),
      chunks: [5, 20],
      foldChars: true,
    });
    const f = docs(folded)["zarr.json"];
    expect(f.data_type).toEqual({
      name: "null_terminated_bytes",
      configuration: { length_bytes: 20 },
    });
    expect(f.shape).toEqual([10]);
    expect((f.chunk_grid as JsonObject).configuration).toEqual({ chunk_shape: [5] });
    expect(f.dimension_names).toEqual(["time"]);
    // xarray's v3 reader cannot decode a _FillValue on bytes (the archive would not open).
    expect(f.attributes).toEqual({});
    expect(arrayChunkKey(folded, [1, 0])).toBe("v/c/1");
    expect(() => createArrayMeta({ ...input("char", {}, 3), foldChars: true })).toThrow(
      /last dimension.*one chunk/,
    );
    const c = docs(createArrayMeta(input("char", {}, 3)))["zarr.json"];
    expect(c.data_type).toEqual({
      name: "null_terminated_bytes",
      configuration: { length_bytes: 1 },
    });
    expect(c.shape).toEqual([10, 20]);
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
    const u = docs(createArrayMeta({ ...input("string", {}, 3, "zstd:5"), stringLength: 9 }))[
      "zarr.json"
    ];
    expect(u.data_type).toEqual({
      name: "fixed_length_utf32",
      configuration: { length_bytes: 36 },
    });
    expect((u.codecs as Json[])[0]).toEqual({ name: "bytes", configuration: { endian: "little" } });
  });

  it("writes non-finite attributes as the bare tokens Python's json reads as floats", () => {
    const meta = createArrayMeta(input("float32", { nan: Number.NaN, inf: [1, -Infinity] }, 3));
    const text = stringifyJson(arrayDocuments(meta)["zarr.json"]);
    expect(text).toContain('"nan": NaN');
    expect(text).toContain('"inf": [1, -Infinity]');
  });

  it("leaves out a _FillValue xarray itself drops (NaN on integers)", () => {
    const z = docs(createArrayMeta(input("int16", { _FillValue: Number.NaN, units: "m" }, 3)))[
      "zarr.json"
    ];
    expect(z.attributes).toEqual({ units: "m" });
    expect(z.fill_value).toBe(-32767);
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
        const extra =
          dtype === "char"
            ? { chunks: [5, 20], foldChars: true }
            : dtype === "string"
              ? { stringLength: 4 }
              : {};
        const meta = createArrayMeta({ ...input(dtype, { a: 1, ...attrs }, 3, method), ...extra });
        // Zarr v3 names no string dimension and keeps no _FillValue on fixed-length text.
        const back =
          dtype === "char"
            ? { ...meta, dimensionNames: ["time", charDimName(20)], attrs: { a: 1 } }
            : dtype === "string"
              ? { ...meta, attrs: { a: 1 } }
              : meta;
        expect(parseArrayDocuments(3, "v", docs(meta))).toEqual(back);
        if (dtype === "string") {
          const vlen = createArrayMeta(input(dtype, { a: 1, ...attrs }, 3, method));
          expect(parseArrayDocuments(3, "v", docs(vlen))).toEqual(vlen);
        }
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
