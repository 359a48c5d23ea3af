/**
 * InputCache: a bounded number of open files per thread, and no file closed under a read that is
 * still running (a block of ten files' pieces read four at a time once evicted a file mid-read
 * under load: "read of 't2m' after the file was closed").
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputCache } from "../../src/engine/inputs.js";
import type { InputRef } from "../../src/engine/job.js";
import { detachVariables } from "../../src/readers/detached.js";
import { openDataset } from "../../src/readers/index.js";
import { tempDir } from "../helpers/paths.js";
import { makeSeries } from "../region/series.js";

const dir = tempDir("zarrify-inputs-");

describe("InputCache", () => {
  const files = makeSeries(join(dir, "nc4"), new Array(12).fill(1), { nlat: 30, nlon: 40 });
  const nc3 = makeSeries(join(dir, "nc3"), new Array(12).fill(1), {
    nlat: 30,
    nlon: 40,
    format: "NETCDF3_64BIT_OFFSET",
    prefix: "classic",
  });

  async function expected(path: string): Promise<number[]> {
    const ds = await openDataset(path);
    try {
      const v = ds.variables.find((x) => x.name === "t2m");
      if (!v) throw new Error("no t2m");
      return Array.from((await v.read([0, 0, 0], v.shape)) as Float32Array);
    } finally {
      await ds.close();
    }
  }

  it.each([
    ["opened as Datasets", false],
    ["read through detached sources", true],
  ])(
    "reads more files at once than it keeps open, none closed mid-read (%s)",
    async (_, detached) => {
      for (const set of [files, nc3]) {
        const refs: InputRef[] = [];
        for (const path of set) {
          const ref: InputRef = { path };
          if (detached) {
            const ds = await openDataset(path);
            ref.variables = await detachVariables(ds, ["t2m"]);
            await ds.close();
            expect(Object.keys(ref.variables)).toEqual(["t2m"]);
          }
          refs.push(ref);
        }
        const cache = new InputCache(refs);
        try {
          const shape = [1, 30, 40];
          // All twelve at once, twice over: every open evicts an entry some read still uses.
          const reads = [...refs, ...refs].map((_, i) =>
            cache.read(i % refs.length, "t2m", [0, 0, 0], shape),
          );
          const got = await Promise.all(reads);
          for (const [i, path] of set.entries()) {
            const want = await expected(path);
            expect(Array.from(got[i] as Float32Array)).toEqual(want);
            expect(Array.from(got[i + set.length] as Float32Array)).toEqual(want);
          }
        } finally {
          await cache.close();
        }
      }
    },
  );
});
