/**
 * Worker threads reading detached variables (readers/detached.ts, engine/inputs.ts): a NetCDF-4
 * conversion big enough (≥ 32 MiB) to run on threads writes the same archive whether the workers
 * read the variables detached or open the file as a Dataset themselves, and with detached reads
 * no worker starts h5wasm (its WASM instance count, reported with every task). The same holds for
 * a NetCDF-3 conversion through convertToZarr.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecuteResult } from "../../src/engine/run.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { convertOnEngine } from "../helpers/engine-convert.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { python, tempDir } from "../helpers/paths.js";

const dir = tempDir("zarrify-detached-");
const nc4 = join(dir, "t2m.nc");
const nc3 = join(dir, "t2m3.nc");

/** Every file of a directory tree by relative path, with its bytes. */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

function expectSameTree(a: string, b: string): void {
  const ta = tree(a);
  const tb = tree(b);
  expect([...tb.keys()]).toEqual([...ta.keys()]);
  // The write records carry times and paths of their own run; everything else is equal bytes.
  const differ = [...ta].filter(
    ([k, v]) => !k.startsWith(".zarrify/") && !v.equals(tb.get(k) as Buffer),
  );
  expect(differ.map(([k]) => k)).toEqual([]);
  expect(ta.size).toBeGreaterThan(10);
}

async function withDetached<T>(on: boolean, run: () => Promise<T>): Promise<T> {
  const saved = process.env.ZARRIFY_DETACHED;
  if (on) delete process.env.ZARRIFY_DETACHED;
  else process.env.ZARRIFY_DETACHED = "0";
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env.ZARRIFY_DETACHED;
    else process.env.ZARRIFY_DETACHED = saved;
  }
}

/** The engine half of convert, with its per-thread start-up diagnostics. */
const convertPlan = (out: string) =>
  convertOnEngine(nc4, out, {
    zarrFormat: 2,
    jobs: 2,
    chunking: { time: 1, lat: 361, lon: 720 },
  });

beforeAll(() => {
  // 12 × 721 × 1440 float32 = 50 MB: above the engine's 32 MiB worker threshold.
  execFileSync(
    python,
    [
      "-c",
      `
import sys, numpy as np, netCDF4
nt, ny, nx = 12, 721, 1440
with netCDF4.Dataset(sys.argv[1], "w", format="NETCDF4") as f:
    f.createDimension("time", None); f.createDimension("lat", ny); f.createDimension("lon", nx)
    t = f.createVariable("time", "f8", ("time",)); t.units = "hours since 2000-01-01"
    la = f.createVariable("lat", "f4", ("lat",)); la[:] = np.linspace(90, -90, ny)
    lo = f.createVariable("lon", "f4", ("lon",)); lo[:] = np.arange(nx) * 0.25
    v = f.createVariable("t2m", "f4", ("time", "lat", "lon"), zlib=True, complevel=1, shuffle=True, chunksizes=(1, ny, nx))
    y = np.cos(np.radians(np.linspace(90, -90, ny)))[:, None] * 30 + 250
    for i in range(nt):
        t[i] = i
        v[i] = (y + np.sin(np.arange(nx) / 50.0 + i)[None, :] * 5).astype("f4")
`,
      nc4,
    ],
    { stdio: "inherit" },
  );
  writeGrid(nc3, { times: 12, y: 721, x: 1440 });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("workers read detached variables", () => {
  it("a NetCDF-4 conversion on threads: same archive, no h5wasm in the workers", async () => {
    const detached = await withDetached(true, () => convertPlan(join(dir, "a.zarr")));
    const attached = await withDetached(false, () => convertPlan(join(dir, "b.zarr")));
    expect(detached.workers).toBe(2);
    expect(attached.workers).toBe(2);
    expectSameTree(join(dir, "b.zarr"), join(dir, "a.zarr"));

    const threads = detached.threads ?? [];
    const opened = attached.threads ?? [];
    // A worker reports with its tasks; one slow to start may find none left.
    expect(threads.length).toBeGreaterThanOrEqual(1);
    expect(opened.length).toBeGreaterThanOrEqual(1);
    // The counter works: workers that open the file themselves start h5wasm.
    for (const t of opened) expect(t.h5wasmInstances).toBeGreaterThanOrEqual(1);
    for (const t of threads) expect(t.h5wasmInstances).toBe(0);
    const first = (r: ExecuteResult) =>
      (r.threads ?? []).map((t) => Math.round(t.firstTaskMs)).join(", ");
    console.log(
      `time to first task done (ms): detached ${first(detached)}; opening the file ${first(attached)}`,
    );
  }, 180_000);

  it("a NetCDF-3 convert on threads writes the same archive detached or not", async () => {
    const a = join(dir, "c.zarr");
    const b = join(dir, "d.zarr");
    const options = { zarrFormat: 2 as const, jobs: 2, chunking: { time: 4 } };
    const ra = await withDetached(true, () => convertToZarr(nc3, a, options));
    const rb = await withDetached(false, () => convertToZarr(nc3, b, options));
    expect(ra.workers).toBe(2);
    expect(rb.workers).toBe(2);
    expectSameTree(b, a);
  }, 180_000);
});
