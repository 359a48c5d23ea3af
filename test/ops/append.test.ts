/**
 * append and multi-file convert, checked by xarray (Debian) against the inputs concatenated.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ZarrConverter } from "../../src/converter.js";
import { RegionError } from "../../src/errors.js";
import { appendToZarr } from "../../src/ops/append.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { python, tempDir } from "../helpers/paths.js";
import { cliProcess, compareConcat, makeSeries, treeHashes } from "../region/series.js";

const dir = tempDir("zarrify-append-");

/** t2m at one date in an archive, through xarray. */
function t2mAt(archive: string, date: string): number {
  const out = execFileSync(
    python,
    [
      "-c",
      `import xarray as xr; print(float(xr.open_zarr(${JSON.stringify(archive)}).t2m.sel(time=${JSON.stringify(date)})[0, 1]))`,
    ],
    { encoding: "utf8" },
  );
  return Number(out);
}

describe("append", () => {
  const files = makeSeries(join(dir, "parts"), [3, 7, 5], { mixedUnits: true, nan: true });

  it("three files appended in order equal one convert of all three", async () => {
    const appended = join(dir, "appended.zarr");
    const converter = new ZarrConverter({ zarrFormat: 2, chunking: { time: 4 } });
    await converter.convert(files[0], appended);
    const a = await converter.append(files[1], appended);
    expect(a.appended).toBe(7);
    expect(a.totalSteps).toBe(10);
    const cli = await cliProcess(["append", files[2], appended]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/5 new step\(s\), 0 already there \(skip\); 15 steps/);
    expect(compareConcat(files, appended).differences).toEqual([]);

    // The same three files in one multi-file convert, given out of order on purpose.
    const together = join(dir, "together.zarr");
    const r = await cliProcess([
      "convert",
      files[2],
      files[0],
      files[1],
      together,
      "--zarr-format",
      "2",
      "--chunking",
      "time:4",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(compareConcat(files, together).differences).toEqual([]);
  }, 120_000);

  describe("a file overlapping the archive", () => {
    // Steps 2020-01-09 .. 2020-01-12: two already in a 10-step archive, two new; other values.
    const later = makeSeries(join(dir, "later"), [4], { start: "2020-01-09", prefix: "later" })[0];
    const base = async (name: string) => {
      const archive = join(dir, name);
      await convertToZarr([files[0], files[1]], archive, { zarrFormat: 2 });
      return archive;
    };

    it("skip (default) keeps the archive's values and appends the new steps", async () => {
      const archive = await base("skip.zarr");
      const before = t2mAt(archive, "2020-01-09");
      const r = await appendToZarr(later, archive);
      expect([r.appended, r.overlapping, r.totalSteps]).toEqual([2, 2, 12]);
      expect(t2mAt(archive, "2020-01-09")).toBe(before);
      expect(t2mAt(archive, "2020-01-12")).not.toBeNaN();
    }, 60_000);

    it("overwrite replaces the overlapping steps", async () => {
      const archive = await base("overwrite.zarr");
      const before = t2mAt(archive, "2020-01-09");
      const r = await appendToZarr(later, archive, { onOverlap: "overwrite" });
      expect([r.appended, r.overlapping, r.totalSteps]).toEqual([2, 2, 12]);
      const after = t2mAt(archive, "2020-01-09");
      expect(after).not.toBe(before);
      expect(after).toBe(t2mAt(archive, "2020-01-09")); // stable
    }, 60_000);

    it("error refuses it and leaves the archive as it was", async () => {
      const archive = await base("error.zarr");
      const hashes = treeHashes(archive);
      const r = await cliProcess(["append", later, archive, "--on-overlap", "error"]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/2 time step\(s\) are already in the archive \(2020-01-09/);
      expect(treeHashes(archive)).toEqual(hashes);
    }, 60_000);
  });

  it("a file on another grid is a clear error and changes nothing", async () => {
    const archive = join(dir, "grid.zarr");
    await convertToZarr(files[0], archive, { zarrFormat: 2 });
    const other = makeSeries(join(dir, "grid"), [2], { start: "2020-01-04", latShift: 1 })[0];
    const hashes = treeHashes(archive);
    await expect(appendToZarr(other, archive)).rejects.toThrow(/coordinate 'lat' differs/);
    await expect(appendToZarr(other, archive)).rejects.toBeInstanceOf(RegionError);
    expect(treeHashes(archive)).toEqual(hashes);
  }, 60_000);

  it("times inside the archive but off its steps are refused", async () => {
    const archive = join(dir, "inside.zarr");
    await convertToZarr(files[1], archive, { zarrFormat: 2 });
    const odd = makeSeries(join(dir, "odd"), [2], { start: "2020-01-05T12:00:00" })[0];
    await expect(appendToZarr(odd, archive)).rejects.toThrow(/lies inside the archive's range/);
  }, 60_000);

  it("concurrent appends of the same new steps add them once", async () => {
    const archive = join(dir, "concurrent.zarr");
    await convertToZarr(files[0], archive, { zarrFormat: 2 });
    const runs = await Promise.all([1, 2, 3].map(() => cliProcess(["append", files[1], archive])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const added = runs.map((r) => Number(/(\d+) new step/.exec(r.stdout)?.[1]));
    expect(added.sort()).toEqual([0, 0, 7]);
    expect(compareConcat(files.slice(0, 2), archive).differences).toEqual([]);
  }, 60_000);
});

describe("multi-file convert", () => {
  it("orders files by their first time, not their names; overlap policy error refuses", async () => {
    // Names sort opposite to time.
    const b = makeSeries(join(dir, "mf"), [4], { start: "2020-01-05", prefix: "a" })[0];
    const a = makeSeries(join(dir, "mf"), [4], { start: "2020-01-01", prefix: "b" })[0];
    const out = join(dir, "mf.zarr");
    const r = await cliProcess(["convert", join(dir, "mf", "*.nc"), out, "--zarr-format", "2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(compareConcat([a, b], out).differences).toEqual([]);

    const dup = makeSeries(join(dir, "mf2"), [3], { start: "2020-01-07", prefix: "dup" })[0];
    const refused = await cliProcess([
      "convert",
      a,
      b,
      dup,
      join(dir, "mf2.zarr"),
      "--on-overlap",
      "error",
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/2 time step\(s\) of .*dup_0000\.nc are also in .*a_0000\.nc/);
    const skipped = await cliProcess([
      "convert",
      a,
      b,
      dup,
      join(dir, "mf3.zarr"),
      "--zarr-format",
      "2",
    ]);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toMatch(/keeping the earlier file's/);
  }, 120_000);
});
