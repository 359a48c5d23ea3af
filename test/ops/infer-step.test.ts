/**
 * `run` without --freq infers the step from the times of every input (daily files of one step
 * each, the README's example); create-template with a one-step file says what to pass instead.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config/schema.js";
import { ConfigError, InputError } from "../../src/errors.js";
import { inferStepFromInputs } from "../../src/ops/infer-step.js";
import { validateArchive } from "../../src/ops/validate.js";
import { python, tempDir } from "../helpers/paths.js";
import { cliProcess, compareConcat, makeSeries } from "../region/series.js";

const config = resolveConfig({});
let dir: string;

beforeAll(() => {
  dir = tempDir();
});

/** One-step files at the given dates (ISO), each its own file. */
function oneStepFiles(sub: string, dates: string[]): string[] {
  return dates.map((d, i) => makeSeries(join(dir, sub), [1], { start: d, prefix: `f${i}` })[0]);
}

describe("inferStepFromInputs", () => {
  it("daily one-step files, one day missing: 1D", async () => {
    const files = oneStepFiles("daily", ["2020-01-01", "2020-01-02", "2020-01-04", "2020-01-05"]);
    expect(await inferStepFromInputs(files, config)).toBe("1D");
  });

  it("6-hourly files of several steps: 6H", async () => {
    const files = makeSeries(join(dir, "6h"), [4, 4], { stepHours: 6 });
    expect(await inferStepFromInputs(files, config)).toBe("6H");
  });

  it("monthly one-step files with a gap: MS, not the shortest month's 29D", async () => {
    const out = join(dir, "monthly");
    const script = `
import sys, os, netCDF4, datetime as dt
os.makedirs(sys.argv[1], exist_ok=True)
for i, m in enumerate([1, 2, 3, 5]):
    with netCDF4.Dataset(f"{sys.argv[1]}/m{i}.nc", "w") as ds:
        ds.createDimension("time", None)
        t = ds.createVariable("time", "f8", ("time",)); t.units = "days since 2020-01-01"
        t[:] = netCDF4.date2num([dt.datetime(2020, m, 1)], t.units)
        v = ds.createVariable("x", "f4", ("time",)); v[:] = [m]
`;
    execFileSync(python, ["-c", script, out]);
    const files = [0, 1, 2, 3].map((i) => join(out, `m${i}.nc`));
    expect(await inferStepFromInputs(files, config)).toBe("MS");
  });

  it("a file off the grid the others make is named", async () => {
    const files = oneStepFiles("off", ["2020-01-01", "2020-01-02", "2020-01-03T12:00"]);
    const err = await inferStepFromInputs(files, config).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain("do not form a regular grid");
    expect(err.message).toContain(`${files[2]} holds 2020-01-03T12:00:00`);
    expect(err.message).toContain("1D grid from 2020-01-01");
    expect(err.hint).toContain("freq");
  });

  it("the closest times set the step when the others fall on its grid: 6H", async () => {
    const files = oneStepFiles("fine", ["2020-01-01", "2020-01-02", "2020-01-02T06:00"]);
    expect(await inferStepFromInputs(files, config)).toBe("6H");
  });

  it("one time in all the inputs: asks for --freq", async () => {
    const files = oneStepFiles("single", ["2020-01-01"]);
    const err = await inferStepFromInputs(files, config).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain("a single time, 2020-01-01T00:00:00");
    expect(err.hint).toContain('freq: "1D"');
  });
});

describe("the README's run example with daily one-step files", () => {
  it("run infers 1D from all the inputs and fills the archive", async () => {
    const files = oneStepFiles("readme", [
      "2020-01-01",
      "2020-01-02",
      "2020-01-03",
      "2020-01-04",
      "2020-01-05",
      "2020-01-06",
    ]);
    const archive = join(dir, "readme.zarr");
    const r = await cliProcess([
      "run",
      join(dir, "readme", "*.nc"),
      archive,
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-06",
      "--jobs",
      "2",
      "--zarr-format",
      "2",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/6 of 6 files written/);
    const report = await validateArchive(archive);
    expect(report.complete).toBe(true);
    expect(compareConcat(files, archive).differences).toEqual([]);
  }, 120_000);

  it("run names the file whose time is off the inputs' grid, and creates nothing", async () => {
    oneStepFiles("readme-off", ["2020-01-01", "2020-01-02", "2020-01-03T12:00"]);
    const archive = join(dir, "off.zarr");
    const r = await cliProcess([
      "run",
      join(dir, "readme-off", "*.nc"),
      archive,
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-06",
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^zarrify: error: run: the inputs' times do not form a regular grid: .*f2_0000\.nc holds 2020-01-03T12:00:00/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const { existsSync } = await import("node:fs");
    expect(existsSync(archive)).toBe(false);
  }, 60_000);

  it("create-template with one one-step file and no --freq says exactly what to do", async () => {
    const [f] = oneStepFiles("tmpl", ["2020-01-01"]);
    const r = await cliProcess([
      "create-template",
      f,
      join(dir, "t.zarr"),
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-31",
    ]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toContain("it holds one time step (2020-01-01T00:00:00)");
    expect(lines[1]).toMatch(/hint: .*--freq 1D.*zarrify run/);
    expect(lines).toHaveLength(2);
  }, 60_000);
});
