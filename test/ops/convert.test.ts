import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ZarrConverter } from "../../src/converter.js";
import { ConfigError } from "../../src/errors.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { openDataset } from "../../src/readers/index.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { readBox } from "../../src/zarr/read.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import type { Store } from "../../src/zarr/store/types.js";
import { fixture, real, tempDir } from "../helpers/paths.js";

/** Reassemble a whole array from its chunks with the Zarr side's own decoder. */
async function readBack(store: Store, name: string): Promise<number[]> {
  const meta = (await readArchiveMetadata(store)).arrays.get(name);
  if (!meta) throw new Error(`no array ${name}`);
  const values = await readBox(
    store,
    meta,
    meta.shape.map(() => 0),
    meta.shape,
  );
  return Array.from(values as ArrayLike<number>, Number);
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

  it("writes shards of whole chunks in v3 and reads them back", async () => {
    const store = new MemoryStore();
    await convertToZarr(fixture("nc4_chunked.nc"), "mem", {
      store,
      zarrFormat: 3,
      chunking: { time: 4, lat: 5 },
      shards: { time: 12 },
    });
    const md = await readArchiveMetadata(store);
    const field = md.arrays.get("field");
    expect(field?.chunks).toEqual([4, 5, 19]);
    // lat is left out of shards: one shard along it, in whole chunks.
    expect(field?.shards).toEqual([12, 25, 19]);
    // checked(lat) has no time dimension: not sharded.
    expect(md.arrays.get("checked")?.shards).toBeUndefined();
    expect(await readBack(store, "field")).toEqual(
      await sourceValues(fixture("nc4_chunked.nc"), "field"),
    );
  });

  it("refuses shards in Zarr v2 and shards that cut chunks, naming what to choose", async () => {
    const store = new MemoryStore();
    await expect(
      convertToZarr(fixture("nc4_chunked.nc"), "mem", {
        store,
        zarrFormat: 2,
        shards: { time: 8 },
      }),
    ).rejects.toThrow(/'shards' needs zarrFormat 3/);
    await expect(
      convertToZarr(fixture("nc4_chunked.nc"), "mem", {
        store,
        zarrFormat: 3,
        chunking: { time: 4 },
        shards: { time: 10 },
      }),
    ).rejects.toThrow(/shards: time:10 does not hold whole chunks of field/);
    await expect(
      convertToZarr(fixture("nc4_chunked.nc"), "mem", {
        store,
        zarrFormat: 3,
        shards: { tiem: 8 },
      }),
    ).rejects.toThrow(/shards: .* has no dimension 'tiem' \(did you mean 'time'\?\)/);
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
