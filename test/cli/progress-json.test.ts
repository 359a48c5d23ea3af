/**
 * The built CLI without a TTY (stdio piped, as in CI or a log file): periodic progress lines on
 * stderr for long work, and one JSON object on stdout with --json for every verb that writes.
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { real, tempDir } from "../helpers/paths.js";
import { makeSeries } from "../region/series.js";

/** 11 MB CDF-1, 132 monthly steps: one block per chunk with --chunking TIME:1, blocks of 5 arrays. */
const NC3 = real("ferret-datasets_monthly_navy_winds.cdf");
const FAST = { ZARRIFY_PROGRESS_INTERVAL_MS: "0" };
const LINE = (verb: string, tasks: string) =>
  new RegExp(
    `^${verb}: \\d+% \\(\\d+\\.\\d/\\d+\\.\\d MiB, \\d+/\\d+ ${tasks}, [\\d.]+ s(, ETA [\\d.]+ s)?\\)$`,
  );

function progressLines(stderr: string, verb: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith(`${verb}: `));
}

let dir: string;
let series: string[];
beforeAll(() => {
  dir = tempDir();
  series = makeSeries(join(dir, "series"), [4, 4, 4], { nlat: 40, nlon: 60 });
});

describe("progress lines on stderr without a TTY", () => {
  it("convert prints lines every 10 % (interval 0), ending at 100 %, whatever the verbosity", () => {
    const out = join(dir, "p.zarr");
    const r = runCli(["convert", NC3, out, "--chunking", "TIME:1", "--jobs", "1"], FAST);
    expect(r.code, r.stderr).toBe(0);
    const lines = progressLines(r.stderr, "convert");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(LINE("convert", "blocks"));
    expect(lines[lines.length - 1]).toMatch(/^convert: 100% /);
    expect(lines.slice(0, -1).every((l) => /ETA/.test(l))).toBe(true);
    // stdout keeps only the result.
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("a short job at the default 10 s interval prints none; --no-progress none either", () => {
    const quiet = runCli(["convert", NC3, join(dir, "q.zarr"), "--chunking", "TIME:1"]);
    expect(quiet.code).toBe(0);
    expect(progressLines(quiet.stderr, "convert")).toEqual([]);
    const off = runCli(
      ["convert", NC3, join(dir, "o.zarr"), "--chunking", "TIME:1", "--no-progress"],
      FAST,
    );
    expect(off.code).toBe(0);
    expect(off.stderr).toBe("");
  });

  it("multi-file convert, write-region, append, create-template --compute and run print them too", () => {
    const conv = runCli(
      ["convert", series[0], series[1], join(dir, "m.zarr"), "--chunking", "time:1"],
      FAST,
    );
    expect(conv.code, conv.stderr).toBe(0);
    expect(progressLines(conv.stderr, "convert").length).toBeGreaterThan(0);
    for (const l of progressLines(conv.stderr, "convert"))
      expect(l).toMatch(LINE("convert", "files"));

    const tmpl = join(dir, "t.zarr");
    const ct = runCli(
      [
        "create-template",
        series[0],
        tmpl,
        "--global-start",
        "2020-01-01",
        "--global-end",
        "2020-01-12",
        "--chunking",
        "time:1",
        "--compute",
      ],
      FAST,
    );
    expect(ct.code, ct.stderr).toBe(0);
    expect(progressLines(ct.stderr, "create-template").length).toBeGreaterThan(0);

    const wr = runCli(["write-region", series[1], tmpl], FAST);
    expect(wr.code, wr.stderr).toBe(0);
    for (const l of progressLines(wr.stderr, "write-region")) {
      expect(l).toMatch(LINE("write-region", "blocks"));
    }
    expect(progressLines(wr.stderr, "write-region").length).toBeGreaterThan(0);

    const ap = runCli(["append", series[2], join(dir, "m.zarr")], FAST);
    expect(ap.code, ap.stderr).toBe(0);
    expect(progressLines(ap.stderr, "append").length).toBeGreaterThan(0);

    const run = runCli(
      [
        "run",
        join(dir, "series", "*.nc"),
        join(dir, "r.zarr"),
        "--global-start",
        "2020-01-01",
        "--global-end",
        "2020-01-12",
        "--jobs",
        "2",
      ],
      FAST,
    );
    expect(run.code, run.stderr).toBe(0);
    const runLines = progressLines(run.stderr, "run");
    expect(runLines.length).toBeGreaterThan(0);
    for (const l of runLines) expect(l).toMatch(LINE("run", "files"));
  }, 120_000);
});

describe("--json on every verb that writes", () => {
  const json = (stdout: string) => {
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0]);
  };

  it("convert, create-template, write-region, append and run each print one object", () => {
    const conv = runCli([
      "convert",
      series[0],
      series[1],
      join(dir, "j.zarr"),
      "--json",
      "--no-progress",
    ]);
    expect(conv.code, conv.stderr).toBe(0);
    const c = json(conv.stdout);
    expect(c).toMatchObject({ command: "convert", inputs: [series[0], series[1]] });
    expect(c.output).toBe(join(dir, "j.zarr"));
    expect(c.variables).toEqual(expect.arrayContaining(["t2m", "flag", "time"]));
    expect(c.bytesWritten).toBeGreaterThan(0);
    expect(c.seconds).toBeGreaterThan(0);

    const tmpl = join(dir, "jt.zarr");
    const ct = json(
      runCli([
        "create-template",
        series[0],
        tmpl,
        "--global-start",
        "2020-01-01",
        "--global-end",
        "2020-01-12",
        "--compute",
        "--json",
      ]).stdout,
    );
    expect(ct).toMatchObject({
      command: "create-template",
      template: series[0],
      steps: 12,
      start: "2020-01-01T00:00:00",
      end: "2020-01-12T00:00:00",
      freq: "1D",
      timeDim: "time",
      regionArrays: expect.arrayContaining(["t2m", "flag"]),
    });
    expect(ct.computed).toMatchObject({ runs: [[0, 4]], steps: 4 });

    const wr = json(runCli(["write-region", series[1], tmpl, "--json"]).stdout);
    expect(wr).toMatchObject({
      command: "write-region",
      input: series[1],
      archive: tmpl,
      runs: [[4, 8]],
      steps: 4,
      first: "2020-01-05T00:00:00",
      last: "2020-01-08T00:00:00",
    });
    expect(wr.arrays).toEqual(expect.arrayContaining(["t2m", "flag"]));
    expect(wr.bytesWritten).toBeGreaterThan(0);

    const ap = json(runCli(["append", series[2], join(dir, "j.zarr"), "--json"]).stdout);
    expect(ap).toMatchObject({
      command: "append",
      appended: 4,
      overlapping: 0,
      totalSteps: 12,
      runs: [[8, 12]],
    });

    // One bad file: run exits 1 and its JSON names it under failed.
    const runDir = join(dir, "jrun");
    const files = makeSeries(runDir, [2, 2]);
    const late = makeSeries(join(dir, "jlate"), [1], { start: "2021-06-01" })[0];
    copyFileSync(late, join(runDir, "part_9999.nc"));
    const run = runCli([
      "run",
      join(runDir, "*.nc"),
      join(dir, "jr.zarr"),
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-04",
      "--freq",
      "1D",
      "--json",
    ]);
    expect(run.code).toBe(1);
    const r = json(run.stdout);
    expect(r).toMatchObject({
      command: "run",
      templateCreated: true,
      files: 3,
      written: 2,
      skipped: 0,
      steps: 4,
    });
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0].input).toBe(join(runDir, "part_9999.nc"));
    expect(r.failed[0].error).toMatch(/outside the archive/);
    expect(files).toHaveLength(2);
  }, 120_000);
});
