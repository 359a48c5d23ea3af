/**
 * Multi-file writes planned together (ops/region.ts writeFiles): a chunk that several files fill
 * is assembled from all of them and stored once, blind, instead of merged once per file; the
 * archive still equals xarray's concatenation of the files.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convertToZarr } from "../../src/ops/convert.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import type { Store } from "../../src/zarr/store/types.js";
import { tempDir } from "../helpers/paths.js";
import { compareConcat, makeSeries } from "../region/series.js";

/** Counts the store calls that write. */
function counting(inner: Store) {
  const calls = { set: 0, setIfMatch: 0, setIfAbsent: 0 };
  const store: Store = Object.create(inner);
  store.set = (k, v) => {
    calls.set++;
    return inner.set(k, v);
  };
  store.setIfMatch = (k, v, version) => {
    calls.setIfMatch++;
    return inner.setIfMatch(k, v, version);
  };
  store.setIfAbsent = (k, v) => {
    calls.setIfAbsent++;
    return inner.setIfAbsent(k, v);
  };
  return { store, calls };
}

describe("multi-file convert plans across its files", () => {
  it("stores each chunk once when 12 one-step files fill chunks of 4 steps", async () => {
    const dir = tempDir();
    const files = makeSeries(dir, Array(12).fill(1), { nlat: 6, nlon: 8 });
    const out = join(dir, "out.zarr");
    const { store, calls } = counting(new FsStore(out));
    const r = await convertToZarr(files, out, {
      store,
      chunking: { time: 4 },
      zarrFormat: 2,
      jobs: 1,
    });
    // 3 chunks each of t2m, flag and time_bnds, each stored once: none merged, none twice.
    expect(calls.setIfMatch).toBe(0);
    expect(r.chunks).toBe(9);
    expect(compareConcat(files, out)).toMatchObject({ ok: true, differences: [] });
  });

  it("writes the same archive on worker threads", async () => {
    const dir = tempDir();
    // Big enough (50 MB) for the engine to start its threads.
    const files = makeSeries(dir, [3, 2, 5, 2], { nlat: 721, nlon: 1440 });
    const out = join(dir, "out.zarr");
    const r = await convertToZarr(files, out, { chunking: { time: 4 }, zarrFormat: 2, jobs: 2 });
    expect(r.workers).toBe(2);
    expect(compareConcat(files, out)).toMatchObject({ ok: true, differences: [] });
  });
});
