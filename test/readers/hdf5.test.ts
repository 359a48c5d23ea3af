import { spawnSync } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttrValue, DataArray, Dataset, DType } from "../../src/dataset/types.js";
import { InputError } from "../../src/errors.js";
import { MAX_PIECE_BYTES } from "../../src/readers/hdf5/slab.js";
import { type Hdf5Dataset, hdf5Magic, openHdf5, requireSupported } from "../../src/readers/hdf5.js";
import { fixture, python, real, realDir, repoRoot, tempDir } from "../helpers/paths.js";
import { ALL_DTYPES } from "../zarr/helpers.js";

// ---- the Python oracle (netCDF4-python, no masking/scaling/char conversion) ----------------------

interface PyAttr {
  type: string;
  scalar?: boolean;
  value: unknown;
}
interface PyVar {
  name: string;
  dtype: string;
  dims: string[];
  shape: number[];
  chunks: number[] | null;
  attrs?: [string, PyAttr][];
  data: { b64: string } | { strings: string[] } | null;
}
interface PyGroup {
  dims: { name: string; size: number; unlimited: boolean }[];
  attrs: [string, PyAttr][];
  variables: PyVar[];
}
interface PyDump {
  error?: string;
  groups: Record<string, PyGroup>;
}

/** Dump `files` with the Python oracle; returns a reader for the n-th dump and a cleanup. */
function dumpWithPython(files: string[]): { dump: (n: number) => PyDump; cleanup: () => void } {
  const out = tempDir("zarrify-hdf5-dump-");
  const script = join(repoRoot, "test/readers/dump_netcdf4.py");
  const run = spawnSync(python, [script, out, ...files], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`dump_netcdf4.py failed: ${run.stderr}`);
  return {
    dump: (n) => JSON.parse(readFileSync(join(out, `${n}.json`), "utf8")) as PyDump,
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}

/** The NetCDF-4/HDF5 files of the corpus, by their signature (ncdump -k says netCDF-4 for all). */
const realFiles = readdirSync(realDir)
  .filter((name) => {
    const head = readFileSync(join(realDir, name)).subarray(0, 4096);
    return hdf5Magic(head);
  })
  .sort();

/**
 * Attributes that do not track creation order: netCDF-C lists them in HDF5's internal order, which
 * h5wasm does not expose (it lists them by name), so only their names and values are compared.
 */
const NO_CREATION_ORDER = new Set(["geocat_MLS-Aura_L2GP-IWC_v02-21-c02_2007d210.he5.h5"]);

const UNREPRESENTABLE = new Set(["compound", "vlen", "opaque"]);

/** netCDF4-python's numpy type names for the numeric attribute types. */
const NUMERIC_ATTR_TYPES = new Set<string>(
  ALL_DTYPES.filter((t) => t !== "char" && t !== "string"),
);

// ---- conversions to comparable values ------------------------------------------------------------

function pyNumber(v: unknown): number | string {
  if (v === "NaN") return "NaN";
  if (v === "Inf") return "Infinity";
  if (v === "-Inf") return "-Infinity";
  return v as number;
}

function expectedAttr(a: PyAttr): unknown {
  if (a.type === "str") return a.value;
  if (a.type === "bytes") return Buffer.from(a.value as number[]).toString("latin1");
  if (a.type === "strs") return a.value;
  const values = (a.value as unknown[]).map((v) =>
    a.type.endsWith("int64") ? String(v) : pyNumber(v),
  );
  return a.scalar ? values[0] : values;
}

function ourAttr(v: AttrValue): unknown {
  const one = (x: unknown): unknown =>
    typeof x === "bigint"
      ? x.toString()
      : typeof x === "number" && !Number.isFinite(x)
        ? String(x)
        : x;
  return Array.isArray(v) ? (v as unknown[]).map(one) : one(v);
}

function attrList(attrs: Record<string, AttrValue>): [string, unknown][] {
  return Object.entries(attrs).map(([k, v]) => [k, ourAttr(v)]);
}

function expectedAttrList(attrs: [string, PyAttr][]): [string, unknown][] {
  return attrs.map(([k, a]) => [k, expectedAttr(a)]);
}

function bytesOf(data: DataArray): Buffer {
  if (Array.isArray(data)) throw new Error("string data has no bytes");
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function compareAttrs(
  ours: Record<string, AttrValue>,
  types: Record<string, DType> | undefined,
  py: [string, PyAttr][],
  ordered: boolean,
) {
  const a = attrList(ours);
  const b = expectedAttrList(py);
  if (ordered) expect(a).toEqual(b);
  else expect(Object.fromEntries(a)).toEqual(Object.fromEntries(b));
  // The stored type is what keeps a float 100.0 a float in the Zarr JSON.
  const numeric = py.filter(([, x]) => NUMERIC_ATTR_TYPES.has(x.type));
  expect(Object.fromEntries(numeric.map(([n]) => [n, types?.[n]]))).toEqual(
    Object.fromEntries(numeric.map(([n, x]) => [n, x.type])),
  );
}

/** Elements of the box [start, start+count) from a C-order array of `shape`. */
function extractBox(full: DataArray, shape: number[], start: number[], count: number[]): unknown[] {
  const out: unknown[] = [];
  const rank = shape.length;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((p, x) => p * x, 1));
  const index = new Array<number>(rank).fill(0);
  const total = count.reduce((p, x) => p * x, 1);
  for (let n = 0; n < total; n++) {
    let offset = 0;
    for (let d = 0; d < rank; d++) offset += (start[d] + index[d]) * strides[d];
    out.push((full as ArrayLike<unknown>)[offset]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < count[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** A box strictly inside the shape where possible: the middle half of each axis. */
function innerBox(shape: number[]): { start: number[]; count: number[] } {
  const start = shape.map((n) => Math.floor(n / 4));
  const count = shape.map((n, d) => Math.max(0, Math.min(n - start[d], Math.ceil(n / 2))));
  return { start, count };
}

/** Compare every group of one file with netCDF4-python's view of it. */
async function compareFile(path: string, dump: PyDump, plainHdf5: boolean): Promise<void> {
  expect(dump.error).toBeUndefined();
  for (const [groupPath, pyGroup] of Object.entries(dump.groups)) {
    const ds = await openHdf5(path, { group: groupPath });
    try {
      expect(ds.group).toBe(groupPath);
      expect(ds.format).toBe("hdf5");
      await compareGroup(ds, groupPath, pyGroup, dump, plainHdf5);
    } finally {
      await ds.close();
    }
  }
}

function ancestorDim(dump: PyDump, groupPath: string, name: string) {
  let g = groupPath;
  while (g !== "/") {
    g = g.slice(0, g.lastIndexOf("/")) || "/";
    const dim = dump.groups[g].dims.find((d) => d.name === name);
    if (dim) return dim;
  }
  return undefined;
}

async function compareGroup(
  ds: Hdf5Dataset,
  groupPath: string,
  py: PyGroup,
  dump: PyDump,
  plainHdf5: boolean,
): Promise<void> {
  // Own dimensions exactly as netCDF4-python lists them; the others are ancestors' dimensions
  // that this group's variables use.
  const own = new Set(py.dims.map((d) => d.name));
  expect(ds.dims.filter((d) => own.has(d.name))).toEqual(py.dims);
  const inherited = ds.dims.filter((d) => !own.has(d.name));
  const usedInherited = new Set(
    py.variables
      .filter((v) => !UNREPRESENTABLE.has(v.dtype))
      .flatMap((v) => v.dims)
      .filter((n) => !own.has(n)),
  );
  expect(inherited.map((d) => d.name).sort()).toEqual([...usedInherited].sort());
  for (const dim of inherited) expect(ancestorDim(dump, groupPath, dim.name)).toEqual(dim);

  compareAttrs(ds.attrs, ds.attrTypes, py.attrs, !plainHdf5);

  const representable = py.variables.filter((v) => !UNREPRESENTABLE.has(v.dtype));
  expect(ds.variables.map((v) => v.name)).toEqual(representable.map((v) => v.name));
  expect(ds.unsupported.map((u) => u.name)).toEqual(
    py.variables.filter((v) => UNREPRESENTABLE.has(v.dtype)).map((v) => v.name),
  );

  for (const [i, pv] of representable.entries()) {
    const v = ds.variables[i];
    const label = `${groupPath}:${pv.name}`;
    expect(v.dtype, label).toBe(pv.dtype.replace(/^enum:/, ""));
    expect(v.dims, label).toEqual(pv.dims);
    expect(v.shape, label).toEqual(pv.shape);
    expect(v.sourceChunks ?? null, label).toEqual(pv.chunks);
    compareAttrs(v.attrs, v.attrTypes, pv.attrs ?? [], !plainHdf5);

    const full = await v.read(
      v.shape.map(() => 0),
      v.shape,
    );
    const data = pv.data as { b64: string } | { strings: string[] };
    if ("strings" in data) expect(full, label).toEqual(data.strings);
    else expect(bytesOf(full).equals(Buffer.from(data.b64, "base64")), label).toBe(true);

    if (v.shape.length > 0 && v.shape.every((n) => n > 1)) {
      const { start, count } = innerBox(v.shape);
      const part = await v.read(start, count);
      expect(Array.from(part as ArrayLike<unknown>), `${label} slab`).toEqual(
        extractBox(full, v.shape, start, count),
      );
    }
  }
}

// ---- tests --------------------------------------------------------------------------------------

describe("hdf5Magic", () => {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  it("finds the signature at 0 and after a user block at 512/1024/2048", () => {
    for (const offset of [0, 512, 1024, 2048]) {
      const bytes = new Uint8Array(4096);
      bytes.set(sig, offset);
      expect(hdf5Magic(bytes), String(offset)).toBe(true);
    }
  });
  it("rejects other offsets, NetCDF-3 and too-short input", () => {
    const bytes = new Uint8Array(4096);
    bytes.set(sig, 256);
    expect(hdf5Magic(bytes)).toBe(false);
    expect(hdf5Magic(Buffer.from("CDF\x01\0\0\0\0"))).toBe(false);
    expect(hdf5Magic(new Uint8Array(sig.slice(0, 7)))).toBe(false);
    const late = new Uint8Array(2055);
    late.set(sig.slice(0, 7), 2048);
    expect(hdf5Magic(late)).toBe(false);
  });
});

describe("openHdf5 on the real NetCDF-4/HDF5 corpus", () => {
  let oracle: ReturnType<typeof dumpWithPython>;
  beforeAll(() => {
    oracle = dumpWithPython(realFiles.map(real));
  });
  afterAll(() => oracle.cleanup());

  it("covers the 43 NetCDF-4 files of the corpus", () => {
    expect(realFiles).toHaveLength(43);
  });

  for (const [i, name] of realFiles.entries()) {
    it(`${name} matches netCDF4-python`, async () => {
      await compareFile(real(name), oracle.dump(i), NO_CREATION_ORDER.has(name));
    });
  }

  it("lists the compound variable as unsupported and requireSupported names it", async () => {
    const ds = await openHdf5(real("netcdf-c_ref_tst_compounds.nc"));
    try {
      expect(ds.variables).toEqual([]);
      expect(ds.unsupported).toEqual([
        { name: "obs", reason: "compound (struct) data types are not supported" },
      ]);
      expect(() => requireSupported(ds)).toThrow(InputError);
      expect(() => requireSupported(ds)).toThrow(/netcdf-c_ref_tst_compounds\.nc.*'obs'.*compound/);
      try {
        requireSupported(ds);
      } catch (err) {
        expect((err as InputError).hint).toBe("use variables/dropVariables to leave it out");
      }
      expect(() => requireSupported(ds, ["other"])).not.toThrow();
    } finally {
      await ds.close();
    }
  });

  it("reads an enum variable as its base integer type and keeps the mapping", async () => {
    const ds = await openHdf5(real("netcdf-c_ref_tst_irish_rover.nc"));
    try {
      const [v] = ds.variables;
      expect(v.dtype).toBe("uint64");
      expect(v.enumMembers?.dogs).toBe(5000000);
      expect(Object.keys(v.enumMembers ?? {})).toHaveLength(8);
    } finally {
      await ds.close();
    }
  });

  it("reads SZIP-compressed data (h5wasm has the filter)", async () => {
    const ds = await openHdf5(real("netcdf-c_ref_szip.h5"));
    try {
      const [v] = ds.variables;
      expect(v.sourceFilters).toEqual(["szip"]);
      expect(v.sourceChunks).toEqual([20, 10]);
      expect(Array.from((await v.read([0, 0], [2, 3])) as Int32Array)).toEqual([
        0, 1, 2, 20, 21, 22,
      ]);
    } finally {
      await ds.close();
    }
  });

  it("reports deflate level and shuffle from the filter pipeline", async () => {
    const ds = await openHdf5(real("xarray-data_basin_mask.nc"));
    try {
      const v = ds.variables.find((x) => x.name === "basin");
      expect(v?.sourceFilters).toEqual(["shuffle", "deflate(5)"]);
    } finally {
      await ds.close();
    }
  });
});

describe("openHdf5 on our NetCDF-4 fixtures", () => {
  const names = [
    "nc4_strings.nc",
    "nc4_groups.nc",
    "nc4_unlimited.nc",
    "nc4_types.nc",
    "nc4_chunked.nc",
  ];
  let oracle: ReturnType<typeof dumpWithPython>;
  beforeAll(() => {
    oracle = dumpWithPython(names.map(fixture));
  });
  afterAll(() => oracle.cleanup());

  for (const [i, name] of names.entries()) {
    it(`${name} matches netCDF4-python`, async () => {
      await compareFile(fixture(name), oracle.dump(i), false);
    });
  }

  it("vlen and char strings", async () => {
    const ds = await openHdf5(fixture("nc4_strings.nc"));
    try {
      const byName = Object.fromEntries(ds.variables.map((v) => [v.name, v]));
      expect(byName.station_name.dtype).toBe("string");
      expect(await byName.station_name.read([0], [4])).toEqual([
        "Zürich",
        "",
        "São Paulo",
        "x".repeat(40),
      ]);
      expect(await byName.comment.read([], [])).toEqual(["a scalar string"]);
      expect(await byName.labels.read([1, 1], [2, 1])).toEqual(["d", "f"]);
      const code = byName.code;
      expect(code.dtype).toBe("char");
      const bytes = (await code.read([1, 0], [1, 8])) as Uint8Array;
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(bytes).toString("latin1")).toBe("DEFGHIJK");
      expect(code.attrs._FillValue).toBe("*");
      expect(ds.attrs.one_string).toBe("single NC_STRING");
      expect(ds.attrs.many_strings).toEqual(["alpha", "beta", "γάμμα"]);
    } finally {
      await ds.close();
    }
  });

  it("nested groups inherit their ancestors' dimensions; a child's own dim shadows the root's", async () => {
    const ds = await openHdf5(fixture("nc4_groups.nc"), { group: "a/b" });
    try {
      expect(ds.group).toBe("/a/b");
      expect(ds.dims).toEqual([
        { name: "time", size: 2, unlimited: true },
        { name: "x", size: 3, unlimited: false },
        { name: "y", size: 2, unlimited: false },
        { name: "z", size: 4, unlimited: false },
      ]);
      expect(ds.variables.map((v) => [v.name, v.dims])).toEqual([["v", ["time", "y", "z", "x"]]]);
    } finally {
      await ds.close();
    }
    const c = await openHdf5(fixture("nc4_groups.nc"), { group: "/c/" });
    try {
      expect(c.dims).toEqual([{ name: "x", size: 5, unlimited: false }]);
      expect(c.variables[0].shape).toEqual([5]);
    } finally {
      await c.close();
    }
    const root = await openHdf5(fixture("nc4_groups.nc"));
    try {
      expect(root.group).toBe("/");
      expect(root.variables.map((v) => v.name)).toEqual(["time", "x"]);
    } finally {
      await root.close();
    }
  });

  it("children(): the group tree from the open file; a child's close leaves the file open", async () => {
    const root = await openHdf5(fixture("nc4_tree.nc"));
    try {
      const [forecast, obs] = root.children?.() ?? [];
      expect([forecast.group, obs.group]).toEqual(["/forecast", "/obs"]);
      expect(obs.variables).toEqual([]);
      expect(obs.attrs).toEqual({ source: "none yet" });
      const [stats] = forecast.children?.() ?? [];
      expect(stats.group).toBe("/forecast/ensemble stats");
      // The root's dimensions its variables use are visible in the child, as netCDF allows.
      expect(stats.dims.map((d) => d.name)).toEqual(["time", "lat", "station", "strlen"]);
      await stats.close();
      const spread = stats.variables.find((v) => v.name === "spread");
      expect(Array.from((await spread?.read([0, 0], [1, 3])) as Float64Array)).toEqual([
        0, 0.125, 0.25,
      ]);
      expect(stats.children?.().map((c) => c.group)).toEqual(["/forecast/ensemble stats/deep"]);
    } finally {
      await root.close();
    }
  });

  it("two unlimited dimensions; records past a variable's last write read as its fill value", async () => {
    const ds = await openHdf5(fixture("nc4_unlimited.nc"));
    try {
      expect(ds.dims).toEqual([
        { name: "t1", size: 5, unlimited: true },
        { name: "t2", size: 6, unlimited: true },
        { name: "n", size: 3, unlimited: false },
      ]);
      const short = ds.variables.find((v) => v.name === "short");
      expect(short?.shape).toEqual([5, 3]);
      expect(Array.from((await short?.read([1, 1], [3, 2])) as Float64Array)).toEqual([
        4, 5, -999, -999, -999, -999,
      ]);
      const nofill = ds.variables.find((v) => v.name === "nofill_attr");
      expect(Array.from((await nofill?.read([0], [3])) as Int16Array)).toEqual([5, -32767, -32767]);
    } finally {
      await ds.close();
    }
  });

  it("big-endian data arrives in native order; 64-bit integers as BigInt", async () => {
    const ds = await openHdf5(fixture("nc4_types.nc"));
    try {
      const byName = Object.fromEntries(ds.variables.map((v) => [v.name, v]));
      const f4 = (await byName.be_f4.read([0], [3])) as Float32Array;
      expect(f4).toBeInstanceOf(Float32Array);
      expect(Array.from(f4)).toEqual([1.5, -2.25, Number.NaN]);
      expect(Array.from((await byName.be_f8.read([0], [3])) as Float64Array)).toEqual([
        1e300,
        -0,
        Number.POSITIVE_INFINITY,
      ]);
      expect(Array.from((await byName.be_i2.read([0], [3])) as Int16Array)).toEqual([
        -2, 258, 32767,
      ]);
      const i8 = (await byName.v_i8.read([0], [3])) as BigInt64Array;
      expect(i8).toBeInstanceOf(BigInt64Array);
      expect(Array.from(i8)).toEqual([-(2n ** 63n), 0n, 2n ** 63n - 1n]);
      const u8 = (await byName.v_u8.read([0], [3])) as BigUint64Array;
      expect(Array.from(u8)).toEqual([0n, 1n, 2n ** 64n - 1n]);
      expect(byName.v_u8.attrs.valid_max).toBe(2n ** 64n - 1n);
      expect(ds.attrs.big_attr).toBe(-(2n ** 63n) + 1n);
      expect(ds.attrs.ubig_attr).toEqual([0n, 2n ** 64n - 1n]);
    } finally {
      await ds.close();
    }
  });

  it("chunked deflate+shuffle data whose chunks do not divide the shape", async () => {
    const ds = await openHdf5(fixture("nc4_chunked.nc"));
    try {
      const field = ds.variables.find((v) => v.name === "field");
      expect(field?.sourceChunks).toEqual([10, 7, 5]);
      expect(field?.sourceFilters).toEqual(["shuffle", "deflate(4)"]);
      const checked = ds.variables.find((v) => v.name === "checked");
      expect(checked?.sourceFilters).toEqual(["fletcher32"]);
      if (!field) throw new Error("no field");
      const full = await field.read([0, 0, 0], [37, 23, 19]);
      // Boxes across chunk edges, including the ragged last chunk of each axis.
      for (const [start, count] of [
        [
          [9, 6, 4],
          [2, 2, 2],
        ],
        [
          [30, 21, 15],
          [7, 2, 4],
        ],
        [
          [0, 0, 18],
          [37, 23, 1],
        ],
      ] as const) {
        const part = await field.read([...start], [...count]);
        expect(Array.from(part as Float32Array)).toEqual(
          extractBox(full, [37, 23, 19], [...start], [...count]),
        );
      }
    } finally {
      await ds.close();
    }
  });

  it("rejects slabs outside the shape", async () => {
    const ds = await openHdf5(fixture("nc4_chunked.nc"));
    try {
      const field = ds.variables[0];
      await expect(field.read([0, 0, 0], [38, 1, 1])).rejects.toThrow(RangeError);
      await expect(field.read([0, 0], [1, 1])).rejects.toThrow(RangeError);
    } finally {
      await ds.close();
    }
  });
});

describe("attributes whose names look like netCDF-C's own", () => {
  // Only netCDF-C's reserved names, in their exact case, are storage detail; a user's
  // _NCPROPERTIES (netcdf4-python_test_gold.nc) is data like any other attribute.
  const gold = real("netcdf4-python_test_gold.nc");
  const goldBytes = [...Buffer.from("version=1|netcdflibversion=4.6.1|hdf5libversion=1.10.4\0")];

  it("keeps a user's _NCPROPERTIES and hides only the exact _NCProperties", async () => {
    const dir = tempDir();
    const path = join(dir, "nc-names.nc");
    const made = spawnSync(python, [
      "-c",
      `
import sys, netCDF4, numpy as np
with netCDF4.Dataset(sys.argv[1], "w") as ds:
    ds.setncattr("_NCPROPERTIES", "mine")
    ds.setncattr("_ncsomething", np.int32(3))
    ds.createDimension("x", 2)
    v = ds.createVariable("v", "i4", ("x",))
    v.setncattr("_NCPROPERTIES", "also mine")
    v[:] = [1, 2]
`,
      path,
    ]);
    expect(made.status, made.stderr?.toString()).toBe(0);
    // netCDF-C wrote its own _NCProperties too (ncdump -s shows the special attributes).
    const dump = spawnSync("ncdump", ["-s", "-h", path], { encoding: "utf8" });
    expect(dump.stdout).toMatch(/:_NCProperties = "version=/);
    const ds = await openHdf5(path);
    try {
      expect(ds.attrs._NCPROPERTIES).toBe("mine");
      expect(ds.attrs._ncsomething).toBe(3);
      expect(ds.attrs).not.toHaveProperty("_NCProperties");
      expect(ds.variables[0].attrs._NCPROPERTIES).toBe("also mine");
    } finally {
      await ds.close();
    }
  });

  it("keeps netcdf4-python_test_gold.nc's _NCPROPERTIES bytes", async () => {
    const ds = await openHdf5(gold);
    try {
      expect(Array.from(ds.attrs._NCPROPERTIES as number[])).toEqual(goldBytes);
    } finally {
      await ds.close();
    }
  });

  it("writes it into the archive (v2 and v3), and the comparator misses it when it is gone", async () => {
    const { convertToZarr } = await import("../../src/ops/convert.js");
    const dir = tempDir();
    const v3 = join(dir, "gold3.zarr");
    await convertToZarr(gold, v3, { zarrFormat: 3 });
    const v2 = join(dir, "gold2.zarr");
    await convertToZarr(gold, v2, { zarrFormat: 2 });
    // The metadata may hold NaN tokens, which Python's json reads and JavaScript's does not.
    const py = (code: string, archive = v2) => {
      const r = spawnSync(python, ["-c", code, archive], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const attrOf = (doc: string, key: string) =>
      `import json, sys; print(json.dumps(json.load(open(sys.argv[1] + "/${doc}"))${key}.get("_NCPROPERTIES")))`;
    expect(JSON.parse(py(attrOf("zarr.json", '["attributes"]'), v3))).toEqual(goldBytes);
    expect(JSON.parse(py(attrOf(".zattrs", "")))).toEqual(goldBytes);
    const compare = () =>
      JSON.parse(
        spawnSync(python, [join(repoRoot, "test/interop/compare_xarray.py"), gold, v2], {
          encoding: "utf8",
          maxBuffer: 64 * 1024 * 1024,
        }).stdout,
      ) as { ok: boolean; differences: string[] };
    expect(compare().differences).toEqual([]);
    // xarray's zarr reader hides "_NC*" attributes, so the comparator checks them in the raw
    // Zarr attributes: an archive without it must not pass.
    py(`
import json, sys
a = json.load(open(sys.argv[1] + "/.zattrs")); del a["_NCPROPERTIES"]
json.dump(a, open(sys.argv[1] + "/.zattrs", "w"))
m = json.load(open(sys.argv[1] + "/.zmetadata")); del m["metadata"][".zattrs"]["_NCPROPERTIES"]
json.dump(m, open(sys.argv[1] + "/.zmetadata", "w"))
`);
    const broken = compare();
    expect(broken.ok).toBe(false);
    expect(broken.differences.join("\n")).toMatch(/'_NCPROPERTIES' is missing from the archive/);
  }, 60_000);
});

describe("slabs larger than one WASM piece", () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = tempDir("zarrify-hdf5-big-");
    file = join(dir, "big.nc");
    // 40 x 512 x 1024 float32 = 80 MiB > MAX_PIECE_BYTES, chunks (3, 128, 256): pieces must be
    // split along time, on chunk boundaries.
    const script = `
import netCDF4, numpy as np
with netCDF4.Dataset(${JSON.stringify(file)}, "w") as ds:
    ds.createDimension("t", 40); ds.createDimension("y", 512); ds.createDimension("x", 1024)
    v = ds.createVariable("v", "f4", ("t", "y", "x"), zlib=True, complevel=1, shuffle=True, chunksizes=(3, 128, 256))
    for t in range(40):
        v[t] = (np.arange(512 * 1024, dtype="f4").reshape(512, 1024) + t * 1e6)
`;
    const run = spawnSync(python, ["-c", script], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(run.stderr);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // h5wasm's piece splitting (raw: false), and the raw chunk path over the same many chunks.
  it.each([false, true])(
    "is read in pieces into one buffer with the right values (raw %s)",
    async (raw) => {
      expect(40 * 512 * 1024 * 4).toBeGreaterThan(MAX_PIECE_BYTES);
      const ds = await openHdf5(file, { raw });
      try {
        const v = ds.variables[0];
        const data = (await v.read([1, 0, 0], [38, 512, 1024])) as Float32Array;
        expect(data.length).toBe(38 * 512 * 1024);
        for (const t of [0, 1, 17, 37]) {
          for (const [y, x] of [
            [0, 0],
            [511, 1023],
            [200, 300],
          ]) {
            expect(data[t * 512 * 1024 + y * 1024 + x]).toBe(
              Math.fround(y * 1024 + x + (t + 1) * 1e6),
            );
          }
        }
      } finally {
        await ds.close();
      }
    },
  );
});

describe("bad input", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("zarrify-hdf5-bad-");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a truncated file is an InputError naming the file", async () => {
    const source = readFileSync(real("xarray-data_basin_mask.nc"));
    for (const size of [8, 600, 5000, Math.floor(source.length / 2), source.length - 1]) {
      const path = join(dir, `truncated_${size}.nc`);
      writeFileSync(path, source.subarray(0, size));
      const err = await openHdf5(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, String(size)).toBeInstanceOf(InputError);
      expect((err as InputError).message).toContain(path);
      expect((err as InputError).path).toBe(path);
    }
  });

  it("a file with a corrupted chunk fails at read with an InputError naming file and variable", async () => {
    const path = join(dir, "corrupt_chunk.nc");
    copyFileSync(fixture("nc4_chunked.nc"), path);
    const bytes = readFileSync(path);
    // Overwrite the middle of the file (compressed chunk data, not metadata) with garbage.
    for (let i = 30000; i < 40000; i++) bytes[i] = (i * 7919) & 0xff;
    writeFileSync(path, bytes);
    const ds = await openHdf5(path);
    try {
      const field = ds.variables.find((v) => v.name === "field");
      const err = await field?.read([0, 0, 0], [37, 23, 19]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/corrupt_chunk\.nc: cannot read variable 'field'/);
    } finally {
      await ds.close();
    }
  });

  it("corrupted files give InputErrors, and the reader keeps working afterwards", async () => {
    // Deterministic garbage over the metadata (odd runs) or anywhere (even runs). This sequence
    // includes a file that makes HDF5 abort() inside WASM, which kills that instance.
    const sources = [
      "geocat_nc4uvt.nc",
      "netcdf4-python_test_gold.nc",
      "xclim-testdata_daily_surface_cancities_1990-1993.nc",
      "geocat_MLS-Aura_L2GP-IWC_v02-21-c02_2007d210.he5.h5",
    ].map((name) => readFileSync(real(name)));
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const outcomes: Record<string, number> = {};
    for (let run = 0; run < 40; run++) {
      const bytes = Buffer.from(sources[run % sources.length]);
      const at = Math.floor(rnd() * Math.min(bytes.length, run % 2 ? 8000 : bytes.length));
      const len = 1 + Math.floor(rnd() * 2048);
      for (let i = at; i < Math.min(bytes.length, at + len); i++)
        bytes[i] = Math.floor(rnd() * 256);
      const path = join(dir, `fuzz_${run}.nc`);
      writeFileSync(path, bytes);
      let outcome = "ok";
      try {
        const ds = await openHdf5(path);
        try {
          for (const v of ds.variables) {
            await v
              .read(
                v.shape.map(() => 0),
                v.shape,
              )
              .catch((err: unknown) => {
                expect(err).toBeInstanceOf(InputError);
                expect((err as Error).message).toContain(path);
                outcome = "read error";
              });
          }
        } finally {
          await ds.close();
        }
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        expect((err as Error).message).toContain(path);
        outcome = "open error";
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    expect(outcomes["open error"]).toBeGreaterThan(0);
    const types = dumpWithPython([fixture("nc4_types.nc")]);
    await compareFile(fixture("nc4_types.nc"), types.dump(0), false);
    types.cleanup();
  });

  it("after an HDF5 error new files get a fresh WASM instance; open files keep theirs", async () => {
    const { h5module } = await import("../../src/readers/hdf5/runtime.js");
    const before = await h5module();
    const open = await openHdf5(fixture("nc4_types.nc"));
    const path = join(dir, "truncated_for_retire.nc");
    writeFileSync(path, readFileSync(fixture("nc4_types.nc")).subarray(0, 4000));
    await expect(openHdf5(path)).rejects.toBeInstanceOf(InputError);
    const after = await h5module();
    expect(after).not.toBe(before);
    const fresh = await openHdf5(fixture("nc4_types.nc"));
    try {
      for (const ds of [open, fresh]) {
        const v = ds.variables.find((x) => x.name === "be_i2");
        expect(Array.from((await v?.read([0], [3])) as Int16Array)).toEqual([-2, 258, 32767]);
      }
    } finally {
      await open.close();
      await fresh.close();
    }
  });

  it("an unknown group is an InputError listing the file's groups", async () => {
    await expect(openHdf5(fixture("nc4_groups.nc"), { group: "/nope" })).rejects.toThrow(
      /nc4_groups\.nc: no group '\/nope' in this file \(groups: '\/', '\/a', '\/a\/b', '\/c'\)/,
    );
    await expect(openHdf5(fixture("nc4_groups.nc"), { group: "/nope" })).rejects.toBeInstanceOf(
      InputError,
    );
  });

  it("a missing file is an InputError", async () => {
    await expect(openHdf5(join(dir, "does-not-exist.nc"))).rejects.toBeInstanceOf(InputError);
  });

  it("reading after close is an InputError", async () => {
    const ds: Dataset = await openHdf5(fixture("nc4_types.nc"));
    const v = ds.variables[0];
    await ds.close();
    await ds.close();
    await expect(v.read([0], [1])).rejects.toThrow(/after the file was closed/);
  });
});

describe("resources", () => {
  it("opening and closing files 200 times keeps the WASM heap and process memory bounded", async () => {
    // Distinct copies: HDF5 shares the state of a file opened twice, which would hide a leak.
    const dir = tempDir("zarrify-hdf5-many-");
    const copies = Array.from({ length: 220 }, (_, i) => {
      const path = join(dir, `copy_${i}.nc`);
      copyFileSync(fixture("nc4_chunked.nc"), path);
      return path;
    });
    const sample = async (path: string) => {
      const ds = await openHdf5(path);
      const v = ds.variables.find((x) => x.name === "field");
      await v?.read([0, 0, 0], [37, 23, 19]);
      await ds.close();
    };
    for (const path of copies.slice(0, 20)) await sample(path);
    const { h5module } = await import("../../src/readers/hdf5/runtime.js");
    const module = await h5module();
    const heapBefore = module.HEAPU8.length;
    const rssBefore = process.memoryUsage().rss;
    for (const path of copies.slice(20)) await sample(path);
    expect(module.HEAPU8.length).toBe(heapBefore);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 2 ** 20);
    rmSync(dir, { recursive: true, force: true });
  });
});
