/**
 * Interop, for real: archives written by our code are read by Debian's zarr 2.13 + numcodecs
 * (c-blosc) + xarray for v2, by today's zarr-python 3 + xarray (the sid chroot) and zarrita.js for
 * v3; blosc frames go both ways between our framer and c-blosc.
 *
 * The Python side needs /usr/bin/python3 with python3-zarr, python3-xarray (Debian). Set
 * ZARRIFY_SKIP_PYTHON_INTEROP=1 to skip those tests on machines without them; they never pass
 * silently otherwise. The v3 oracle runs when scripts/sid-chroot.sh has built the chroot (always
 * in CI).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import {
  type Attrs,
  type DataArray,
  type DType,
  NETCDF_DEFAULT_FILL,
} from "../../src/dataset/types.js";
import {
  writeArrayMetadata,
  writeConsolidated,
  writeGroupMetadata,
} from "../../src/zarr/archive.js";
import { chunkExtent, chunkGrid, emptyChunk } from "../../src/zarr/array.js";
import { bloscCompress, bloscDecompress } from "../../src/zarr/codecs/blosc.js";
import { v2Compressor } from "../../src/zarr/codecs/registry.js";
import {
  BLOSC_CNAMES,
  BLOSC_SHUFFLES,
  type CompressionSpec,
  parseCompression,
} from "../../src/zarr/compression.js";
import { type Json, JsonText, stringifyJson } from "../../src/zarr/json.js";
import type { ZarrFormat } from "../../src/zarr/keys.js";
import {
  type ArrayMeta,
  chunkTypesize,
  createArrayMeta,
  storedChunk,
} from "../../src/zarr/metadata.js";
import { copyBox, product } from "../../src/zarr/nd.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { sidPython, skipSid } from "../helpers/sid.js";
import { fsReader } from "../helpers/zarrita.js";
import { ALL_DTYPES, sampleData, writeAllChunks } from "./helpers.js";

const PYTHON = "/usr/bin/python3";
const HELPER = join(import.meta.dirname, "zarr2_interop.py");
const skipPython = process.env.ZARRIFY_SKIP_PYTHON_INTEROP === "1";
const tmp = mkdtempSync(join(tmpdir(), "zarrify-interop-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NUMPY_DTYPE: Record<DType, string> = {
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

/** NetCDF-ish fill values, one per dtype, including the awkward ones. */
const FILL: Record<DType, number | bigint | string> = {
  int8: -127,
  uint8: 255,
  int16: -32767,
  uint16: 65535,
  int32: -2147483647,
  uint32: 4294967295,
  int64: -9223372036854775806n,
  uint64: 18446744073709551614n,
  float32: 9.969209968386869e36,
  float64: Number.NaN,
  char: "\u0000",
  string: "N/A",
};

const COMMON_ATTRS: Attrs = {
  units: "K",
  long_name: "Zürich temperature",
  scale_factor: 0.01,
  valid_range: [0, 100],
  big: 2n ** 60n + 1n,
  small_big: 5n,
  not_a_number: Number.NaN,
  flags: ["a", "b"],
};

/** COMMON_ATTRS as a JSON reader must see them. */
const COMMON_ATTRS_JSON = {
  units: "K",
  long_name: "Zürich temperature",
  scale_factor: 0.01,
  valid_range: [0, 100],
  big: 2n ** 60n + 1n,
  small_big: 5,
  // Python's json (zarr-python 2 and 3) reads the bare token as a float NaN.
  not_a_number: new JsonText("NaN"),
  flags: ["a", "b"],
};

/** Readers of v3 with strict JSON (zarrita.js uses JSON.parse) cannot parse a bare NaN. */
const { not_a_number: _nan, ...STRICT_JSON_ATTRS } = COMMON_ATTRS;

interface Case {
  path: string;
  dtype: DType;
  shape: number[];
  chunks: number[];
  compression: CompressionSpec;
  withFill: boolean;
  /** Chunks not written: they must read back as the fill value. */
  skip?: (index: number[]) => boolean;
  /** v3 char: strings over the outer dimensions (see ArrayMeta.foldChars). */
  foldChars?: boolean;
  /** v3 string: fixed-length UTF-32 of this many code points. */
  stringLength?: number;
  /** v3 only: sharded, shards of this shape (v2 archives leave these cases out). */
  shards?: number[];
  /** A box set to the fill value before writing: sharded, its inner chunks are left out. */
  hole?: { start: number[]; count: number[] };
}

function cases(): Case[] {
  const out: Case[] = [];
  const methods = ["none", "gzip:5", "zlib:5", "zstd:3", "lz4", "blosc:lz4:5"];
  ALL_DTYPES.forEach((dtype, i) => {
    for (const m of methods) {
      const j = methods.indexOf(m);
      const foldChars = dtype === "char" && j % 2 === 0;
      out.push({
        path: `${dtype}_${m.replace(/:/g, "_")}`,
        dtype,
        shape: [7, 13],
        chunks: [3, foldChars ? 13 : 5],
        compression: parseCompression(m),
        withFill: (i + j) % 2 === 0,
        foldChars: foldChars || undefined,
        // sampleData's longest string: a 300-character word and its index.
        stringLength: dtype === "string" && j % 2 === 1 ? 310 : undefined,
      });
    }
  });
  for (const cname of BLOSC_CNAMES) {
    for (const shuffle of BLOSC_SHUFFLES) {
      const compression = parseCompression(`blosc:${cname}:5:${shuffle}`);
      const tag = `${cname}_${shuffle}`;
      out.push({
        path: `big_f4_${tag}`,
        dtype: "float32",
        shape: [40, 1000],
        chunks: [30, 700],
        compression,
        withFill: true,
      });
      out.push({
        path: `big_i2_${tag}`,
        dtype: "int16",
        shape: [64, 600],
        chunks: [50, 512],
        compression,
        withFill: false,
      });
      out.push({
        path: `big_f8_${tag}`,
        dtype: "float64",
        shape: [21, 700],
        chunks: [20, 350],
        compression,
        withFill: false,
      });
      out.push({
        path: `small_u1_${tag}`,
        dtype: "uint8",
        shape: [300],
        chunks: [100],
        compression,
        withFill: false,
      });
    }
  }
  // Sharded: edge shards (7 x 13 in shards of 6 x 10 of 3 x 5 chunks), inner chunks wholly past
  // the array's edge, every dtype and text type, a missing shard and a hole of fill values.
  ALL_DTYPES.forEach((dtype, i) => {
    const foldChars = dtype === "char" && i % 2 === 0;
    out.push({
      path: `sharded_${dtype}`,
      dtype,
      shape: [7, 13],
      chunks: [3, foldChars ? 13 : 5],
      shards: [6, foldChars ? 13 : 10],
      compression: parseCompression(i % 2 === 0 ? "zstd:3" : "blosc:lz4:5"),
      withFill: i % 2 === 1,
      foldChars: foldChars || undefined,
      stringLength: dtype === "string" ? 310 : undefined,
    });
  });
  out.push({
    path: "sharded_holes",
    dtype: "float32",
    shape: [12, 20],
    chunks: [3, 5],
    shards: [6, 10],
    compression: parseCompression("blosc"),
    withFill: false,
    skip: (idx) => idx[0] === 1 && idx[1] === 1,
    hole: { start: [0, 5], count: [3, 5] },
  });
  out.push({
    path: "missing_chunk",
    dtype: "float32",
    shape: [10],
    chunks: [4],
    compression: parseCompression("blosc"),
    withFill: true,
    skip: (idx) => idx[0] === 1,
  });
  out.push({
    path: "scalar",
    dtype: "float64",
    shape: [],
    chunks: [],
    compression: parseCompression("zstd"),
    withFill: false,
  });
  return out;
}

function dimsOf(c: Case): string[] {
  return c.shape.map((_, d) => `${c.path}_d${d}`);
}

function attrsOf(c: Case, strictJson: boolean): Attrs {
  const common = strictJson ? STRICT_JSON_ATTRS : COMMON_ATTRS;
  return c.withFill ? { ...common, _FillValue: FILL[c.dtype] } : { ...common };
}

/** The whole array as a reader should see it: data, with skipped chunks replaced by fill. */
function expectedArray(
  meta: ArrayMeta,
  data: DataArray,
  skip?: (i: number[]) => boolean,
): DataArray {
  if (!skip) return data;
  const out = Array.isArray(data) ? [...data] : (data.slice() as DataArray);
  const grid = chunkGrid(meta);
  const fill = emptyChunk(meta);
  const cell = storedChunk(meta);
  for (let flat = 0; flat < product(grid); flat++) {
    const index = grid.map((_, d) => Math.floor(flat / product(grid.slice(d + 1))) % grid[d]);
    if (!skip(index)) continue;
    const extent = chunkExtent(meta, index);
    copyBox(
      fill,
      cell,
      extent.map(() => 0),
      out,
      meta.shape,
      index.map((c, d) => c * cell[d]),
      extent,
    );
  }
  return out;
}

/**
 * `forZarrita`: only what zarrita.js 0.7.5 reads (no bare NaN attributes, no fixed-length byte
 * or UTF-32 strings, which it has no data type for).
 */
async function writeArchive(dir: string, format: ZarrFormat, forZarrita = false) {
  const store = new FsStore(dir);
  await writeGroupMetadata(store, format, {
    title: "interop",
    history: "written by zarrify tests",
  });
  const written: { c: Case; meta: ArrayMeta; expected: DataArray }[] = [];
  let seed = 1;
  for (const c of cases()) {
    if (forZarrita && (c.dtype === "char" || c.stringLength !== undefined)) continue;
    if (format === 2 && c.shards) continue;
    const meta = createArrayMeta({
      zarrFormat: format,
      path: c.path,
      dtype: c.dtype,
      shape: c.shape,
      chunks: c.chunks,
      dimensionNames: dimsOf(c),
      attrs: attrsOf(c, forZarrita),
      compression: c.compression,
      foldChars: c.foldChars,
      stringLength: c.stringLength,
      shards: c.shards,
    });
    const data = sampleData(c.dtype, product(c.shape), seed++);
    if (c.hole) {
      const { start, count } = c.hole;
      copyBox(
        emptyChunk(meta),
        storedChunk(meta),
        start.map(() => 0),
        data,
        c.shape,
        start,
        count,
      );
    }
    await writeArrayMetadata(store, meta);
    await writeAllChunks(store, meta, data, c.skip);
    written.push({ c, meta, expected: expectedArray(meta, data, c.skip) });
  }
  await writeConsolidated(store, format);
  return written;
}

function v2FillJson(c: Case): Json {
  if (!c.withFill) return c.dtype === "float32" || c.dtype === "float64" ? "NaN" : null;
  const f = FILL[c.dtype];
  if (c.dtype === "char") return Buffer.from(f as string, "latin1").toString("base64");
  if (typeof f === "number" && Number.isNaN(f)) return "NaN";
  return f;
}

/** The values a reader must see, for the Python oracles: raw bytes, or JSON for strings. */
function writeExpected(dataDir: string, c: Case, expected: DataArray): string {
  const file = `${c.path}.${c.dtype === "string" ? "json" : "bin"}`;
  if (Array.isArray(expected)) writeFileSync(join(dataDir, file), JSON.stringify(expected));
  else
    writeFileSync(
      join(dataDir, file),
      new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength),
    );
  return file;
}

function writeManifest(dataDir: string, arrays: unknown[]): string {
  const manifest = join(dataDir, "manifest.json");
  writeFileSync(
    manifest,
    stringifyJson({
      root_attrs: { title: "interop", history: "written by zarrify tests" },
      arrays,
    } as unknown as Json),
  );
  return manifest;
}

function runPython(args: string[]) {
  const r = spawnSync(PYTHON, [HELPER, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  let report: { ok: boolean; errors: string[]; checked: number } | undefined;
  try {
    report = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
  } catch {
    throw new Error(`python helper failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return report as { ok: boolean; errors: string[]; checked: number };
}

describe.skipIf(skipPython)("zarr v2 read by Debian zarr 2.13 / numcodecs / xarray", () => {
  it("reads every dtype x codec, fill values, attrs and consolidated metadata", async () => {
    const dir = join(tmp, "v2.zarr");
    const dataDir = join(tmp, "v2-expected");
    mkdirSync(dataDir);
    const written = await writeArchive(dir, 2);
    const arrays = written.map(({ c, meta, expected }) => {
      const file = writeExpected(dataDir, c, expected);
      return {
        path: c.path,
        dtype: c.dtype,
        numpy_dtype: NUMPY_DTYPE[c.dtype],
        shape: c.shape,
        chunks: c.chunks,
        dims: dimsOf(c),
        fill_value: v2FillJson(c),
        attrs: { ...COMMON_ATTRS_JSON, _ARRAY_DIMENSIONS: dimsOf(c) },
        compressor: v2Compressor(meta.compression, chunkTypesize(c.dtype)),
        data: file,
      };
    });
    const manifest = writeManifest(dataDir, arrays);
    const report = runPython(["check", dir, manifest]);
    expect(report.errors).toEqual([]);
    expect(report.checked).toBe(arrays.length);
  });

  it("c-blosc decodes our frames and we decode c-blosc's, for every cname x shuffle x typesize", () => {
    const dir = join(tmp, "frames");
    mkdirSync(dir);
    const typesizes: [string, DType][] = [
      ["u1", "uint8"],
      ["i2", "int16"],
      ["f4", "float32"],
      ["f8", "float64"],
    ];
    for (const cname of BLOSC_CNAMES) {
      for (const shuffle of BLOSC_SHUFFLES) {
        for (const [tag, dtype] of typesizes) {
          for (const n of [50, 5003, 40000]) {
            const data = sampleData(dtype, n, n) as Exclude<DataArray, string[]>;
            const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
            for (const clevel of [1, 9]) {
              const frame = bloscCompress(src, {
                cname,
                clevel,
                shuffle,
                typesize: chunkTypesize(dtype),
              });
              const stem = join(dir, `ts-${cname}-${shuffle}-${tag}-${n}-${clevel}`);
              writeFileSync(`${stem}.blosc`, frame);
              writeFileSync(`${stem}.src`, src);
            }
          }
        }
      }
    }
    const report = runPython(["frames", dir]);
    expect(report.errors).toEqual([]);
    expect(report.checked).toBe(BLOSC_CNAMES.length * 3 * 4 * 3 * 2);
    const pyFrames = readdirSync(dir).filter((f) => f.startsWith("py-") && f.endsWith(".blosc"));
    expect(pyFrames.length).toBe(5 * 3 * 4 * 3);
    for (const f of pyFrames) {
      const frame = new Uint8Array(readFileSync(join(dir, f)));
      const src = new Uint8Array(readFileSync(join(dir, f.replace(/\.blosc$/, ".src"))));
      expect(Buffer.from(bloscDecompress(frame)).equals(Buffer.from(src)), f).toBe(true);
    }
  });
});

function v3FillAttr(dtype: DType): unknown {
  const f = FILL[dtype];
  if (dtype === "float32" || dtype === "float64") {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(Number(f));
    return b.toString("base64");
  }
  if (typeof f === "bigint") return Number(f); // JSON.parse in zarrita rounds big integers
  return f;
}

describe("zarr v3 read by zarrita", () => {
  it("reads every dtype x codec it knows through consolidated metadata", async () => {
    const dir = join(tmp, "v3-zarrita.zarr");
    const written = await writeArchive(dir, 3, true);
    const store = await zarr.withConsolidatedMetadata(fsReader(dir), { format: "v3" });
    const listed = store.contents().map((n) => n.path);
    const root = await zarr.open(store, { kind: "group" });
    expect(root.attrs).toEqual({ title: "interop", history: "written by zarrify tests" });
    expect(written.some((w) => w.c.dtype === "string")).toBe(true);
    for (const { c, expected } of written) {
      expect(listed, c.path).toContain(`/${c.path}`);
      const arr = await zarr.open(root.resolve(c.path), { kind: "array" });
      expect(arr.shape).toEqual(c.shape);
      expect(arr.chunks).toEqual(c.chunks);
      expect(arr.dimensionNames).toEqual(dimsOf(c));
      expect(arr.dtype).toBe(c.dtype);
      const attrs = arr.attrs as Record<string, unknown>;
      expect(attrs.units).toBe("K");
      if (c.withFill) {
        expect(attrs._FillValue).toEqual(v3FillAttr(c.dtype));
      } else {
        expect(attrs).not.toHaveProperty("_FillValue");
      }
      const got = await zarr.get(arr);
      // zarrita returns a bare scalar for 0-d arrays, a chunk-like {data, shape} otherwise.
      const values =
        c.shape.length === 0
          ? [got]
          : Array.isArray(got.data)
            ? got.data
            : Array.from(got.data as ArrayLike<unknown>);
      const want = Array.isArray(expected) ? expected : Array.from(expected as ArrayLike<unknown>);
      expect(values, c.path).toEqual(want);
    }
  });
});

/** What zarr-python 3 must report as fill_value (JSON form) for a case. */
function v3FillJson(c: Case): Json {
  const f = FILL[c.dtype];
  if (c.dtype === "char") {
    const byte = c.withFill ? (f as string).charCodeAt(0) : 0;
    return Buffer.from(byte === 0 ? [] : [byte]).toString("base64");
  }
  if (!c.withFill) {
    if (c.dtype === "string") return "";
    if (c.dtype === "float32" || c.dtype === "float64") return "NaN";
    return NETCDF_DEFAULT_FILL[c.dtype] as Json;
  }
  if (typeof f === "number" && Number.isNaN(f)) return "NaN";
  return f as Json;
}

/** The numpy dtype zarr-python 3 gives each case (char folds its last dimension into |Sn). */
function v3NumpyDtype(c: Case): string {
  if (c.dtype === "char") return c.foldChars ? `|S${c.shape[c.shape.length - 1]}` : "|S1";
  if (c.dtype === "string") return c.stringLength !== undefined ? `<U${c.stringLength}` : "|O";
  return NUMPY_DTYPE[c.dtype];
}

describe.skipIf(skipSid)("zarr v3 read by today's zarr-python 3 and xarray (Debian sid)", () => {
  it("reads every dtype x codec, char and string data types, NaN attributes and fills", async () => {
    const dir = join(tmp, "v3.zarr");
    const dataDir = join(tmp, "v3-expected");
    mkdirSync(dataDir);
    const written = await writeArchive(dir, 3);
    expect(written.some((w) => w.c.foldChars)).toBe(true);
    expect(written.some((w) => w.c.stringLength !== undefined)).toBe(true);
    const arrays = written.map(({ c, expected }) => {
      const outer = <T>(xs: T[]): T[] => (c.foldChars ? xs.slice(0, -1) : xs);
      const file = writeExpected(dataDir, c, expected);
      return {
        path: c.path,
        numpy_dtype: v3NumpyDtype(c),
        shape: outer(c.shape),
        chunks: outer(c.chunks),
        ...(c.shards ? { shards: outer(c.shards) } : {}),
        dims: outer(dimsOf(c)),
        fill_value: v3FillJson(c),
        // What xarray decodes as _FillValue: none on fixed-length bytes or UTF-32 (its
        // FillValueCoder cannot read one there).
        xarray_fill:
          c.withFill && c.dtype !== "char" && c.stringLength === undefined
            ? (v3FillJson(c) as Json)
            : null,
        attrs: COMMON_ATTRS_JSON,
        data: file,
      };
    });
    const manifest = writeManifest(dataDir, arrays);
    const r = await sidPython(
      [join(import.meta.dirname, "zarr3_interop.py"), "check", dir, manifest],
      { allowFailure: true },
    );
    let report: { errors: string[]; checked: number };
    try {
      report = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
    } catch {
      throw new Error(`zarr3_interop.py failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    expect(report.errors).toEqual([]);
    expect(report.checked).toBe(arrays.length);
  });
});
