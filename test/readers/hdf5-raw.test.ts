/**
 * The raw HDF5 chunk path (readers/hdf5/raw-chunks.ts) against h5wasm: every variable of every
 * NetCDF-4/HDF5 file of the real corpus and of test/fixtures is read both ways — whole, and in
 * random hyperslabs — and must give identical bytes. A tally shows which variables took the raw
 * path, so a regression to all-fallback fails loudly.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DataArray } from "../../src/dataset/types.js";
import { InputError } from "../../src/errors.js";
import { fletcher32, unshuffle } from "../../src/readers/hdf5/filters.js";
import { planRaw } from "../../src/readers/hdf5/raw-chunks.js";
import { RawFile } from "../../src/readers/hdf5/raw-file.js";
import { h5module } from "../../src/readers/hdf5/runtime.js";
import type { Hdf5Variable } from "../../src/readers/hdf5/variable.js";
import { type Hdf5Dataset, hdf5Magic, openHdf5 } from "../../src/readers/hdf5.js";
import { fixture, fixturesDir, realDir, tempDir } from "../helpers/paths.js";
import { randomBox, seededRandom } from "../helpers/random.js";

function hdf5FilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => {
      try {
        return hdf5Magic(readFileSync(join(dir, name)).subarray(0, 4096));
      } catch {
        return false;
      }
    })
    .sort()
    .map((name) => join(dir, name));
}

const files = [...hdf5FilesIn(realDir), ...hdf5FilesIn(fixturesDir)];

/** Why a variable may stay on h5wasm; anything else is a regression of the raw path. */
const ALLOWED_FALLBACK = [
  /^fixed-string values$/,
  /^vlen-string values$/,
  /^a filter other than deflate, shuffle, fletcher32$/, // szip in netcdf-c_ref_szip.h5
];

interface Tally {
  file: string;
  variable: string;
  raw: boolean;
  storage?: string;
  reason?: string;
}
const tally: Tally[] = [];

function bytesOf(a: DataArray): Buffer | string {
  if (Array.isArray(a)) return JSON.stringify(a);
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function expectSame(expected: DataArray, got: DataArray, what: string): void {
  expect(got.constructor, what).toBe(expected.constructor);
  expect(got.length, what).toBe(expected.length);
  const e = bytesOf(expected);
  const g = bytesOf(got);
  if (typeof e === "string" || typeof g === "string") expect(g, what).toEqual(e);
  // Buffer.equals: fast, and NaN payloads compare as bytes.
  else if (!e.equals(g)) expect.fail(`${what}: bytes differ`);
}

const WHOLE_LIMIT = 4 * 2 ** 20; // elements: read whole below this, only boxes above

async function compareVariable(
  file: string,
  viaH5: Hdf5Variable,
  viaRaw: Hdf5Variable,
  seed: number,
): Promise<void> {
  const report = await viaRaw.readPath();
  tally.push({
    file,
    variable: viaRaw.name,
    raw: report.raw,
    storage: report.storage,
    reason: report.reason,
  });
  const what = `${file} ${viaRaw.name} (${report.storage ?? "?"})`;
  const shape = viaH5.shape;
  const elements = shape.reduce((a, b) => a * b, 1);
  if (elements <= WHOLE_LIMIT) {
    const zeros = shape.map(() => 0);
    expectSame(await viaH5.read(zeros, shape), await viaRaw.read(zeros, shape), what);
  }
  const rand = seededRandom(seed);
  for (let i = 0; i < 6; i++) {
    const { start, count } = randomBox(shape, rand);
    const box = `${what} [${start}]+[${count}]`;
    expectSame(await viaH5.read(start, count), await viaRaw.read(start, count), box);
  }
}

/**
 * NOFILL data never written: HDF5 leaves the read buffer as it was, so h5wasm's bytes are
 * whatever its heap held. Checked separately below.
 */
const UNDEFINED_VALUES = new Set(["nc4_raw_unallocated.nc no_fill_sparse"]);

async function compareGroups(file: string, a: Hdf5Dataset, b: Hdf5Dataset, seed: number) {
  expect(b.variables.map((v) => v.name)).toEqual(a.variables.map((v) => v.name));
  for (let i = 0; i < a.variables.length; i++) {
    const key = `${file.slice(file.lastIndexOf("/") + 1)} ${a.variables[i].name}`;
    if (UNDEFINED_VALUES.has(key)) continue;
    await compareVariable(file, a.variables[i], b.variables[i], seed + i);
  }
  const ca = (a.children?.() ?? []) as Hdf5Dataset[];
  const cb = (b.children?.() ?? []) as Hdf5Dataset[];
  for (let i = 0; i < ca.length; i++) await compareGroups(file, ca[i], cb[i], seed * 31 + i);
}

describe("raw HDF5 chunk reads give h5wasm's bytes", () => {
  it.each(files.map((f, i) => [f.slice(f.lastIndexOf("/") + 1), f, i] as const))(
    "%s",
    async (_name, path, i) => {
      const viaH5 = await openHdf5(path, { raw: false });
      const viaRaw = await openHdf5(path, { raw: true });
      try {
        await compareGroups(path, viaH5, viaRaw, 1000 * (i + 1));
      } finally {
        await viaH5.close();
        await viaRaw.close();
      }
    },
    60_000,
  );

  afterAll(() => {
    // The survey, for the record (vitest prints it with --reporter=verbose or on failure).
    const byStorage = new Map<string, { raw: number; h5wasm: number }>();
    for (const t of tally) {
      const key = t.storage ?? "(not parsed)";
      const row = byStorage.get(key) ?? { raw: 0, h5wasm: 0 };
      if (t.raw) row.raw++;
      else row.h5wasm++;
      byStorage.set(key, row);
    }
    if (process.env.ZARRIFY_RAW_SURVEY) {
      writeFileSync(
        process.env.ZARRIFY_RAW_SURVEY,
        JSON.stringify({ byStorage: Object.fromEntries(byStorage), tally }, null, 1),
      );
    }
  });
});

describe("which variables take the raw path", () => {
  it("every numeric/char variable of the corpus and fixtures reads raw, except known cases", async () => {
    // Runs after the comparison above (same file, sequential), which filled the tally.
    expect(tally.length).toBeGreaterThan(600);
    const unexpected = tally.filter(
      (t) => !t.raw && !ALLOWED_FALLBACK.some((re) => re.test(t.reason ?? "")),
    );
    expect(unexpected).toEqual([]);
    const raw = tally.filter((t) => t.raw).length;
    expect(raw).toBeGreaterThanOrEqual(666);
    // Chunked storage with a v1 B-tree is what netCDF-4 writes; it must be the bulk of it.
    const btree = tally.filter((t) => t.raw && t.storage === "chunked/v1 B-tree").length;
    expect(btree).toBeGreaterThanOrEqual(240);
  });
});

describe("the raw path's own fixtures (make_raw_fixtures.py, make_raw_fixtures_latest.mjs)", () => {
  const reports = async (name: string) => {
    const ds = await openHdf5(fixture(name), { raw: true });
    try {
      const out: Record<string, { raw: boolean; storage?: string; reason?: string }> = {};
      for (const v of ds.variables) out[v.name] = await v.readPath();
      return out;
    } finally {
      await ds.close();
    }
  };

  it("layout message version 4/5 chunk indexes all read raw", async () => {
    for (const name of ["h5_raw_v110.h5", "h5_raw_latest.h5"]) {
      const r = await reports(name);
      const storage = (v: string) => r[v]?.storage;
      expect(
        Object.values(r).every((x) => x.raw),
        JSON.stringify(r),
      ).toBe(true);
      expect(storage("fixed")).toBe("chunked/fixed array");
      expect(storage("fixed_paged")).toBe("chunked/fixed array");
      expect(storage("single")).toBe("chunked/single chunk");
      expect(storage("single_plain")).toBe("chunked/single chunk");
      expect(storage("ext")).toBe("chunked/extensible array");
      expect(storage("ext_many")).toBe("chunked/extensible array");
      expect(storage("ext_inner")).toBe("chunked/extensible array");
      expect(storage("bt2")).toBe("chunked/v2 B-tree");
      expect(storage("bt2_many")).toBe("chunked/v2 B-tree");
    }
  });

  it("fill values, filters, byte orders of netCDF-4 files read raw", async () => {
    const filters = await reports("nc4_raw_filters.nc");
    expect(Object.entries(filters).filter(([, x]) => !x.raw)).toEqual([]);
    const unallocated = await reports("nc4_raw_unallocated.nc");
    expect(Object.entries(unallocated).filter(([, x]) => !x.raw)).toEqual([]);
    const plain = await reports("h5_raw_default.h5");
    expect(Object.entries(plain).filter(([, x]) => !x.raw)).toEqual([]);
  });

  it("NOFILL chunks never written: the raw path reads what exists, leaves the rest to h5wasm", async () => {
    const path = fixture("nc4_raw_unallocated.nc");
    const module = await h5module();
    const fileId = module.open(path, module.H5F_ACC_RDONLY, false, -1, -1);
    const file = await RawFile.open(path);
    try {
      const ref = Uint8Array.from(module.create_object_reference(fileId, "/no_fill_sparse"));
      const address = Number(new DataView(ref.buffer).getBigUint64(0, true));
      const plan = await planRaw({ file, address, filters: [], extent: [10, 12], elementSize: 4 });
      expect(plan.report).toMatchObject({ raw: true, storage: "chunked/v1 B-tree", chunks: 1 });
      const written = await plan.dataset?.read([1, 2], [3, 4]);
      const h5 = await openHdf5(path, { raw: false });
      const v = h5.variables.find((x) => x.name === "no_fill_sparse") as Hdf5Variable;
      const expected = (await v.read([1, 2], [3, 4])) as Int32Array;
      await h5.close();
      expect(Buffer.from(written as Uint8Array).equals(Buffer.from(expected.buffer))).toBe(true);
      // A box reaching into a chunk never written: undecidable, so no raw answer.
      expect(await plan.dataset?.read([3, 4], [4, 4])).toBeUndefined();
    } finally {
      module.close_file(fileId);
      await file.close();
    }
  });

  it("a fletcher32 mismatch is an InputError naming the file", async () => {
    const src = fixture("nc4_raw_filters.nc");
    const h5 = await openHdf5(src, { raw: false });
    const v = h5.variables.find((x) => x.name === "fletcher_only") as Hdf5Variable;
    const first = (await v.read([0, 0, 0], [1, 1, 4])) as Float32Array;
    await h5.close();
    const needle = Buffer.from(first.buffer, first.byteOffset, 16);
    const bytes = Buffer.from(readFileSync(src));
    let hits = 0;
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      bytes[at + 5] ^= 0x40;
      hits++;
    }
    expect(hits).toBeGreaterThan(0);
    const path = join(tempDir("zarrify-raw-fletcher-"), "bad.nc");
    writeFileSync(path, bytes);
    const ds = await openHdf5(path, { raw: true });
    try {
      const bad = ds.variables.find((x) => x.name === "fletcher_only") as Hdf5Variable;
      expect((await bad.readPath()).raw).toBe(true);
      const err = await bad.read([0, 0, 0], [1, 1, 1]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toContain("fletcher32");
    } finally {
      await ds.close();
    }
  });
});

describe("filters", () => {
  it("fletcher32 of nothing is 0 (the corpus's fletcher32 variable checks the real thing)", () => {
    expect(fletcher32(new Uint8Array(0))).toBe(0);
  });

  it("unshuffle inverts the byte shuffle, leaving a remainder in place", () => {
    const plain = Uint8Array.from({ length: 4 * 5 + 3 }, (_, i) => i);
    const shuffled = new Uint8Array(plain.length);
    const n = 5;
    for (let i = 0; i < n; i++) for (let b = 0; b < 4; b++) shuffled[b * n + i] = plain[i * 4 + b];
    shuffled.set(plain.subarray(20), 20);
    expect(Array.from(unshuffle(shuffled, 4))).toEqual(Array.from(plain));
  });
});

describe("corrupt input", () => {
  it("random damage to indexes, headers and chunks: an InputError naming the file or a result", async () => {
    // The raw path's own index types are the ones h5wasm's tests never corrupt.
    const sources = [
      "h5_raw_v110.h5",
      "h5_raw_latest.h5",
      "nc4_raw_filters.nc",
      "nc4_raw_unallocated.nc",
    ];
    const dir = tempDir("zarrify-raw-fuzz-");
    const rand = seededRandom(4242);
    const outcomes: Record<string, number> = {};
    for (let run = 0; run < 48; run++) {
      const bytes = Buffer.from(readFileSync(fixture(sources[run % sources.length])));
      // Past the superblock: object headers, indexes and chunk data.
      const at = 96 + Math.floor(rand() * (bytes.length - 96));
      const len = 1 + Math.floor(rand() * (run % 3 === 0 ? 8 : 512));
      for (let i = at; i < Math.min(bytes.length, at + len); i++)
        bytes[i] = Math.floor(rand() * 256);
      const path = join(dir, `fuzz_${run}.h5`);
      writeFileSync(path, bytes);
      let outcome = "ok";
      try {
        const ds = await openHdf5(path, { raw: true });
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
    expect(outcomes["read error"]).toBeGreaterThan(0);
  }, 120_000);
});

describe("corrupt chunk data", () => {
  it("a damaged deflate chunk is an InputError naming the file, not a crash", async () => {
    const dir = tempDir("zarrify-raw-corrupt-");
    const src = readFileSync(fixture("nc4_chunked.nc"));
    const viaRaw = await openHdf5(fixture("nc4_chunked.nc"), { raw: true });
    // Find a deflated variable and the address of its first chunk through the raw plan.
    let target: Hdf5Variable | undefined;
    for (const v of viaRaw.variables) {
      const r = await v.readPath();
      if (
        r.raw &&
        r.storage === "chunked/v1 B-tree" &&
        v.sourceFilters?.some((f) => f.startsWith("deflate"))
      )
        target = v;
    }
    await viaRaw.close();
    expect(target).toBeDefined();
    // Overwrite every zlib stream header (0x78 0x9c / 0x78 0x01 / 0x78 0x5e / 0x78 0xda) we find.
    const bad = Buffer.from(src);
    let hits = 0;
    for (let i = 2048; i < bad.length - 1; i++) {
      if (bad[i] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(bad[i + 1])) {
        bad[i] = 0x00;
        bad[i + 1] = 0x00;
        hits++;
      }
    }
    expect(hits).toBeGreaterThan(0);
    const path = join(dir, "corrupt.nc");
    writeFileSync(path, bad);
    const ds = await openHdf5(path, { raw: true });
    try {
      const v = ds.variables.find((x) => x.name === target?.name) as Hdf5Variable;
      const err = await v
        .read(
          v.shape.map(() => 0),
          v.shape,
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toContain(path);
    } finally {
      await ds.close();
    }
  });
});
