import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ZarrConverter } from "../../src/converter.js";
import type { DataArray } from "../../src/dataset/types.js";
import { ConfigError } from "../../src/errors.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { openDataset } from "../../src/readers/index.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { chunkGrid, decodeChunk } from "../../src/zarr/array.js";
import { chunkKey } from "../../src/zarr/keys.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import type { Store } from "../../src/zarr/store/types.js";
import { fixture, real, tempDir } from "../helpers/paths.js";

/** Reassemble a whole array from its chunks with the Zarr side's own decoder. */
async function readBack(store: Store, name: string): Promise<number[]> {
  const meta = (await readArchiveMetadata(store)).arrays.get(name);
  if (!meta) throw new Error(`no array ${name}`);
  const out = new Array(meta.shape.reduce((a, b) => a * b, 1)).fill(Number.NaN);
  const grid = chunkGrid(meta);
  const index = grid.map(() => 0);
  const total = grid.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    const bytes = await store.get(chunkKey(meta.zarrFormat, name, index));
    if (!bytes) throw new Error(`missing chunk ${index}`);
    const chunk = decodeChunk(meta, bytes) as Exclude<DataArray, string[]>;
    const pos = meta.chunks.map(() => 0);
    for (let i = 0; i < chunk.length; i++) {
      const at = pos.map((p, d) => index[d] * meta.chunks[d] + p);
      if (at.every((a, d) => a < meta.shape[d])) {
        const flat = at.reduce((f, a, d) => f * meta.shape[d] + a, 0);
        out[flat] = Number(chunk[i]);
      }
      for (let d = pos.length - 1; d >= 0; d--) {
        if (++pos[d] < meta.chunks[d]) break;
        pos[d] = 0;
      }
    }
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < grid[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

async function sourceValues(path: string, name: string): Promise<number[]> {
  const ds = await openDataset(path);
  try {
    const v = ds.variables.find((x) => x.name === name);
    if (!v) throw new Error(name);
    return Array.from(
      (await v.read(
        v.shape.map(() => 0),
        v.shape,
      )) as Float32Array,
      Number,
    );
  } finally {
    await ds.close();
  }
}

describe("convertToZarr", () => {
  it("applies chunking per dimension name and keeps every value (chunks that do not divide the shape)", async () => {
    const store = new MemoryStore();
    const result = await convertToZarr(fixture("nc4_chunked.nc"), "mem", {
      store,
      chunking: { time: 10, lon: 7 },
      compression: "zstd:5",
    });
    expect(result.variables.sort()).toEqual(["checked", "field"]);
    const meta = await readArchiveMetadata(store);
    expect(meta.format).toBe(3);
    expect(meta.consolidated).toBe(true);
    const field = meta.arrays.get("field");
    expect(field?.chunks).toEqual([10, 23, 7]);
    expect(field?.dimensionNames).toEqual(["time", "lat", "lon"]);
    expect(field?.compression).toMatchObject({ method: "zstd", level: 5 });
    expect(await readBack(store, "field")).toEqual(
      await sourceValues(fixture("nc4_chunked.nc"), "field"),
    );
  });

  it("writes Zarr v2 with extra global attributes and a variable selection", async () => {
    const store = new MemoryStore();
    await convertToZarr(real("xclim-testdata_tas.sresb1.giss_model_e_r.run1.atm.da.nc"), "mem", {
      store,
      zarrFormat: 2,
      variables: ["tas"],
      attrs: { project: "demo" },
    });
    const meta = await readArchiveMetadata(store);
    expect(meta.format).toBe(2);
    expect(meta.attrs.project).toBe("demo");
    // tas brings its dimension coordinates, their bounds and its `coordinates` (height).
    expect([...meta.arrays.keys()].sort()).toEqual([
      "height",
      "lat",
      "lat_bnds",
      "lon",
      "lon_bnds",
      "tas",
      "time",
      "time_bnds",
    ]);
  });

  it("builds on disk in a staging directory and leaves only the finished archive", async () => {
    const dir = tempDir();
    const out = join(dir, "sample.zarr");
    const seen: number[] = [];
    await convertToZarr(real("netcdf-c_ref_nctest_classic.nc"), out, {
      progress: (u) => seen.push(u.doneTasks),
    });
    expect(readdirSync(dir)).toEqual(["sample.zarr"]);
    expect(existsSync(join(out, "zarr.json"))).toBe(true);
    expect(seen.length).toBeGreaterThan(1);
    expect(await readBack(new FsStore(out), "ce")).toEqual(
      await sourceValues(real("netcdf-c_ref_nctest_classic.nc"), "ce"),
    );
  });

  it("refuses options of features that are not built yet instead of ignoring them", async () => {
    await expect(
      convertToZarr(fixture("nc4_chunked.nc"), "mem", {
        store: new MemoryStore(),
        shards: { x: 2 },
      }),
    ).rejects.toThrow(/does not support shards/);
  });
});

describe("ZarrConverter", () => {
  it("validates its configuration up front", () => {
    expect(() => new ZarrConverter({ compression: "blosc:snappy" })).toThrow(
      /snappy is not supported/,
    );
    expect(() => new ZarrConverter({ chunk_size: 3 } as never)).toThrow(ConfigError);
  });

  it("converts with its configuration (the seed's constructor form)", async () => {
    const converter = new ZarrConverter({
      chunking: { time: 5 },
      compression: "blosc:lz4:5",
      zarrFormat: 2,
    });
    const store = new MemoryStore();
    await converter.convert(fixture("nc4_chunked.nc"), "mem", { store });
    const meta = await readArchiveMetadata(store);
    expect(meta.arrays.get("field")?.chunks).toEqual([5, 23, 19]);
  });
});
