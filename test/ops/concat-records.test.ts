/**
 * Multi-file convert along a record dimension without CF times (`--time-dim report`): the
 * archive must equal xarray's open_mfdataset(combine="nested", concat_dim="report").
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import { InputError, RegionError } from "../../src/errors.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { createTemplate } from "../../src/ops/template.js";
import { runCli } from "../helpers/cli.js";
import { python, repoRoot, tempDir } from "../helpers/paths.js";
import { sidPython, skipSid } from "../helpers/sid.js";
import { fsReader } from "../helpers/zarrita.js";

interface ObsFile {
  name: string;
  records: number;
  /** Values of a `report` coordinate variable; none when omitted. */
  reportIds?: number[];
  /** Added to the level values: another grid. */
  levelShift?: number;
}

/** Observation files: report(unlimited) × level, a station id and a CF time per report. */
function makeObs(dir: string, files: ObsFile[]): string[] {
  const script = `
import json, sys, netCDF4, numpy as np
d, specs = sys.argv[1], json.loads(sys.argv[2])
out = []
for k, f in enumerate(specs):
    p = f"{d}/{f['name']}"
    ds = netCDF4.Dataset(p, "w", format="NETCDF4_CLASSIC")
    ds.title = "observations"
    ds.createDimension("report", None)
    ds.createDimension("level", 3)
    lv = ds.createVariable("level", "f4", ("level",)); lv.units = "hPa"
    lv[:] = np.array([1000, 850, 500]) + f.get("levelShift", 0)
    n = f["records"]
    if "reportIds" in f:
        r = ds.createVariable("report", "i4", ("report",)); r[:] = f["reportIds"]
    t = ds.createVariable("time", "f8", ("report",))
    t.units = "hours since 2020-01-01"; t.calendar = "standard"
    t[:] = np.arange(n) * 3.0 + 100 * k
    s = ds.createVariable("station", "i4", ("report",)); s[:] = np.arange(n) + 10 * k
    x = ds.createVariable("temp", "f4", ("report", "level"), fill_value=-999.0)
    x.units = "K"
    v = np.arange(n * 3, dtype="f4").reshape(n, 3) + 250 + 20 * k
    v[0, 1] = -999.0
    x[:] = v
    ds.close()
    out.append(p)
print(json.dumps(out))
`;
  return JSON.parse(
    execFileSync(python, ["-c", script, dir, JSON.stringify(files)], { encoding: "utf8" }),
  );
}

function compareNested(files: string[], archive: string) {
  const out = execFileSync(
    python,
    [join(repoRoot, "test/interop/compare_xarray.py"), ...files, archive, "--concat-dim", "report"],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(out) as { ok: boolean; differences: string[]; compared: string[] };
}

describe("convert along a record dimension without CF times", () => {
  it("joins the files in path order and equals xarray's nested concat along report", async () => {
    const dir = tempDir();
    const files = makeObs(dir, [
      { name: "obs_a.nc", records: 4 },
      { name: "obs_b.nc", records: 5 },
      { name: "obs_c.nc", records: 2 },
    ]);
    const out = join(dir, "obs.zarr");
    // Listed out of order: records follow the sorted paths, as a glob would list them.
    const r = await convertToZarr([files[2], files[0], files[1]], out, {
      timeDim: "report",
      zarrFormat: 2,
      chunking: { report: 3 },
    });
    expect(r.variables.sort()).toEqual(["level", "station", "temp", "time"]);
    const cmp = compareNested(files, out);
    expect(cmp.differences).toEqual([]);
    expect(cmp.ok).toBe(true);
    expect(cmp.compared).toEqual(expect.arrayContaining(["station", "temp", "time"]));
    expect(readdirSync(dir).filter((n) => n.includes("zarrify-partial"))).toEqual([]);
  });

  it("orders files by the values of the dimension's coordinate variable when every file has one", async () => {
    const dir = tempDir();
    // Path order (a, b) is the opposite of the coordinate order.
    const [a, b] = makeObs(dir, [
      { name: "a.nc", records: 3, reportIds: [7, 8, 9] },
      { name: "b.nc", records: 2, reportIds: [1, 2] },
    ]);
    const out = join(dir, "obs.zarr");
    // No --time-dim: the unlimited dimension is the one to join along.
    const cli = runCli(["convert", a, b, out, "--zarr-format", "2", "--no-progress"]);
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    const cmp = compareNested([b, a], out);
    expect(cmp.differences).toEqual([]);
    expect(cmp.ok).toBe(true);
    expect(compareNested([a, b], out).ok).toBe(false);
  });

  it("writes Zarr v3 with the records end to end", async () => {
    const dir = tempDir();
    const files = makeObs(dir, [
      { name: "o1.nc", records: 2 },
      { name: "o2.nc", records: 3 },
    ]);
    const out = join(dir, "obs.zarr");
    await convertToZarr(files, out, { timeDim: "report" });
    // Debian's zarr-python 2 cannot read v3: zarrita reads it back.
    const store = await zarr.withConsolidatedMetadata(fsReader(out), { format: "v3" });
    const root = await zarr.open(store, { kind: "group" });
    const station = await zarr.get(await zarr.open(root.resolve("station"), { kind: "array" }));
    expect(Array.from(station.data as Int32Array)).toEqual([0, 1, 10, 11, 12]);
    const temp = await zarr.open(root.resolve("temp"), { kind: "array" });
    expect(temp.shape).toEqual([5, 3]);
    expect(temp.dimensionNames).toEqual(["report", "level"]);
    const t = await zarr.get(temp);
    expect(Array.from(t.data as Float32Array).slice(6, 9)).toEqual([270, -999, 272]);
  });

  it.skipIf(skipSid)(
    "writes Zarr v3 that today's xarray opens like the nested concat",
    async () => {
      const dir = tempDir();
      const files = makeObs(dir, [
        { name: "o1.nc", records: 2 },
        { name: "o2.nc", records: 3 },
      ]);
      const out = join(dir, "obs.zarr");
      await convertToZarr(files, out, { timeDim: "report" });
      const args = [join(repoRoot, "test/interop/compare_xarray.py"), ...files, out];
      const { stdout } = await sidPython([...args, "--concat-dim", "report"]);
      const cmp = JSON.parse(stdout) as { ok: boolean; differences: string[] };
      expect(cmp.differences).toEqual([]);
      expect(cmp.ok).toBe(true);
    },
  );

  it("refuses a file on another grid, naming it, and leaves no archive", async () => {
    const dir = tempDir();
    const files = makeObs(dir, [
      { name: "o1.nc", records: 2 },
      { name: "o2.nc", records: 2, levelShift: 5 },
    ]);
    const out = join(dir, "obs.zarr");
    const err = await convertToZarr(files, out, { timeDim: "report" }).catch((e) => e);
    expect(err).toBeInstanceOf(RegionError);
    expect(err.message).toContain("o2.nc");
    expect(err.message).toContain("'level'");
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes("zarrify-partial"))).toEqual([]);
  });

  it("refuses an input without the dimension, naming the file and listing its dimensions", async () => {
    const dir = tempDir();
    const [good] = makeObs(dir, [{ name: "o1.nc", records: 2 }]);
    // Beside the good file and sorting after it: inputs are joined in path order, so where the
    // clone lives must not decide which file is first.
    const other = join(dir, "p_nc4_chunked.nc");
    copyFileSync(join(repoRoot, "test/fixtures/nc4_chunked.nc"), other);
    const err = await convertToZarr([good, other], join(dir, "x.zarr"), {
      timeDim: "report",
    }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain("p_nc4_chunked.nc: has no dimension 'report'");
  });

  it("create-template along a dimension without times says to use convert instead", async () => {
    const dir = tempDir();
    const [f] = makeObs(dir, [{ name: "o1.nc", records: 2 }]);
    const err = await createTemplate({
      templateDataset: f,
      outputPath: join(dir, "t.zarr"),
      globalStart: "2020-01-01",
      globalEnd: "2020-01-02",
      timeDim: "report",
    }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(
      "dimension 'report' has no coordinate variable with CF time units",
    );
    expect(err.hint).toContain('convertToZarr() with timeDim: "report"');
  });
});
