/** convert --intelligent-chunking: the archive's chunks are the recommendation for its dims. */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convertToZarr } from "../../src/ops/convert.js";
import { recommendChunks } from "../../src/plan/chunking.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import { runCli } from "../helpers/cli.js";
import { real, tempDir } from "../helpers/paths.js";

const file = real("geocat_atm.20C.hourly6-1990-1995-TS.nc");

describe("convert --intelligent-chunking", () => {
  for (const pattern of ["temporal", "spatial", "balanced"] as const) {
    it(`${pattern}: chunks follow the recommendation, named dims as asked`, async () => {
      const store = new MemoryStore();
      await convertToZarr(file, "mem", {
        store,
        intelligentChunking: true,
        accessPattern: pattern,
        targetChunkSizeMb: 4,
        chunking: { member_id: 5 },
      });
      const ts = (await readArchiveMetadata(store)).arrays.get("TS");
      expect(ts?.dimensionNames).toEqual(["member_id", "time"]);
      const rec = recommendChunks({
        dims: ts?.dimensionNames ?? [],
        shape: ts?.shape ?? [],
        itemSize: 4,
        timeDim: "time",
        pattern,
        targetChunkSizeMb: 4,
      });
      expect(ts?.chunks).toEqual([5, ...rec.chunks.slice(1)]);
    }, 60_000);
  }

  it("warns on the command line when a chunk falls outside 1-100 MB", () => {
    const r = runCli([
      "convert",
      file,
      join(tempDir(), "out.zarr"),
      "--intelligent-chunking",
      "--target-chunk-size-mb",
      "0.5",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: TS: .*below 1 MB/);
  }, 60_000);

  it("keeps a variable smaller than the target whole, without a warning", () => {
    const out = join(tempDir(), "uvz.zarr");
    const r = runCli([
      "convert",
      real("xarray-data_eraint_uvz.nc"),
      out,
      "--intelligent-chunking",
      "--zarr-format",
      "2",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const zarray = JSON.parse(readFileSync(join(out, "z", ".zarray"), "utf8"));
    expect(zarray.chunks).toEqual([2, 3, 241, 480]);
  }, 60_000);
});
