/**
 * A template over ten years of hourly 0.25° data (87,600 × 721 × 1440 float32), with shards: it
 * is laid out from a one-step file without writing any of its chunks, and its filled layout has
 * at most 1/50 of the objects the same chunks would need unsharded. (How long it takes is
 * measured in bench/shards.mjs, not asserted here.)
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTemplate } from "../../src/ops/template.js";
import { validateArchive } from "../../src/ops/validate.js";
import { product } from "../../src/util/shape.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { chunkGrid } from "../../src/zarr/array.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { tempDir } from "../helpers/paths.js";
import { makeSeries } from "../region/series.js";

const dir = tempDir("zarrify-shard-template-");

function objects(root: string): number {
  let n = 0;
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    n += statSync(p).isDirectory() ? objects(p) : 1;
  }
  return n;
}

describe("a ten-year hourly 0.25° template with shards", () => {
  it("writes no data chunks and lays out 1/50 of the objects of the unsharded layout or fewer", async () => {
    const [first] = makeSeries(join(dir, "one"), [1], { nlat: 721, nlon: 1440, stepHours: 1 });
    const layout = {
      globalStart: "2020-01-01T00:00",
      globalEnd: "2029-12-28T23:00",
      freq: "1h",
      zarrFormat: 3 as const,
      chunking: { time: 24, lat: 180, lon: 360 },
    };
    const plain = join(dir, "plain.zarr");
    const sharded = join(dir, "sharded.zarr");
    await createTemplate({ templateDataset: first, outputPath: plain, ...layout });
    await createTemplate({
      templateDataset: first,
      outputPath: sharded,
      ...layout,
      shards: { time: 240 },
    });
    const md = await readArchiveMetadata(new FsStore(sharded));
    const t2m = md.arrays.get("t2m");
    if (!t2m) throw new Error("no t2m");
    expect(t2m.shape).toEqual([87600, 721, 1440]);
    expect(t2m.chunks).toEqual([24, 180, 360]);
    expect(t2m.shards).toEqual([240, 900, 1440]);
    const unsharded = (await readArchiveMetadata(new FsStore(plain))).arrays.get("t2m");
    if (!unsharded) throw new Error("no t2m");
    const filledPlain = product(chunkGrid(unsharded));
    const filledSharded = product(chunkGrid(t2m));
    expect(filledPlain).toBe(3650 * 5 * 4);
    expect(filledSharded).toBe(365);
    expect(filledSharded * 50).toBeLessThanOrEqual(filledPlain);
    // The template itself holds metadata and coordinates only; t2m has no chunk yet.
    expect(objects(sharded)).toBeLessThan(40);
    const report = await validateArchive(sharded);
    expect(report.steps).toBe(87600);
    expect(report.missingSteps).toBe(87600);
  }, 120_000);
});
