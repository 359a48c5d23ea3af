import { execFileSync } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ARRAY_TYPES,
  type Attrs,
  type AttrValue,
  type DataArray,
  type Dataset,
  type DType,
  type NumericArray,
} from "../../src/dataset/types.js";
import { InputError } from "../../src/errors.js";
import { netcdf3Magic, openNetcdf3 } from "../../src/readers/netcdf3.js";
import { seededRandom } from "../helpers/random.js";
import { buildFile, encodeValues, NC, Writer } from "./netcdf3-builder.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const REAL = path.resolve(ROOT, "../shared/data/real");
const FIXTURES = path.join(ROOT, "test/fixtures");
const DUMP_SCRIPT = path.join(ROOT, "test/readers/netcdf3_dump.py");
const PYTHON = "/usr/bin/python3";

function firstBytes(file: string, n = 4): Uint8Array {
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

const realFiles = readdirSync(REAL)
  .filter((f) => netcdf3Magic(firstBytes(path.join(REAL, f))) !== undefined)
  .sort();

/** Fixture → the file whose netCDF4-python dump it must equal (streaming copies: the original). */
const FIXTURE_ORACLE: Record<string, string> = {
  "nc3_cdf5_types.nc": "nc3_cdf5_types.nc",
  "nc3_cdf2_record.nc": "nc3_cdf2_record.nc",
  "nc3_one_record_var.nc": "nc3_one_record_var.nc",
  "nc3_one_record_var_1d.nc": "nc3_one_record_var_1d.nc",
  "nc3_unlimited_zero.nc": "nc3_unlimited_zero.nc",
  "nc3_cdf2_record_streaming.nc": "nc3_cdf2_record.nc",
  "nc3_cdf5_types_streaming.nc": "nc3_cdf5_types.nc",
};

// ---------------------------------------------------------------------------------------------
// The oracle: netCDF4-python's view of a file, dumped to JSON by netcdf3_dump.py.

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
  attrs: Array<[string, PyAttr]>;
  data?: string;
}
interface PyDump {
  data_model: string;
  dims: Array<{ name: string; size: number; unlimited: boolean }>;
  attrs: Array<[string, PyAttr]>;
  variables: PyVar[];
}

let tmp: string;
const dumps = new Map<string, PyDump>();

/** Run the Python dumper once over many files; returns their dumps in order. */
function pythonDump(files: string[], extra: string[] = []): PyDump[] {
  const out = mkdtempSync(path.join(tmp, "dump-"));
  execFileSync(PYTHON, [DUMP_SCRIPT, out, ...files, ...extra], { stdio: "pipe" });
  return files.map((_, i) => JSON.parse(readFileSync(path.join(out, `${i}.json`), "utf8")));
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "zarrify-nc3-"));
  const files = [
    ...realFiles.map((f) => path.join(REAL, f)),
    ...[...new Set(Object.values(FIXTURE_ORACLE))].map((f) => path.join(FIXTURES, f)),
  ];
  for (const [i, d] of pythonDump(files).entries()) dumps.set(files[i], d);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const FORMAT_OF: Record<string, string> = {
  NETCDF3_CLASSIC: "netcdf3-classic",
  NETCDF3_64BIT_OFFSET: "netcdf3-64bit-offset",
  NETCDF3_64BIT_DATA: "netcdf3-64bit-data",
};

const ARRAY_OF: Record<string, new (...args: never[]) => NumericArray> = ARRAY_TYPES;

function pyNumber(type: string, v: unknown): number | bigint {
  if (type === "int64" || type === "uint64") return BigInt(v as string);
  if (v === "NaN") return Number.NaN;
  if (v === "Inf") return Number.POSITIVE_INFINITY;
  if (v === "-Inf") return Number.NEGATIVE_INFINITY;
  return v as number;
}

/** netCDF4-python's numpy type names for the numeric attribute types. */
const NUMERIC_ATTR_TYPES = new Set(Object.keys(ARRAY_OF).filter((t) => t !== "char"));

function expectAttrs(
  ours: Attrs,
  types: Record<string, DType> | undefined,
  theirs: Array<[string, PyAttr]>,
  where: string,
): void {
  expect(Object.keys(ours), `${where} attribute names`).toEqual(theirs.map(([n]) => n));
  // The stored type is what keeps a float 100.0 a float in the Zarr JSON.
  const numeric = theirs.filter(([, py]) => NUMERIC_ATTR_TYPES.has(py.type));
  expect(
    numeric.map(([n]) => [n, types?.[n]]),
    `${where} attribute types`,
  ).toEqual(numeric.map(([n, py]) => [n, py.type]));
  for (const [name, py] of theirs) {
    const v: AttrValue = ours[name];
    const label = `${where}:${name}`;
    if (py.type === "str") {
      expect(v, label).toBe(py.value);
    } else if (py.type === "bytes") {
      expect(typeof v, label).toBe("string");
      expect([...Buffer.from(v as string, "latin1")], label).toEqual(py.value);
    } else {
      const values = (py.value as unknown[]).map((x) => pyNumber(py.type, x));
      if (py.scalar) expect(v, label).toEqual(values[0]);
      else expect(v, label).toEqual(values);
    }
  }
}

function bytesOf(a: DataArray): Buffer {
  const t = a as NumericArray;
  return Buffer.from(t.buffer, t.byteOffset, t.byteLength);
}

function expectSameBytes(ours: Buffer, theirs: Buffer, label: string): void {
  if (ours.equals(theirs)) return;
  let i = 0;
  while (i < Math.min(ours.length, theirs.length) && ours[i] === theirs[i]) i++;
  expect.fail(
    `${label}: data differs (ours ${ours.length} bytes, netCDF4 ${theirs.length} bytes, first difference at byte ${i})`,
  );
}

async function readAll(v: Dataset["variables"][number]): Promise<DataArray> {
  return v.read(
    v.shape.map(() => 0),
    v.shape,
  );
}

/** Compare everything netCDF4-python sees: dims, variables, attributes, all data. */
async function expectMatchesPython(ds: Dataset, py: PyDump, only?: Set<string>): Promise<void> {
  expect(ds.format).toBe(FORMAT_OF[py.data_model]);
  expect(ds.group).toBe("/");
  expect(ds.dims).toEqual(py.dims);
  expectAttrs(ds.attrs, ds.attrTypes, py.attrs, "global");
  expect(ds.variables.map((v) => v.name)).toEqual(py.variables.map((v) => v.name));
  for (const [i, pv] of py.variables.entries()) {
    const v = ds.variables[i];
    expect(v.dtype, v.name).toBe(pv.dtype);
    expect(v.dims, v.name).toEqual(pv.dims);
    expect(v.shape, v.name).toEqual(pv.shape);
    expectAttrs(v.attrs, v.attrTypes, pv.attrs, v.name);
    const unlimited = v.dims.length > 0 && ds.dims.find((d) => d.name === v.dims[0])?.unlimited;
    expect(v.sourceChunks, v.name).toEqual(unlimited ? [1, ...v.shape.slice(1)] : undefined);
    if (only && !only.has(v.name)) continue;
    const data = await readAll(v);
    expect(data, v.name).toBeInstanceOf(ARRAY_OF[pv.dtype]);
    expect((data as NumericArray).length).toBe(v.shape.reduce((a, b) => a * b, 1));
    expectSameBytes(
      bytesOf(data),
      Buffer.from(pv.data as string, "base64"),
      `${ds.path} ${v.name}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Partial slabs are checked against the full read, sliced in plain JS.

function sliceBytes(
  full: Buffer,
  el: number,
  shape: number[],
  start: number[],
  count: number[],
): Buffer {
  const n = count.reduce((a, b) => a * b, 1);
  const out = Buffer.alloc(n * el);
  if (n === 0) return out;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const idx = count.map(() => 0);
  for (let o = 0; o < n; o++) {
    let flat = 0;
    for (let d = 0; d < shape.length; d++) flat += (start[d] + idx[d]) * strides[d];
    full.copy(out, o * el, flat * el, flat * el + el);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < count[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function slabs(shape: number[], random: () => number): Array<[number[], number[]]> {
  const out: Array<[number[], number[]]> = [];
  if (shape.some((s) => s === 0)) return [[shape.map(() => 0), shape]];
  for (let k = 0; k < 4; k++) {
    const start = shape.map((s) => Math.floor(random() * s));
    out.push([start, shape.map((s, d) => 1 + Math.floor(random() * (s - start[d])))]);
  }
  // Strided: one index of the innermost dimension across everything else (many tiny runs).
  if (shape.length >= 2) {
    const last = shape.length - 1;
    out.push([
      shape.map((s, d) => (d === last ? s - 1 : 0)),
      shape.map((s, d) => (d === last ? 1 : s)),
    ]);
    // Whole inner dimensions from an offset in the outermost (contiguous unless records).
    out.push([
      shape.map((s, d) => (d === 0 ? Math.floor(s / 2) : 0)),
      shape.map((s, d) => (d === 0 ? s - Math.floor(s / 2) : s)),
    ]);
  }
  out.push([shape.map((s) => s - 1), shape.map(() => 1)]);
  out.push([shape.map(() => 0), shape.map(() => 0)]);
  return out;
}

async function expectSlabsMatch(ds: Dataset, seed: number): Promise<void> {
  const random = seededRandom(seed);
  for (const v of ds.variables) {
    const full = bytesOf(await readAll(v));
    const el =
      full.length /
      Math.max(
        1,
        v.shape.reduce((a, b) => a * b, 1),
      );
    for (const [start, count] of slabs(v.shape, random)) {
      const part = await v.read(start, count);
      const label = `${ds.path} ${v.name} start=[${start}] count=[${count}]`;
      expect(part.length, label).toBe(count.reduce((a, b) => a * b, 1));
      expectSameBytes(bytesOf(part), sliceBytes(full, el || 1, v.shape, start, count), label);
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe("netcdf3Magic", () => {
  it("recognises the three NetCDF-3 versions and nothing else", () => {
    const b = (s: string) => Buffer.from(s, "latin1");
    expect(netcdf3Magic(b("CDF\x01rest"))).toBe("netcdf3-classic");
    expect(netcdf3Magic(b("CDF\x02"))).toBe("netcdf3-64bit-offset");
    expect(netcdf3Magic(b("CDF\x05"))).toBe("netcdf3-64bit-data");
    expect(netcdf3Magic(b("CDF\x03"))).toBeUndefined();
    expect(netcdf3Magic(b("CDF"))).toBeUndefined();
    expect(netcdf3Magic(b("\x89HDF\r\n\x1a\n"))).toBeUndefined();
    expect(netcdf3Magic(new Uint8Array(0))).toBeUndefined();
  });
});

describe("real NetCDF-3 files match netCDF4-python", () => {
  it("finds the corpus (74 CDF-1/2 files and the CDF-5 one)", () => {
    const formats = realFiles.map((f) => netcdf3Magic(firstBytes(path.join(REAL, f))));
    expect(formats.filter((f) => f !== "netcdf3-64bit-data").length).toBeGreaterThanOrEqual(74);
    expect(formats).toContain("netcdf3-64bit-data");
  });

  it.each(realFiles)("%s", async (file) => {
    const p = path.join(REAL, file);
    const ds = await openNetcdf3(p);
    try {
      expect(ds.path).toBe(p);
      await expectMatchesPython(ds, dumps.get(p) as PyDump);
      await expectSlabsMatch(ds, file.length * 7919);
    } finally {
      await ds.close();
    }
  });
});

describe("generated fixtures match netCDF4-python", () => {
  it.each(Object.keys(FIXTURE_ORACLE))("%s", async (file) => {
    const ds = await openNetcdf3(path.join(FIXTURES, file));
    try {
      await expectMatchesPython(ds, dumps.get(path.join(FIXTURES, FIXTURE_ORACLE[file])) as PyDump);
      await expectSlabsMatch(ds, 42);
    } finally {
      await ds.close();
    }
  });

  it("CDF-5: 64-bit values arrive as BigInt, unsigned types keep their values", async () => {
    const ds = await openNetcdf3(path.join(FIXTURES, "nc3_cdf5_types.nc"));
    try {
      expect(ds.format).toBe("netcdf3-64bit-data");
      expect(ds.attrs.u64_scalar).toBe(2n ** 64n - 1n);
      expect(ds.attrs.i64_list).toEqual([-(2n ** 63n), 2n ** 53n + 1n, 2n ** 63n - 1n]);
      expect(ds.attrs.ubyte_list).toEqual([0, 128, 255]);
      expect(ds.attrs.title).toBe("CDF-5 fixture: température in °C");
      const byName = Object.fromEntries(ds.variables.map((v) => [v.name, v]));
      expect([...((await readAll(byName.u64)) as BigUint64Array)]).toEqual([
        0n,
        1n,
        2n ** 53n + 1n,
        2n ** 64n - 1n,
      ]);
      expect([...((await readAll(byName.ui)) as Uint32Array)]).toEqual([0, 3000000000, 4294967295]);
      expect([...((await byName.rec_us.read([1, 0], [2, 3])) as Uint16Array)]).toEqual([
        60003, 60004, 60005, 60006, 60007, 60008,
      ]);
      expect([...((await readAll(byName.rec_i64)) as BigInt64Array)]).toEqual([
        -5n,
        2n ** 40n,
        2n ** 62n,
      ]);
      expect(Buffer.from((await byName.name.read([2, 0], [1, 5])) as Uint8Array).toString()).toBe(
        "gamma",
      );
    } finally {
      await ds.close();
    }
  });

  it("exactly one record variable: records are packed (6-byte and 1-byte records)", async () => {
    const ds = await openNetcdf3(path.join(FIXTURES, "nc3_one_record_var.nc"));
    const v = ds.variables[1];
    expect(v.sourceChunks).toEqual([1, 3]);
    expect([...((await v.read([3, 1], [2, 2])) as Int16Array)]).toEqual([3000, 4000, 6000, 7000]);
    await ds.close();
    const ds1 = await openNetcdf3(path.join(FIXTURES, "nc3_one_record_var_1d.nc"));
    expect([...((await ds1.variables[0].read([2], [5])) as Int8Array)]).toEqual([
      3, -4, 5, -6, 127,
    ]);
    await ds1.close();
  });

  it("unlimited dimension of length 0 gives empty record variables", async () => {
    const ds = await openNetcdf3(path.join(FIXTURES, "nc3_unlimited_zero.nc"));
    expect(ds.dims).toEqual([
      { name: "time", size: 0, unlimited: true },
      { name: "x", size: 4, unlimited: false },
    ]);
    const r = ds.variables.find((v) => v.name === "r");
    expect(r?.shape).toEqual([0, 4]);
    const data = await r?.read([0, 0], [0, 4]);
    expect(data).toBeInstanceOf(Float32Array);
    expect(data?.length).toBe(0);
    await ds.close();
  });

  it("STREAMING numrecs: the record count comes from the file size", async () => {
    const ds = await openNetcdf3(path.join(FIXTURES, "nc3_cdf2_record_streaming.nc"));
    expect(ds.dims[0]).toEqual({ name: "time", size: 4, unlimited: true });
    await ds.close();
  });
});

describe("slab edge cases", () => {
  it("rejects out-of-range slabs as caller errors", async () => {
    const ds = await openNetcdf3(path.join(FIXTURES, "nc3_cdf2_record.nc"));
    const temp = ds.variables.find((v) => v.name === "temp");
    await expect(temp?.read([0, 0, 0], [5, 3, 5])).rejects.toThrow(RangeError);
    await expect(temp?.read([0, 0], [1, 1])).rejects.toThrow(/rank mismatch/);
    await expect(temp?.read([-1, 0, 0], [1, 1, 1])).rejects.toThrow(RangeError);
    await ds.close();
    await expect(temp?.read([0, 0, 0], [1, 1, 1])).rejects.toThrow(/after close/);
  });

  it("reads typed arrays that own their buffer (transferable without copying)", async () => {
    const ds = await openNetcdf3(path.join(REAL, "ferret-datasets_coads_climatology.cdf"));
    for (const v of ds.variables) {
      const a = (await readAll(v)) as NumericArray;
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(a.byteLength);
    }
    await ds.close();
  });

  it("strided reads spanning several read windows, and runs too far apart to merge", async () => {
    // tall: 16 MB, so a column read needs more than one 8 MB window; wide: rows 400 kB apart.
    const spec = {
      version: 2 as const,
      numrecs: 3,
      dims: [
        { name: "t", size: 0 },
        { name: "i", size: 4000 },
        { name: "j", size: 1000 },
        { name: "r", size: 50 },
        { name: "c", size: 100_000 },
      ],
      vars: [
        { name: "tall", type: NC.FLOAT, dims: [1, 2] },
        { name: "wide", type: NC.FLOAT, dims: [3, 4] },
        { name: "rec", type: NC.INT, dims: [0, 2] },
        { name: "rec_b", type: NC.SHORT, dims: [0] },
      ],
    };
    const built = buildFile(spec);
    const file = Buffer.alloc(built.fileSize);
    built.header.copy(file);
    const fillFloats = (varIndex: number, n: number) => {
      const vals = new Float32Array(n);
      for (let k = 0; k < n; k++) vals[k] = k;
      Buffer.from(vals.buffer).swap32().copy(file, built.begins[varIndex]);
    };
    fillFloats(0, 4000 * 1000);
    fillFloats(1, 50 * 100_000);
    for (let t = 0; t < 3; t++) {
      for (let j = 0; j < 1000; j++)
        file.writeInt32BE(t * 1_000_000 + j, built.begins[2] + t * built.recsize + j * 4);
      file.writeInt16BE(-t, built.begins[3] + t * built.recsize);
    }
    const f = path.join(tmp, "strided.nc");
    writeFileSync(f, file);
    const ds = await openNetcdf3(f);
    try {
      const [tall, wide, rec, recB] = ds.variables;
      const col = (await tall.read([0, 999], [4000, 1])) as Float32Array;
      expect(col.every((x, i) => x === i * 1000 + 999)).toBe(true);
      const block = (await tall.read([10, 500], [3990, 300])) as Float32Array;
      expect(block.every((x, k) => x === (10 + Math.floor(k / 300)) * 1000 + 500 + (k % 300))).toBe(
        true,
      );
      const wcol = (await wide.read([0, 12345], [50, 2])) as Float32Array;
      expect(wcol.every((x, k) => x === Math.floor(k / 2) * 100_000 + 12345 + (k % 2))).toBe(true);
      const rcol = (await rec.read([0, 998], [3, 2])) as Int32Array;
      expect([...rcol]).toEqual([998, 999, 1_000_998, 1_000_999, 2_000_998, 2_000_999]);
      expect([...((await recB.read([0], [3])) as Int16Array)]).toEqual([0, -1, -2]);
    } finally {
      await ds.close();
    }
  });

  it("many concurrent reads on one handle return the right data", async () => {
    const p = path.join(REAL, "ferret-datasets_ocean_atlas_subset.nc");
    const ds = await openNetcdf3(p);
    const v = ds.variables.find((x) => x.shape.length === 4) as Dataset["variables"][number];
    const full = bytesOf(await readAll(v));
    const random = seededRandom(7);
    const jobs = Array.from({ length: 40 }, () => {
      const start = v.shape.map((s) => Math.floor(random() * s));
      const count = v.shape.map((s, d) => 1 + Math.floor(random() * (s - start[d])));
      return v.read(start, count).then((a) => [a, start, count] as const);
    });
    for (const [a, start, count] of await Promise.all(jobs)) {
      expectSameBytes(bytesOf(a), sliceBytes(full, 4, v.shape, start, count), `${start}/${count}`);
    }
    await ds.close();
  });
});

// ---------------------------------------------------------------------------------------------

describe("bad input is an InputError naming the file", () => {
  const expectInputError = async (file: string, pattern: RegExp): Promise<InputError> => {
    let caught: unknown;
    try {
      const ds = await openNetcdf3(file);
      await ds.close();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    const e = caught as InputError;
    expect(e.message).toContain(file);
    expect(e.path).toBe(file);
    expect(e.message).toMatch(pattern);
    return e;
  };

  it("missing file", async () => {
    await expectInputError(path.join(tmp, "no-such.nc"), /no such file/);
  });

  it("empty file", async () => {
    const f = path.join(tmp, "empty.nc");
    writeFileSync(f, "");
    await expectInputError(f, /empty/);
  });

  it("text file", async () => {
    const f = path.join(tmp, "notes.nc");
    writeFileSync(f, "this is not a netCDF file\n".repeat(20));
    await expectInputError(f, /bad magic/);
  });

  it("HDF5 file", async () => {
    await expectInputError(path.join(REAL, "netcdf-c_tdset.h5"), /bad magic/);
  });

  it("truncated header", async () => {
    const f = path.join(tmp, "truncated-header.nc");
    writeFileSync(
      f,
      readFileSync(path.join(REAL, "netcdf-c_ref_nctest_classic.nc")).subarray(0, 300),
    );
    await expectInputError(f, /truncated header: expected at least \d+ bytes at offset \d+/);
  });

  it("truncated data (a real file cut in half) is refused at open", async () => {
    for (const name of [
      "ferret-datasets_coads_climatology.cdf",
      "xarray-data_eraint_uvz.nc",
      "geocat_95031800_sao.cdf",
    ]) {
      const src = path.join(REAL, name);
      const f = path.join(tmp, `half-${name}`);
      copyFileSync(src, f);
      truncateSync(f, Math.floor(statSync(src).size / 2));
      await expectInputError(
        f,
        /variable \S+ data extends past end of file \(file is \d+ bytes, needs \d+\)/,
      );
    }
  });

  it("every prefix of a small file: InputError or a fully readable dataset, never a crash", async () => {
    for (const name of ["xarray_example_1.nc", "scipy_example_3_maskedvals.nc"]) {
      const bytes = readFileSync(path.join(REAL, name));
      const f = path.join(tmp, `prefix-${name}`);
      for (let n = 0; n < bytes.length; n++) {
        writeFileSync(f, bytes.subarray(0, n));
        try {
          const ds = await openNetcdf3(f);
          for (const v of ds.variables) await readAll(v);
          await ds.close();
        } catch (err) {
          expect(err, `prefix ${n}`).toBeInstanceOf(InputError);
        }
      }
    }
  });

  it("random header corruption: InputError or a readable dataset, never a crash or huge allocation", async () => {
    const random = seededRandom(1234);
    for (const name of [
      "netcdf-c_ref_nctest_classic.nc",
      "netcdf-c_ref_nctest_64bit_offset.nc",
      "nc3_cdf5_types.nc",
    ]) {
      const src = name.startsWith("nc3_") ? path.join(FIXTURES, name) : path.join(REAL, name);
      const bytes = readFileSync(src);
      const ds0 = await openNetcdf3(src);
      await ds0.close();
      const f = path.join(tmp, `fuzz-${name}`);
      for (let k = 0; k < 300; k++) {
        const b = Buffer.from(bytes);
        const flips = 1 + Math.floor(random() * 4);
        for (let j = 0; j < flips; j++) {
          // Mostly the header (the interesting part); values favour the extremes.
          const at = Math.floor(random() * Math.min(b.length, 2000));
          b[at] = [0x00, 0xff, 0x7f, 0x80, Math.floor(random() * 256)][Math.floor(random() * 5)];
        }
        writeFileSync(f, b);
        try {
          const ds = await openNetcdf3(f);
          for (const v of ds.variables) await readAll(v);
          await ds.close();
        } catch (err) {
          expect(err, `mutation ${k}`).toBeInstanceOf(InputError);
        }
      }
    }
  });

  describe("hostile headers", () => {
    const write = (name: string, bytes: Buffer): string => {
      const f = path.join(tmp, name);
      writeFileSync(f, bytes);
      return f;
    };

    it("a garbage dimension count", async () => {
      const w = new Writer(1).magic().u32(0).u32(0x0a).u32(0x7fffffff);
      await expectInputError(
        write("dims.nc", w.bytes()),
        /truncated header: expected at least \d+ bytes at offset 16 for 2147483647 dimensions/,
      );
    });

    it("a garbage attribute length", async () => {
      const w = new Writer(1).magic().u32(0).u32(0).u32(0);
      w.u32(0x0c).u32(1).name("title").u32(NC.DOUBLE).u32(0x7ffffff0).raw(Buffer.alloc(64));
      await expectInputError(
        write("attr.nc", w.bytes()),
        /attribute global:title claims 2147483632 values/,
      );
    });

    it("a garbage 64-bit name length (CDF-5)", async () => {
      const w = new Writer(5)
        .magic()
        .u64(0)
        .u32(0x0a)
        .u64(1)
        .u64(2n ** 60n)
        .raw(Buffer.alloc(64));
      await expectInputError(write("name.nc", w.bytes()), /name length/);
    });

    it("a list tag that is not one", async () => {
      const w = new Writer(1).magic().u32(0).u32(0x0b).u32(1).raw(Buffer.alloc(64));
      await expectInputError(
        write("tag.nc", w.bytes()),
        /expected dimension list tag 0xa at offset 8, found 0xb/,
      );
    });

    const oneVar = (
      over: { type?: number; dims?: number[]; version?: 1 | 2 | 5 },
      dims = [{ name: "x", size: 3 }],
    ) =>
      buildFile({
        version: over.version ?? 1,
        numrecs: 0,
        dims,
        vars: [{ name: "v", type: over.type ?? NC.INT, dims: over.dims ?? [0] }],
      });

    it("an invalid type, and a CDF-5 type in a CDF-1 file", async () => {
      const bad = oneVar({ type: 99 });
      await expectInputError(
        write("type.nc", Buffer.concat([bad.header, Buffer.alloc(16)])),
        /variable v has invalid type 99/,
      );
      const u64 = oneVar({ type: NC.UINT64 });
      await expectInputError(
        write("u64.nc", Buffer.concat([u64.header, Buffer.alloc(32)])),
        /invalid type 11 .* for CDF-1/,
      );
    });

    it("a dimension id out of range, a misplaced or doubled unlimited dimension", async () => {
      const b = oneVar({ dims: [3] });
      await expectInputError(
        write("dimid.nc", Buffer.concat([b.header, Buffer.alloc(16)])),
        /dimension id 3 but the file defines 1/,
      );
      const misplaced = oneVar({ dims: [0, 1] }, [
        { name: "x", size: 3 },
        { name: "t", size: 0 },
      ]);
      await expectInputError(
        write("unlim.nc", misplaced.header),
        /unlimited dimension t in position 1/,
      );
      const two = oneVar({ dims: [0] }, [
        { name: "t", size: 0 },
        { name: "u", size: 0 },
      ]);
      await expectInputError(write("two.nc", two.header), /more than one unlimited dimension/);
    });

    it("data offset past the end of the file, and inside the header", async () => {
      const b = oneVar({ version: 2 });
      await expectInputError(
        write("short.nc", Buffer.concat([b.header, Buffer.alloc(8)])),
        /variable v data extends past end of file \(file is \d+ bytes, needs \d+\)/,
      );
      const h = Buffer.from(b.header);
      h.writeBigUInt64BE(8n, h.length - 8);
      await expectInputError(
        write("overlap.nc", Buffer.concat([h, Buffer.alloc(12)])),
        /inside the header/,
      );
      h.writeBigUInt64BE(2n ** 40n, h.length - 8);
      await expectInputError(
        write("far.nc", Buffer.concat([h, Buffer.alloc(12)])),
        /extends past end of file/,
      );
      h.writeBigUInt64BE(2n ** 62n, h.length - 8);
      await expectInputError(
        write("farther.nc", Buffer.concat([h, Buffer.alloc(12)])),
        /offset of variable v .* larger than any file/,
      );
    });

    it("a record count far beyond the file", async () => {
      const b = buildFile({
        version: 1,
        numrecs: 1000,
        dims: [{ name: "t", size: 0 }],
        vars: [{ name: "v", type: NC.DOUBLE, dims: [0] }],
      });
      await expectInputError(
        write("recs.nc", Buffer.concat([b.header, Buffer.alloc(80)])),
        /variable v data extends past end of file/,
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe("files beyond 2 GiB and 4 GiB (sparse, hand-built, checked against netCDF4-python)", () => {
  const build = (
    name: string,
    spec: Parameters<typeof buildFile>[0],
    data: Array<[number, number, Array<number | bigint>]>,
  ) => {
    const f = path.join(tmp, name);
    const built = buildFile(spec);
    writeFileSync(f, built.header);
    truncateSync(f, built.fileSize);
    const fd = openSync(f, "r+");
    try {
      for (const [varIndex, elemOffset, values] of data) {
        const b = encodeValues(spec.vars[varIndex].type, values);
        writeSync(fd, b, 0, b.length, built.begins[varIndex] + elemOffset);
      }
    } finally {
      closeSync(fd);
    }
    return { f, built };
  };

  it("CDF-2: variables past 4 GiB, record data past 4 GiB", async () => {
    const { f, built } = build(
      "big2.nc",
      {
        version: 2,
        numrecs: 2,
        dims: [
          { name: "time", size: 0 },
          { name: "n", size: 900_000_000 },
          { name: "m", size: 300_000_000 },
          { name: "x", size: 3 },
        ],
        vars: [
          { name: "big", type: NC.FLOAT, dims: [1] },
          {
            name: "big_b",
            type: NC.FLOAT,
            dims: [2],
            attrs: [{ name: "units", type: NC.CHAR, values: "K" }],
          },
          { name: "tail", type: NC.INT, dims: [3] },
          { name: "rec", type: NC.DOUBLE, dims: [0, 3] },
          { name: "rec2", type: NC.SHORT, dims: [0, 3] },
        ],
      },
      [
        [0, 0, [1, 2, 3, 4]],
        [0, (900_000_000 - 4) * 4, [5, 6, 7, 8]],
        [1, (300_000_000 - 2) * 4, [9, 10]],
        [2, 0, [7, 8, 9]],
        [3, 0, [1, 2, 3]],
        [3, 32, [4, 5, 6]], // second record: recsize = 24 + 8
        [4, 0, [-1, -2, -3]],
        [4, 32, [-4, -5, -6]],
      ],
    );
    expect(built.begins[2]).toBeGreaterThan(2 ** 32);
    const ds = await openNetcdf3(f);
    try {
      const [py] = pythonDump([f], ["--vars", "tail,rec,rec2"]);
      await expectMatchesPython(ds, py, new Set(["tail", "rec", "rec2"]));
      const big = ds.variables[0];
      // 80 MB from the start: split into several parallel reads.
      const head = (await big.read([0], [20_000_000])) as Float32Array;
      expect([...head.subarray(0, 5)]).toEqual([1, 2, 3, 4, 0]);
      expect(head.subarray(4).every((x) => x === 0)).toBe(true);
      expect([...((await big.read([900_000_000 - 5], [5])) as Float32Array)]).toEqual([
        0, 5, 6, 7, 8,
      ]);
      expect([...((await ds.variables[1].read([299_999_998], [2])) as Float32Array)]).toEqual([
        9, 10,
      ]);
    } finally {
      await ds.close();
    }
  });

  it("CDF-5: a dimension longer than 2^32 and offsets past 4 GiB", async () => {
    const n = 5_000_000_000;
    const { f } = build(
      "big5.nc",
      {
        version: 5,
        numrecs: 2,
        dims: [
          { name: "time", size: 0 },
          { name: "n", size: n },
          { name: "x", size: 3 },
        ],
        vars: [
          { name: "big", type: NC.BYTE, dims: [1] },
          { name: "tail", type: NC.UINT64, dims: [2] },
          { name: "rec", type: NC.SHORT, dims: [0, 2] },
        ],
      },
      [
        [0, 0, [1, 2, 3, 4]],
        [0, n - 4, [5, 6, 7, 8]],
        [1, 0, [7n, 8n, 2n ** 64n - 1n]],
        [2, 0, [1, 2, 3]], // only record variable: packed 6-byte records
        [2, 6, [4, 5, 6]],
      ],
    );
    const ds = await openNetcdf3(f);
    try {
      const [py] = pythonDump([f], ["--vars", "tail,rec"]);
      await expectMatchesPython(ds, py, new Set(["tail", "rec"]));
      expect(ds.dims[1]).toEqual({ name: "n", size: n, unlimited: false });
      expect([...((await ds.variables[0].read([n - 6], [6])) as Int8Array)]).toEqual([
        0, 0, 5, 6, 7, 8,
      ]);
    } finally {
      await ds.close();
    }
  });
});
