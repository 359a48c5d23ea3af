/**
 * The verbs on sharded archives (Zarr v3 shards of whole chunks), each checked by today's xarray
 * (the sid chroot) against its sources: convert of several files, append growing into a shard
 * it shares with the steps already there, a --compute template, write-region with the missing
 * data check (retriesOnMissing), and validate telling partly written shards apart.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appendToZarr } from "../../src/ops/append.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { writeRegion } from "../../src/ops/region.js";
import { createTemplate } from "../../src/ops/template.js";
import { validateArchive } from "../../src/ops/validate.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { repoRoot, tempDir } from "../helpers/paths.js";
import { sidPython, skipSid } from "../helpers/sid.js";
import { makeSeries } from "../region/series.js";

const dir = tempDir("zarrify-shard-verbs-");
const COMPARE = join(repoRoot, "test/interop/compare_xarray.py");
const SHARDED = { zarrFormat: 3 as const, chunking: { time: 2 }, shards: { time: 6 } };

async function compareConcat(files: string[], archive: string) {
  const out = await sidPython([COMPARE, ...files, archive, "--concat-dim", "time"]);
  return JSON.parse(out.stdout) as { ok: boolean; differences: string[] };
}

async function t2mShards(archive: string): Promise<number[] | undefined> {
  return (await readArchiveMetadata(new FsStore(archive))).arrays.get("t2m")?.shards;
}

describe.skipIf(skipSid)("verbs on sharded archives", () => {
  const files = makeSeries(join(dir, "parts"), [3, 7, 5], { mixedUnits: true, nan: true });

  it("a multi-file convert, then append into a shard it shares, equal xarray's concatenation", async () => {
    const archive = join(dir, "appended.zarr");
    await convertToZarr([files[0], files[1]], archive, SHARDED);
    expect(await t2mShards(archive)).toEqual([6, 6, 8]);
    // 10 steps so far: the second shard holds steps 6..9 of its 12; the append merges into it.
    const r = await appendToZarr(files[2], archive);
    expect(r.appended).toBe(5);
    expect(r.totalSteps).toBe(15);
    expect(readdirSync(join(archive, "t2m", "c")).length).toBe(3);
    expect((await validateArchive(archive)).complete).toBe(true);
    expect((await compareConcat(files, archive)).differences).toEqual([]);
  }, 120_000);

  it("a --compute template, then write-region with the missing-data check, fills it", async () => {
    const archive = join(dir, "template.zarr");
    await createTemplate({
      templateDataset: files[0],
      outputPath: archive,
      globalStart: "2020-01-01",
      globalEnd: "2020-01-15",
      compute: true,
      ...SHARDED,
    });
    expect(await t2mShards(archive)).toEqual([6, 6, 8]);
    const partial = await validateArchive(archive);
    // The template's own three steps are in; the rest is missing, though its shard exists.
    expect(partial.missing.map((m) => [m.start, m.stop])).toEqual([[3, 15]]);
    for (const f of files.slice(1)) {
      const w = await writeRegion(f, archive, { retriesOnMissing: 2, missingCheckVars: "all" });
      expect(w.steps).toBeGreaterThan(0);
    }
    const report = await validateArchive(archive);
    expect(report.complete).toBe(true);
    expect(report.variables.find((v) => v.name === "t2m")?.stepsWithoutData).toBe(0);
    expect((await compareConcat(files, archive)).differences).toEqual([]);
  }, 120_000);
});
