/**
 * The parallel workflow end to end, as users run it: create-template, then write-region in
 * separate OS processes at the same time, then validate; checked by xarray (Debian) against the
 * inputs concatenated. Plus the race test of many writers per chunk, a writer killed with
 * SIGKILL, and region errors that must leave the archive untouched.
 */
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ZarrConverter } from "../../src/converter.js";
import { RegionError } from "../../src/errors.js";
import { writeRegion } from "../../src/ops/region.js";
import { createTemplate } from "../../src/ops/template.js";
import { validateArchive } from "../../src/ops/validate.js";
import { cliBin, python, repoRoot, tempDir } from "../helpers/paths.js";
import { sidPython, skipSid } from "../helpers/sid.js";
import { cliProcess, compareConcat, makeSeries, RACE_RANGE, treeHashes } from "../region/series.js";

const dir = tempDir("zarrify-region-");
const COMPARE = join(repoRoot, "test/interop/compare_xarray.py");

describe("the seed's workflow", () => {
  // Zarr v2 read by Debian 12's xarray, the default v3 by today's (the sid chroot).
  it.each([2, 3] as const)(
    "v%s: template + concurrent write-region processes + validate equals xarray's concatenation",
    async (zarrFormat) => {
      if (zarrFormat === 3 && skipSid) return;
      // Uneven files, so boundaries cut through the 4-step chunks; every other file in other units.
      const files = makeSeries(join(dir, `seed-v${zarrFormat}`), [3, 7, 5, 2, 6, 1], {
        mixedUnits: true,
        nan: true,
      });
      const archive = join(dir, `seed-v${zarrFormat}.zarr`);
      const converter = new ZarrConverter({ chunking: { time: 4 }, zarrFormat });
      const t = await converter.createTemplate({
        templateDataset: files[0],
        outputPath: archive,
        globalStart: "2020-01-01",
        globalEnd: "2020-01-24",
        compute: false,
      });
      expect(t.steps).toBe(24);
      expect(t.freq).toBe("1D");
      expect(t.regionArrays.sort()).toEqual(["flag", "t2m", "time_bnds"]);
      const before = await validateArchive(archive);
      expect(before.missingSteps).toBe(24);

      const runs = await Promise.all(files.map((f) => cliProcess(["write-region", f, archive])));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);

      const report = await validateArchive(archive);
      expect(report.complete).toBe(true);
      expect(report.steps).toBe(24);
      const cli = await cliProcess(["validate", archive, "--require-complete", "--json"]);
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout).complete).toBe(true);
      const cmp =
        zarrFormat === 2
          ? compareConcat(files, archive)
          : (JSON.parse(
              (await sidPython([COMPARE, ...files, archive, "--concat-dim", "time"])).stdout,
            ) as { ok: boolean; differences: string[] });
      expect(cmp.differences).toEqual([]);
      expect(cmp.ok).toBe(true);
    },
    120_000,
  );
});

describe("the race test", () => {
  let files: string[];
  beforeAll(() => {
    files = makeSeries(join(dir, "race"), new Array(40).fill(1));
  });

  it("40 one-step files by 8 processes into 10-step chunks lose no step, run after run", async () => {
    for (let round = 0; round < 3; round++) {
      const archive = join(dir, `race-${round}.zarr`);
      const r = await cliProcess([
        "run",
        join(dir, "race", "*.nc"),
        archive,
        ...RACE_RANGE,
        "--chunking",
        "time:10",
        "--zarr-format",
        "2",
        "--jobs",
        "8",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/40 of 40 files written/);
      const report = await validateArchive(archive);
      expect(report.missingSteps, JSON.stringify(report.missing)).toBe(0);
      expect(report.variables.find((v) => v.name === "t2m")?.stepsWithoutData).toBe(0);
      if (round === 0) expect(compareConcat(files, archive).differences).toEqual([]);
    }
  }, 240_000);
});

describe("a writer killed with SIGKILL", () => {
  it("leaves a readable archive; re-running the write repairs it to equal a clean run", async () => {
    const [big] = makeSeries(join(dir, "kill"), [240], { nlat: 90, nlon: 180, format: "NETCDF4" });
    const common = [
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-08-27",
      "--chunking",
      "time:2",
      "--zarr-format",
      "2",
    ];
    const clean = join(dir, "clean.zarr");
    const killed = join(dir, "killed.zarr");
    for (const out of [clean, killed]) {
      const r = await cliProcess(["create-template", big, out, ...common]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect((await cliProcess(["write-region", big, clean])).code).toBe(0);

    // Kill the writer as soon as its first data chunks are on disk.
    const child = spawn(process.execPath, [cliBin, "write-region", big, killed], {
      stdio: "ignore",
    });
    const chunkDir = join(killed, "t2m");
    const exit = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_c, s) => r(s)));
    while (!readdirSync(chunkDir).some((name) => /^\d/.test(name))) {
      await new Promise((r) => setTimeout(r, 1));
      if (child.exitCode !== null) break;
    }
    child.kill("SIGKILL");
    expect(await exit).toBe("SIGKILL");

    // Killed before it could record the file as written; what is there opens in xarray.
    expect(readdirSync(join(killed, ".zarrify")).includes("written")).toBe(false);
    const partial = await validateArchive(killed);
    const present = partial.variables.reduce((n, v) => n + v.chunksPresent, 0);
    const total = partial.variables.reduce((n, v) => n + v.chunksTotal, 0);
    expect(present).toBeLessThan(total);
    execFileSync(python, [
      "-c",
      `import xarray as xr; xr.open_zarr(${JSON.stringify(killed)}).load()`,
    ]);

    const again = await cliProcess(["write-region", big, killed]);
    expect(again.code, again.stderr).toBe(0);
    expect((await validateArchive(killed)).complete).toBe(true);
    // Besides zarrify's own records, only the killed writer's hidden temp files (never read by
    // any zarr reader, named ".<key>.<pid>-...zarrify-tmp") may differ.
    const skip = (rel: string) => rel.startsWith(".zarrify") || rel.endsWith(".zarrify-tmp");
    expect(treeHashes(killed, skip)).toEqual(treeHashes(clean, skip));
  }, 180_000);
});

describe("region errors leave the archive as it was", () => {
  let archive: string;
  let good: string[];
  beforeAll(async () => {
    good = makeSeries(join(dir, "good"), [5, 5], {});
    archive = join(dir, "errors.zarr");
    await createTemplate({
      templateDataset: good[0],
      outputPath: archive,
      globalStart: "2020-01-01",
      globalEnd: "2020-01-10",
      chunking: { time: 3 },
    });
    await writeRegion(good[0], archive);
  }, 60_000);

  const cases: [string, () => string, RegExp, RegExp?][] = [
    [
      "times outside the archive",
      () => makeSeries(join(dir, "late"), [3], { start: "2020-01-09" })[0],
      /3 time step\(s\) fall outside|fall outside the archive/,
      /2020-01-11/,
    ],
    [
      "times off the grid",
      () => makeSeries(join(dir, "offgrid"), [2], { start: "2020-01-03T06:00:00" })[0],
      /not on the archive's time grid/,
      /2020-01-03T06:00:00/,
    ],
    [
      "a different grid",
      () => makeSeries(join(dir, "shifted"), [2], { start: "2020-01-06", latShift: 0.5 })[0],
      /coordinate 'lat' differs/,
    ],
    [
      "a different grid size",
      () => makeSeries(join(dir, "small"), [2], { start: "2020-01-06", nlon: 5 })[0],
      /variable '(t2m|flag|time_bnds)' is .* in the file but/,
    ],
  ];
  for (const [what, make, message, detail] of cases) {
    it(`refuses ${what} (exit 4, one clear error line)`, async () => {
      const file = make();
      const before = treeHashes(archive);
      const r = await cliProcess(["write-region", file, archive]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(message);
      if (detail) expect(r.stderr).toMatch(detail);
      expect(r.stderr).toMatch(/hint: /);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(treeHashes(archive)).toEqual(before);
    }, 60_000);
  }

  it("refuses a file without the template's variables", async () => {
    const file = join(dir, "novars.nc");
    execFileSync(python, [
      "-c",
      `import netCDF4,numpy as np
d=netCDF4.Dataset(${JSON.stringify(file)},"w");d.createDimension("time",None)
t=d.createVariable("time","f8",("time",));t.units="days since 2020-01-01";t[:]=[5,6];d.close()`,
    ]);
    const before = treeHashes(archive);
    await expect(writeRegion(file, archive)).rejects.toThrow(
      /missing variable\(s\) the template has: time_bnds, t2m, flag/,
    );
    await expect(writeRegion(file, archive)).rejects.toBeInstanceOf(RegionError);
    expect(treeHashes(archive)).toEqual(before);
  });

  it("refuses an archive that is not a zarrify template", async () => {
    const plain = join(dir, "plain.zarr");
    expect((await cliProcess(["convert", good[0], plain])).code).toBe(0);
    const before = treeHashes(plain);
    const r = await cliProcess(["write-region", good[1], plain]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/is not a zarrify template/);
    expect(treeHashes(plain)).toEqual(before);
    const none = await cliProcess(["write-region", good[1], join(dir, "nothing.zarr")]);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/no Zarr archive here/);
  }, 60_000);

  it("takes a manual region, and --require-complete reports the gap with exit 6", async () => {
    const report = await cliProcess(["validate", archive, "--require-complete"]);
    expect(report.code).toBe(6);
    expect(report.stdout).toMatch(/INCOMPLETE: 5 of 10 steps are not written/);
    expect(report.stdout).toMatch(
      /2020-01-06T00:00:00 \.\. 2020-01-10T00:00:00 \(5 steps, 5\.\.9\)/,
    );
    const wrongSize = await cliProcess(["write-region", good[1], archive, "--region", "time:5:9"]);
    expect(wrongSize.code).toBe(4);
    expect(wrongSize.stderr).toMatch(/does not fit: the file has 5 step/);
    const r = await cliProcess(["write-region", good[1], archive, "--region", "time:5:10"]);
    expect(r.code, r.stderr).toBe(0);
    expect((await cliProcess(["validate", archive, "--require-complete"])).code).toBe(0);
  }, 60_000);
});

describe("run", () => {
  it("reports failed files, and --resume writes only what is missing", async () => {
    const files = makeSeries(join(dir, "resume"), [4, 4, 4, 4]);
    const bad = join(dir, "resume", "part_9999.nc");
    makeSeries(join(dir, "resume-bad"), [2], { start: "2021-06-01" });
    const { copyFileSync } = await import("node:fs");
    copyFileSync(join(dir, "resume-bad", "part_0000.nc"), bad);
    const archive = join(dir, "resume.zarr");
    const args = [
      "run",
      join(dir, "resume", "*.nc"),
      archive,
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-16",
      "--chunking",
      "time:3",
      "--jobs",
      "2",
    ];
    const first = await cliProcess(args);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/4 of 5 files written/);
    expect(first.stdout).toMatch(/failed: .*part_9999\.nc: .*fall outside the archive/);

    const again = await cliProcess([...args, "--resume"]);
    expect(again.stdout).toMatch(/0 of 5 files written .* 4 skipped, 1 failed/);
    const exists = await cliProcess(args);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/already exists/);
    expect((await validateArchive(archive)).complete).toBe(true);
    expect(files).toHaveLength(4);
  }, 120_000);

  it("--shard i/n and --files-from split the inputs of an existing template", async () => {
    const files = makeSeries(join(dir, "shards"), [2, 3, 2, 3, 2]);
    const archive = join(dir, "shards.zarr");
    const t = await cliProcess([
      "create-template",
      files[0],
      archive,
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-12",
      "--zarr-format",
      "2",
      "--chunking",
      "time:5",
    ]);
    expect(t.code, t.stderr).toBe(0);
    const list = join(dir, "shards.txt");
    writeFileSync(list, `# inputs\n${files.map((f) => f.replace(`${dir}/`, "")).join("\n")}\n`);
    const shards = await Promise.all(
      [0, 1, 2].map((i) =>
        cliProcess([
          "run",
          "--files-from",
          list,
          archive,
          "--resume",
          "--shard",
          `${i}/3`,
          "--jobs",
          "1",
        ]),
      ),
    );
    const counts = shards.map((s) => Number(/(\d+) of \d+ files written/.exec(s.stdout)?.[1]));
    expect(counts.sort()).toEqual([1, 2, 2]);
    expect((await validateArchive(archive)).complete).toBe(true);
    expect(compareConcat(files, archive).differences).toEqual([]);
    const noTemplate = await cliProcess([
      "run",
      ...files,
      join(dir, "none.zarr"),
      "--shard",
      "0/2",
    ]);
    expect(noTemplate.code).toBe(2);
    expect(noTemplate.stderr).toMatch(/--shard needs an existing template/);
  }, 120_000);
});
