/**
 * The region half of the bad-input catalogue (docs/errors.md): write-region with a region that
 * cannot be, a file that does not fit the template (times, grid, variables), or an archive that
 * is not a template; and create-template with a time range or layout that cannot be. Each fails
 * as docs/cli.md promises (exit 2 for a malformed request, 4 for one the archive refuses, 3 for
 * an unreadable file), and leaves the template byte for byte as it was: every check runs before
 * the first chunk is written.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type BoundedRun, runCliBounded, treeDigest } from "../helpers/clean-failure.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { real, tempDir } from "../helpers/paths.js";
import { expectFailsWithHint } from "./catalogue.js";

const dir = tempDir("zarrify-bad-region-");
const at = (name: string) => join(dir, name);
/** 50 daily steps from 2000-01-01 over a 4 × 5 lat/lon grid. */
const template = at("template.zarr");
/** Not a template: a plain conversion. */
const converted = at("converted.zarr");
let templateDigest: string;

beforeAll(() => {
  writeGrid(at("jan.nc"), { times: 10, y: 4, x: 5 });
  writeGrid(at("far-future.nc"), { times: 10, y: 4, x: 5, firstDay: 5000 });
  writeGrid(at("noon.nc"), { times: 10, y: 4, x: 5, firstDay: 0.5 });
  writeGrid(at("coarser.nc"), { times: 10, y: 3, x: 5 });
  writeGrid(at("renamed.nc"), { times: 10, y: 4, x: 5, names: ["latitude", "longitude"] });
  writeFileSync(at("notes.nc"), "not a NetCDF file\n");
  for (const args of [
    [
      "create-template",
      at("jan.nc"),
      template,
      "--global-start",
      "2000-01-01",
      "--global-end",
      "2000-02-19",
    ],
    ["convert", at("jan.nc"), converted],
  ]) {
    const r = runCliBounded(args);
    expect(r.code, r.stderr).toBe(0);
  }
  templateDigest = treeDigest(template);
});

/** write-region of `file` into the template, which must come out of it unchanged. */
function writeRegion(file: string, extra: string[] = []): BoundedRun {
  const r = runCliBounded(["write-region", file, template, ...extra]);
  expect(treeDigest(template), "the template changed").toBe(templateDigest);
  return r;
}

describe("write-region --region that cannot be", () => {
  it("malformed: exit 2, the form to write", () => {
    const r = writeRegion(at("jan.nc"), ["--region", "time:abc"]);
    expectFailsWithHint(r, { code: 2, fragments: ["'time:abc'", /dim:start:stop/, /time:0:100/] });
  });

  it("a negative start: exit 2", () => {
    const r = writeRegion(at("jan.nc"), ["--region", "time:-1:9"]);
    expectFailsWithHint(r, { code: 2, fragments: [/start '-1' is not a whole number >= 0/] });
  });

  it("reversed (stop before start): exit 2, the slice it means", () => {
    const r = writeRegion(at("jan.nc"), ["--region", "time:10:0"]);
    expectFailsWithHint(r, {
      code: 2,
      fragments: [/stop 0 is not after start 10/, /--region time:0:10/],
    });
  });

  it("time steps past the archive's end: exit 4, the file's and the archive's lengths", () => {
    const r = writeRegion(at("jan.nc"), ["--region", "time:45:55"]);
    expectFailsWithHint(r, {
      code: 4,
      fragments: ["jan.nc", /time:45:55 does not fit/, /exactly 10 steps within 0\.\.50/],
    });
  });

  it("a grid range outside the archive: exit 4 (was written, exit 0)", () => {
    const r = writeRegion(at("jan.nc"), ["--region", "lat:2:6"]);
    expectFailsWithHint(r, {
      code: 4,
      fragments: [/lat:2:6 lies outside the archive, whose lat has 4 cells/, /within 0\.\.4/],
    });
  });

  it("a grid range of another length than the file's: exit 4, names both lengths", () => {
    const r = writeRegion(at("jan.nc"), ["--region", "lat:0:2"]);
    expectFailsWithHint(r, {
      code: 4,
      fragments: [/lat:0:2 is 2 cells long, but the file has 4 along lat/],
    });
  });

  it("a dimension the archive does not have: exit 4, lists the archive's", () => {
    const r = writeRegion(at("jan.nc"), ["--region", "level:0:1"]);
    expectFailsWithHint(r, {
      code: 4,
      fragments: [/'level', which is not a dimension/, /dimensions are time, lat, lon/],
    });
  });
});

describe("write-region of a file that does not fit the template", () => {
  it("times outside the archive's range: exit 4, the times, recreate the template", () => {
    const r = writeRegion(at("far-future.nc"));
    expectFailsWithHint(r, {
      code: 4,
      fragments: ["far-future.nc", /fall outside the archive/, /2013-09-09/, /--global-start/],
    });
  });

  it("times off the template's grid: exit 4, the times, the grid's flags", () => {
    const r = writeRegion(at("noon.nc"));
    expectFailsWithHint(r, {
      code: 4,
      fragments: ["noon.nc", /not on the archive's time grid/, /2000-01-01T12:00:00/, /--freq/],
    });
  });

  it("another grid size: exit 4, both shapes", () => {
    const r = writeRegion(at("coarser.nc"));
    expectFailsWithHint(r, {
      code: 4,
      fragments: ["coarser.nc", /\(time=10, lat=3, lon=5\) in the file/, /regrid/],
    });
  });

  it("other dimension names: exit 4, both", () => {
    const r = writeRegion(at("renamed.nc"));
    expectFailsWithHint(r, { code: 4, fragments: ["renamed.nc", /latitude=4, longitude=5/] });
  });

  it("a real file without the template's variables: exit 4, names them", () => {
    const file = real("netcdf-c_ref_nctest_classic.nc");
    const r = writeRegion(file);
    expectFailsWithHint(r, {
      code: 4,
      fragments: [file, /missing variable\(s\) .*: t2m/, /leave this one out/, /--variables/],
    });
  });

  it("not a NetCDF file: exit 3", () => {
    const r = writeRegion(at("notes.nc"));
    expectFailsWithHint(r, { code: 3, fragments: ["notes.nc", /text file/] });
  });
});

describe("write-region into what is not a template", () => {
  it("an archive convert made: exit 4, use append; that archive unchanged", () => {
    const before = treeDigest(converted);
    const r = runCliBounded(["write-region", at("jan.nc"), converted]);
    expectFailsWithHint(r, {
      code: 4,
      fragments: [/is not a zarrify template/, /zarrify create-template/, /zarrify append/],
    });
    expect(treeDigest(converted)).toBe(before);
  });

  it("no archive at all: exit 4, create it first; nothing created", () => {
    const r = runCliBounded(["write-region", at("jan.nc"), at("nowhere.zarr")]);
    expectFailsWithHint(r, { code: 4, fragments: [/no Zarr archive here/, /create-template/] });
    expect(existsSync(at("nowhere.zarr"))).toBe(false);
  });
});

describe("create-template with a range or layout that cannot be", () => {
  const create = (extra: string[]) =>
    runCliBounded(["create-template", at("jan.nc"), at("new.zarr"), ...extra]);
  const range = ["--global-start", "2000-01-01", "--global-end", "2000-02-19"];

  it("--global-start after --global-end: exit 2, swap them", () => {
    const r = create(["--global-start", "2001-01-01", "--global-end", "2000-01-01"]);
    expectFailsWithHint(r, { code: 2, fragments: [/start 2001-01-01.* is after its end/, /swap/] });
    expect(existsSync(at("new.zarr"))).toBe(false);
  });

  it("a date it cannot read: exit 2, how to write one", () => {
    const r = create(["--global-start", "yesterday", "--global-end", "2000-02-01"]);
    expectFailsWithHint(r, { code: 2, fragments: [/cannot read date 'yesterday'/, /2020-01-01/] });
    expect(existsSync(at("new.zarr"))).toBe(false);
  });

  it("an unknown --freq: exit 2", () => {
    const r = create([...range, "--freq", "7X"]);
    expectFailsWithHint(r, { code: 2, fragments: [/unknown frequency '7X'/] });
    expect(existsSync(at("new.zarr"))).toBe(false);
  });

  it("shards in a Zarr v2 template: exit 2, v2 has no sharding", () => {
    const r = create([...range, "--zarr-format", "2", "--shards", "time:20"]);
    expectFailsWithHint(r, { code: 2, fragments: [/Zarr v2 has no sharding/, /--zarr-format 3/] });
    expect(existsSync(at("new.zarr"))).toBe(false);
  });
});
