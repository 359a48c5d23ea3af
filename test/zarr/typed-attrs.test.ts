/**
 * Attribute and fill-value encodings that xarray's view depends on: a float attribute stays a
 * float in JSON, non-finite floats are bare tokens in v2 (Python's json) and strings in v3
 * (strict JSON), and consolidation embeds documents verbatim so none of that is lost.
 */
import { describe, expect, it } from "vitest";
import {
  readArchiveMetadata,
  writeArrayMetadata,
  writeConsolidated,
  writeGroupMetadata,
} from "../../src/zarr/archive.js";
import { parseCompression } from "../../src/zarr/compression.js";
import { encodeAttrs, parseJson, stringifyJson } from "../../src/zarr/json.js";
import { arrayDocuments, createArrayMeta } from "../../src/zarr/metadata.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe("typed attributes", () => {
  it("writes float-typed integral values with a decimal point and ints as ints", () => {
    const json = stringifyJson(
      encodeAttrs(
        { valid_max: 100, missing: Math.fround(1e20), range: [0, 100], count: 3 },
        {
          attrTypes: { valid_max: "float32", missing: "float32", range: "float64", count: "int32" },
        },
      ),
      0,
    );
    expect(json).toBe(
      '{"valid_max":100.0,"missing":100000002004087730000.0,"range":[0.0,100.0],"count":3}',
    );
  });

  it("keeps the sign of a float -0.0 and writes exponents Python reads as the same float", () => {
    const attrs = { z: -0, tiny: Math.fround(1e-45), big: Math.fround(3.4e38) };
    const types = { z: "float32", tiny: "float32", big: "float32" } as const;
    expect(stringifyJson(encodeAttrs(attrs, { attrTypes: types }), 0)).toBe(
      '{"z":-0.0,"tiny":1.401298464324817e-45,"big":3.3999999521443642e+38}',
    );
  });

  it("writes non-finite floats as bare tokens for v2 and as strings for v3, and parses both", () => {
    const attrs = { a: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] };
    const types = { a: "float64" as const };
    const v2 = stringifyJson(encodeAttrs(attrs, { attrTypes: types, bareNonFinite: true }), 0);
    expect(v2).toBe('{"a":[NaN,Infinity,-Infinity]}');
    expect(stringifyJson(encodeAttrs(attrs, { attrTypes: types }), 0)).toBe(
      '{"a":["NaN","Infinity","-Infinity"]}',
    );
    const parsed = parseJson(v2) as { a: number[] };
    expect(parsed.a[0]).toBeNaN();
    expect(parsed.a.slice(1)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it("keeps a NaN _FillValue on an integer variable as an attribute with no Zarr fill (v2)", () => {
    const meta = createArrayMeta({
      zarrFormat: 2,
      path: "z",
      dtype: "int16",
      shape: [2],
      chunks: [2],
      dimensionNames: ["x"],
      attrs: { _FillValue: Number.NaN, scale_factor: 2 },
      attrTypes: { _FillValue: "float64", scale_factor: "float64" },
      compression: parseCompression("none"),
    });
    expect(meta.fillValue).toBeNull();
    const docs = arrayDocuments(meta);
    expect(docs[".zarray"].fill_value).toBeNull();
    expect(stringifyJson(docs[".zattrs"], 0)).toContain('"_FillValue":NaN');
    expect(stringifyJson(docs[".zattrs"], 0)).toContain('"scale_factor":2.0');
  });

  it("consolidates documents verbatim, in v2 and v3", async () => {
    for (const format of [2, 3] as const) {
      const store = new MemoryStore();
      await writeGroupMetadata(store, format, { version: 1 }, "", { version: "float64" });
      await writeArrayMetadata(
        store,
        createArrayMeta({
          zarrFormat: format,
          path: "t",
          dtype: "float32",
          shape: [3],
          chunks: [3],
          dimensionNames: ["t"],
          attrs: { valid_min: 0 },
          attrTypes: { valid_min: "float32" },
          compression: parseCompression("none"),
        }),
      );
      await writeConsolidated(store, format);
      const consolidated = text(await store.get(format === 2 ? ".zmetadata" : "zarr.json"));
      expect(consolidated).toContain('"version": 1.0');
      expect(consolidated).toContain('"valid_min": 0.0');
      const meta = await readArchiveMetadata(store);
      expect(meta.consolidated).toBe(true);
      expect(meta.arrays.get("t")?.attrs.valid_min).toBe(0);
    }
  });
});
