import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import {
  readArchiveMetadata,
  readJson,
  writeArrayMetadata,
  writeConsolidated,
  writeGroupMetadata,
} from "../../src/zarr/archive.js";
import { parseCompression } from "../../src/zarr/compression.js";
import type { JsonObject } from "../../src/zarr/json.js";
import { type ArrayMeta, charDimName, createArrayMeta } from "../../src/zarr/metadata.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import { sampleData, writeAllChunks } from "./helpers.js";

function arrays(format: 2 | 3): ArrayMeta[] {
  const common = { zarrFormat: format, compression: parseCompression("blosc:zstd:3") } as const;
  return [
    createArrayMeta({
      ...common,
      path: "time",
      dtype: "float64",
      shape: [10],
      chunks: [10],
      dimensionNames: ["time"],
      attrs: { units: "hours since 1900-01-01", calendar: "gregorian" },
    }),
    createArrayMeta({
      ...common,
      path: "t2m",
      dtype: "int16",
      shape: [10, 4, 5],
      chunks: [5, 4, 5],
      dimensionNames: ["time", "lat", "lon"],
      attrs: { scale_factor: 0.01, add_offset: 273.15, _FillValue: -32767 },
    }),
    createArrayMeta({
      ...common,
      path: "sub/name",
      dtype: "string",
      shape: [3],
      chunks: [3],
      dimensionNames: ["station"],
      attrs: {},
    }),
    createArrayMeta({
      ...common,
      path: "sub/deeper/code",
      dtype: "char",
      shape: [3, 4],
      chunks: [3, 4],
      dimensionNames: ["station", "strlen"],
      attrs: { _FillValue: " " },
      foldChars: true,
    }),
  ];
}

/**
 * What reading an array's documents gives back: Zarr v3 keeps no name for a char array's folded
 * string dimension, and a v2 fill_value is xarray's _FillValue (NaN for floats without one).
 */
function readBack(meta: ArrayMeta): ArrayMeta {
  const out = { ...meta, attrs: { ...meta.attrs }, dimensionNames: [...meta.dimensionNames] };
  if (meta.zarrFormat === 3 && meta.dtype === "char") {
    // xarray's v3 reader cannot decode a _FillValue on bytes, so none is written.
    delete out.attrs._FillValue;
    if (meta.foldChars) {
      out.dimensionNames[out.dimensionNames.length - 1] = charDimName(
        meta.shape[meta.shape.length - 1],
      );
    }
  }
  if (meta.zarrFormat === 2 && meta.attrs._FillValue === undefined && meta.fillValue !== null) {
    out.attrs._FillValue = meta.fillValue as number;
  }
  return out;
}

async function build(format: 2 | 3): Promise<MemoryStore> {
  const store = new MemoryStore();
  await writeGroupMetadata(store, format, { title: "archive", Conventions: "CF-1.8" });
  await writeGroupMetadata(store, format, { kind: "stations" }, "sub");
  await writeGroupMetadata(store, format, {}, "sub/deeper");
  for (const meta of arrays(format)) {
    await writeArrayMetadata(store, meta);
    await writeAllChunks(
      store,
      meta,
      sampleData(
        meta.dtype,
        meta.shape.reduce((a, b) => a * b, 1),
      ),
    );
  }
  await writeConsolidated(store, format);
  return store;
}

for (const format of [2, 3] as const) {
  describe(`zarr v${format} archive metadata`, () => {
    it("reads back what was written, from consolidated metadata and by walking", async () => {
      const store = await build(format);
      for (const consolidated of [true, false]) {
        const md = await readArchiveMetadata(store, { consolidated });
        expect(md.format).toBe(format);
        expect(md.consolidated).toBe(consolidated);
        expect(md.attrs).toEqual({ title: "archive", Conventions: "CF-1.8" });
        expect([...md.groups.keys()].sort()).toEqual(["sub", "sub/deeper"]);
        expect(md.groups.get("sub")).toEqual({ kind: "stations" });
        expect([...md.arrays.keys()].sort()).toEqual([
          "sub/deeper/code",
          "sub/name",
          "t2m",
          "time",
        ]);
        for (const meta of arrays(format)) expect(md.arrays.get(meta.path)).toEqual(readBack(meta));
      }
    });

    it("sees metadata changes only when told not to trust consolidated metadata", async () => {
      const store = await build(format);
      const grown = { ...arrays(format)[0], shape: [20] };
      await writeArrayMetadata(store, grown);
      expect((await readArchiveMetadata(store)).arrays.get("time")?.shape).toEqual([10]);
      expect(
        (await readArchiveMetadata(store, { consolidated: false })).arrays.get("time")?.shape,
      ).toEqual([20]);
      await writeConsolidated(store, format);
      expect((await readArchiveMetadata(store)).arrays.get("time")?.shape).toEqual([20]);
    });
  });
}

describe("consolidated metadata layout", () => {
  it("v2 .zmetadata holds every .zgroup/.zarray/.zattrs", async () => {
    const store = await build(2);
    const z = (await readJson(store, ".zmetadata")) as JsonObject;
    expect(z.zarr_consolidated_format).toBe(1);
    expect(Object.keys(z.metadata as JsonObject).sort()).toEqual([
      ".zattrs",
      ".zgroup",
      "sub/.zattrs",
      "sub/.zgroup",
      "sub/deeper/.zattrs",
      "sub/deeper/.zgroup",
      "sub/deeper/code/.zarray",
      "sub/deeper/code/.zattrs",
      "sub/name/.zarray",
      "sub/name/.zattrs",
      "t2m/.zarray",
      "t2m/.zattrs",
      "time/.zarray",
      "time/.zattrs",
    ]);
  });

  it("v3 inlines flat, depth-sorted metadata in the root zarr.json", async () => {
    const store = await build(3);
    const root = (await readJson(store, "zarr.json")) as JsonObject;
    const cm = root.consolidated_metadata as JsonObject;
    expect(cm.kind).toBe("inline");
    expect(cm.must_understand).toBe(false);
    expect(Object.keys(cm.metadata as JsonObject)).toEqual([
      "sub",
      "t2m",
      "time",
      "sub/deeper",
      "sub/name",
      "sub/deeper/code",
    ]);
    const t2m = (cm.metadata as JsonObject).t2m as JsonObject;
    expect(t2m.node_type).toBe("array");
    expect(t2m).toEqual(await readJson(store, "t2m/zarr.json"));
  });
});

describe("opening something that is not an archive", () => {
  it("says so", async () => {
    await expect(readArchiveMetadata(new MemoryStore())).rejects.toThrow(InputError);
    const rootArray = new MemoryStore();
    await rootArray.set(".zarray", new TextEncoder().encode("{}"));
    await expect(readArchiveMetadata(rootArray)).rejects.toThrow(/root is a Zarr array/);
    const broken = new MemoryStore();
    await broken.set("zarr.json", new TextEncoder().encode("{not json"));
    await expect(readArchiveMetadata(broken)).rejects.toThrow(
      /zarr.json: the archive.s metadata is not valid JSON/,
    );
  });
});
