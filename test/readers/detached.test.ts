/**
 * Detached variables (readers/detached.ts) against their Dataset: every variable of every NetCDF
 * file of the real corpus and of test/fixtures that detaches is described on the opening side,
 * cloned as a worker thread would get it, opened over a file source of its own, and read — whole
 * and in random boxes — giving exactly what the attached variable gives. A tally counts what
 * detaches, so a regression to "nothing detaches" fails loudly.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DataArray, Dataset, Variable } from "../../src/dataset/types.js";
import { InputError } from "../../src/errors.js";
import {
  type DetachedSource,
  detachedSource,
  detachVariables,
  openDetachedFile,
} from "../../src/readers/detached.js";
import { h5wasmInstances } from "../../src/readers/hdf5/runtime.js";
import type { Hdf5Variable } from "../../src/readers/hdf5/variable.js";
import { hdf5Magic } from "../../src/readers/hdf5.js";
import { openDataset } from "../../src/readers/index.js";
import { netcdf3Magic } from "../../src/readers/netcdf3.js";
import { fixture, fixturesDir, realDir } from "../helpers/paths.js";
import { randomBox, seededRandom } from "../helpers/random.js";

function netcdfFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => {
      const path = join(dir, name);
      try {
        if (!statSync(path).isFile()) return false;
        const head = readFileSync(path).subarray(0, 4096);
        return netcdf3Magic(head) !== undefined || hdf5Magic(head);
      } catch {
        return false;
      }
    })
    .sort()
    .map((name) => join(dir, name));
}

const files = [...netcdfFilesIn(realDir), ...netcdfFilesIn(fixturesDir)];

interface Tally {
  file: string;
  variable: string;
  format: string;
  dtype: string;
  detached: boolean;
  /** Why an HDF5 variable stays attached (its raw read report). */
  reason?: string;
  tableChunks?: number;
  cloneMs?: number;
}
const tally: Tally[] = [];

function expectSame(expected: DataArray, got: DataArray, what: string): void {
  expect(got.constructor, what).toBe(expected.constructor);
  expect(got.length, what).toBe(expected.length);
  if (Array.isArray(expected) || Array.isArray(got)) {
    expect(got, what).toEqual(expected);
    return;
  }
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  const g = Buffer.from(got.buffer, got.byteOffset, got.byteLength);
  // Buffer.equals: fast, and NaN payloads compare as bytes.
  if (!e.equals(g)) expect.fail(`${what}: bytes differ`);
}

const WHOLE_LIMIT = 4 * 2 ** 20; // elements: read whole below this, only boxes above

/** What the engine does: describe on the opening thread, clone across, open on the other side. */
async function compareVariable(
  file: string,
  format: string,
  attached: Variable,
  seed: number,
): Promise<void> {
  const name = file.slice(file.lastIndexOf("/") + 1);
  const desc = await detachedSource(attached);
  const row: Tally = {
    file: name,
    variable: attached.name,
    format,
    dtype: attached.dtype,
    detached: desc !== undefined,
  };
  tally.push(row);
  if (!desc) {
    if (format === "hdf5") {
      const report = await (attached as Hdf5Variable).readPath();
      row.reason = report.raw ? "raw, but a read could meet an undecidable fill" : report.reason;
    }
    return;
  }
  const t0 = performance.now();
  const cloned = structuredClone(desc);
  row.cloneMs = performance.now() - t0;
  if (desc.kind === "hdf5") row.tableChunks = desc.raw.table?.keys.length;
  const { variable, close } = await openDetachedFile(cloned);
  const what = `${name} ${attached.name}`;
  try {
    expect(variable.name).toBe(attached.name);
    expect(variable.dtype).toBe(attached.dtype);
    expect(variable.dims).toEqual(attached.dims);
    expect(variable.shape).toEqual(attached.shape);
    expect(variable.attrs).toEqual(attached.attrs);
    expect(variable.sourceChunks).toEqual(attached.sourceChunks);
    const shape = attached.shape;
    if (shape.reduce((a, b) => a * b, 1) <= WHOLE_LIMIT) {
      const zeros = shape.map(() => 0);
      expectSame(await attached.read(zeros, shape), await variable.read(zeros, shape), what);
    }
    const rand = seededRandom(seed);
    for (let i = 0; i < 6; i++) {
      const { start, count } = randomBox(shape, rand);
      const box = `${what} [${start}]+[${count}]`;
      expectSame(await attached.read(start, count), await variable.read(start, count), box);
    }
    // Out of bounds is the caller's bug, as on the attached side.
    const past = shape.map((n) => n);
    if (shape.length > 0) {
      await expect(
        variable.read(
          past,
          shape.map(() => 1),
        ),
      ).rejects.toBeInstanceOf(RangeError);
    }
  } finally {
    await close();
  }
}

async function compareGroups(file: string, ds: Dataset, seed: number): Promise<void> {
  for (const [i, v] of ds.variables.entries()) {
    await compareVariable(file, ds.format, v, seed + i);
  }
  for (const [i, child] of (ds.children?.() ?? []).entries()) {
    await compareGroups(file, child, seed * 31 + i);
  }
}

describe("detached variables read what their Dataset reads", () => {
  it.each(files.map((f, i) => [f.slice(f.lastIndexOf("/") + 1), f, i] as const))(
    "%s",
    async (_name, path, i) => {
      let ds: Dataset;
      try {
        ds = await openDataset(path);
      } catch (err) {
        // A corpus file the reader refuses has nothing to detach.
        if (err instanceof InputError) return;
        throw err;
      }
      try {
        await compareGroups(path, ds, 1000 * (i + 1));
      } finally {
        await ds.close();
      }
    },
    60_000,
  );

  afterAll(() => {
    if (!process.env.ZARRIFY_DETACHED_SURVEY) return;
    const detached = tally.filter((t) => t.detached);
    const clone = detached.map((t) => t.cloneMs ?? 0).sort((a, b) => b - a);
    const tables = detached.map((t) => t.tableChunks ?? 0).sort((a, b) => b - a);
    console.log(
      JSON.stringify({
        variables: tally.length,
        detached: detached.length,
        byFormat: Object.fromEntries(
          [...new Set(tally.map((t) => t.format))].map((f) => [
            f,
            {
              all: tally.filter((t) => t.format === f).length,
              detached: detached.filter((t) => t.format === f).length,
            },
          ]),
        ),
        attachedReasons: [...new Set(tally.filter((t) => !t.detached).map((t) => t.reason))],
        slowestCloneMs: clone.slice(0, 3),
        largestTables: tables.slice(0, 3),
      }),
    );
  });
});

describe("which variables detach", () => {
  it("every NetCDF-3 variable, every raw-path HDF5 variable except undecidable fills", () => {
    // Runs after the comparison above (same file, sequential), which filled the tally.
    const nc3 = tally.filter((t) => t.format !== "hdf5");
    expect(nc3.length).toBeGreaterThan(1600);
    expect(nc3.filter((t) => !t.detached)).toEqual([]);
    const h5 = tally.filter((t) => t.format === "hdf5");
    expect(h5.length).toBeGreaterThan(600);
    const allowed = [
      /^fixed-string values$/,
      /^vlen-string values$/,
      /^a filter other than deflate, shuffle, fletcher32$/,
    ];
    const unexpected = h5.filter(
      (t) => !t.detached && !allowed.some((re) => re.test(t.reason ?? "")),
    );
    // Only the NOFILL fixture's never-written variable: its unwritten cells are undecidable.
    expect(unexpected.map((t) => `${t.file} ${t.variable}`)).toEqual([
      "nc4_raw_unallocated.nc no_fill_sparse",
    ]);
    expect(h5.filter((t) => t.detached).length).toBeGreaterThanOrEqual(666);
  });

  it("string variables stay attached; detaching needs no h5wasm of its own", async () => {
    const ds = await openDataset(fixture("nc4_strings.nc"));
    try {
      const strings = ds.variables.filter((v) => v.dtype === "string");
      expect(strings.length).toBeGreaterThan(0);
      for (const v of strings) expect(await detachedSource(v)).toBeUndefined();
    } finally {
      await ds.close();
    }
    // Reading a detached HDF5 variable starts no WASM instance (the opening above did, once).
    const ds2 = await openDataset(fixture("nc4_raw_filters.nc"));
    let descs: Record<string, DetachedSource>;
    try {
      descs = await detachVariables(
        ds2,
        ds2.variables.map((v) => v.name),
      );
    } finally {
      await ds2.close();
    }
    expect(Object.keys(descs).length).toBeGreaterThan(0);
    const before = h5wasmInstances();
    for (const d of Object.values(descs)) {
      const { variable, close } = await openDetachedFile(structuredClone(d));
      await variable.read(
        variable.shape.map(() => 0),
        variable.shape,
      );
      await close();
    }
    expect(h5wasmInstances()).toBe(before);
  });

  it("ZARRIFY_DETACHED=0 turns detaching off", async () => {
    const ds = await openDataset(fixture("nc3_cdf2_record.nc"));
    const saved = process.env.ZARRIFY_DETACHED;
    try {
      expect(await detachedSource(ds.variables[0])).toBeDefined();
      process.env.ZARRIFY_DETACHED = "0";
      expect(await detachedSource(ds.variables[0])).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.ZARRIFY_DETACHED;
      else process.env.ZARRIFY_DETACHED = saved;
      await ds.close();
    }
  });

  it("a detached read after close is an InputError", async () => {
    const ds = await openDataset(fixture("nc4_chunked.nc"));
    const desc = await detachedSource(ds.variables[ds.variables.length - 1]);
    await ds.close();
    expect(desc).toBeDefined();
    const { variable, close } = await openDetachedFile(desc as DetachedSource);
    await close();
    await expect(
      variable.read(
        variable.shape.map(() => 0),
        variable.shape.map(() => 1),
      ),
    ).rejects.toBeInstanceOf(InputError);
  });
});
