/**
 * Temporary disk of convert and run: sampled every 20 ms while they run, bounded by a few chunks
 * per worker (a chunk is written to a temp file and renamed into place; convert builds the
 * archive in OUT.zarrify-partial-PID, which is the output itself, never more), and gone after
 * success, after a failed input, and after SIGINT or SIGTERM. Each test gives zarrify a private,
 * empty TMPDIR, which must stay empty: zarrify keeps nothing in os.tmpdir().
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCliBounded } from "../helpers/clean-failure.js";
import { dayAfter2000, writeRecordFile, writeStepFiles } from "./gen.js";
import { measureCli, tempLeftovers } from "./measure.js";

const JOBS = 2;
/** Slack on a bound of bytes written: the markers' and metadata documents' own temp files. */
const SMALL_FILES = 256 * 1024;

let root: string;
/** One-step files, 256 KiB each: in chunks of 10 steps, 2.5 MiB a chunk. */
let steps: string[];
const STEP_CHUNK_BYTES = 10 * 256 * 256 * 4;
/** 800 steps of 512 KiB (400 MiB) in chunks of 10 steps, 5 MiB a chunk. */
let big: string;
const BIG_CHUNK_BYTES = 10 * 256 * 512 * 4;
/** Under a third of its 3.4 MB output: the signal comes mid-write (the ramp compresses well). */
const STAGED_BEFORE_SIGNAL = 1024 * 1024;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "zarrify-temp-"));
  mkdirSync(join(root, "in"));
  steps = writeStepFiles(join(root, "in"), 300, { y: 256, x: 256 });
  big = join(root, "big.nc");
  writeRecordFile(big, 800, { y: 256, x: 512 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let work: string;
let tmp: string;
const cleanups: (() => void)[] = [];
beforeEach((ctx) => {
  work = mkdtempSync(join(root, "case-"));
  tmp = join(work, "tmp");
  mkdirSync(tmp);
  ctx.onTestFinished(() => {
    rmSync(work, { recursive: true, force: true });
    for (const f of cleanups.splice(0)) f();
  });
});

const env = () => ({ TMPDIR: tmp, TMP: tmp, TEMP: tmp });
const watch = () => ({ env: env(), tempRoots: [work], wholeTemp: [tmp] });
const runArgs = (list: string[], out: string) => [
  "run",
  "--files-from",
  fileList(list),
  out,
  "--global-start",
  "2000-01-01",
  "--global-end",
  dayAfter2000(steps.length - 1),
  "--freq",
  "1D",
  "--chunking",
  "time:10",
  "--jobs",
  String(JOBS),
  "--no-progress",
  "--json",
];

function fileList(paths: string[]): string {
  const list = join(work, "files.txt");
  writeFileSync(list, `${paths.join("\n")}\n`);
  return list;
}

/** Nothing temporary under the case's directory, and its TMPDIR as empty as it was given. */
function expectClean(): void {
  expect(tempLeftovers([work])).toEqual([]);
  expect(readdirSync(tmp)).toEqual([]);
}

/** Not NetCDF, named to sort amid the good inputs (inputs are taken in path order). */
function badInput(): string {
  const bad = join(root, "in", "step-00149-bad.nc");
  writeFileSync(bad, "this is not a NetCDF file\n".repeat(100));
  cleanups.push(() => rmSync(bad, { force: true }));
  return bad;
}

function markers(archive: string): number {
  try {
    return readdirSync(join(archive, ".zarrify", "written")).length;
  } catch {
    return 0;
  }
}

describe("temporary disk", () => {
  it("run: temp files stay within a few chunks per worker, and none are left", async () => {
    const out = join(work, "run.zarr");
    const m = await measureCli(runArgs(steps, out), watch());
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout).written).toBe(steps.length);
    console.log(`run temp: peak ${m.peakTempBytes} bytes over ${m.samples} samples`);
    expect(m.samples).toBeGreaterThan(10);
    expect(m.peakTempBytes).toBeLessThanOrEqual(4 * JOBS * STEP_CHUNK_BYTES + SMALL_FILES);
    expectClean();
  });

  it("convert: temp files within a few chunks per worker, staging no larger than the output, none left", async () => {
    const out = join(work, "big.zarr");
    const args = ["convert", big, out, "--chunking", "time:10", "--jobs", String(JOBS)];
    const m = await measureCli([...args, "--no-progress"], watch());
    expect(m.code, m.stderr).toBe(0);
    const output = duBytes(out);
    console.log(
      `convert temp: peak ${m.peakTempBytes} bytes, staging peak ${m.peakStagingBytes} of an output of ${output}, ${m.samples} samples`,
    );
    expect(m.peakStagingBytes).toBeGreaterThan(0);
    expect(m.peakStagingBytes).toBeLessThanOrEqual(output);
    expect(m.peakTempBytes).toBeLessThanOrEqual(4 * JOBS * BIG_CHUNK_BYTES + SMALL_FILES);
    expectClean();
  });

  it("run with a bad input in the middle: the others are written, no temp file is left", async () => {
    const bad = badInput();
    const list = [...steps.slice(0, 150), bad, ...steps.slice(150)];
    const out = join(work, "run.zarr");
    const m = await measureCli(runArgs(list, out), watch());
    expect(m.code, m.stderr).toBe(1);
    const result = JSON.parse(m.stdout);
    expect(result.written).toBe(steps.length);
    expect(result.failed.map((f: { input: string }) => f.input)).toEqual([bad]);
    expectClean();
  });

  it("convert failing on a bad input: no output, no staging, no temp file", async () => {
    const bad = badInput();
    const out = join(work, "out.zarr");
    const list = [...steps.slice(0, 150), bad, ...steps.slice(150)];
    const r = runCliBounded(["convert", ...list, out, "--jobs", String(JOBS), "--no-progress"], {
      env: env(),
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(bad);
    expect(readdirSync(work)).toEqual(["tmp"]);
    expectClean();
  });

  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`convert interrupted by ${signal} while staging: exits ${code}, nothing is left`, async () => {
      const out = join(work, "big.zarr");
      const m = await measureCli(
        ["convert", big, out, "--chunking", "time:10", "--jobs", String(JOBS), "--no-progress"],
        { ...watch(), interrupt: { signal, when: (s) => s.usage.staging > STAGED_BEFORE_SIGNAL } },
      );
      expect(m.code, m.stderr).toBe(code);
      expect(m.peakStagingBytes).toBeGreaterThan(STAGED_BEFORE_SIGNAL);
      expect(readdirSync(work)).toEqual(["tmp"]);
      expectClean();
    });

    it(`run interrupted by ${signal}: exits ${code}, no temp file is left, --resume finishes`, async () => {
      const out = join(work, "run.zarr");
      const m = await measureCli(runArgs(steps, out), {
        ...watch(),
        interrupt: { signal, when: () => markers(out) >= 20 },
      });
      expect(m.code, m.stderr).toBe(code);
      expect(markers(out)).toBeLessThan(steps.length);
      expectClean();
      const again = await measureCli([...runArgs(steps, out), "--resume"], watch());
      expect(again.code, again.stderr).toBe(0);
      const v = runCliBounded(["validate", out, "--json", "--require-complete"]);
      expect(v.code, v.stderr).toBe(0);
      expectClean();
    });
  }
});

function duBytes(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else n += statSync(join(d, e.name)).size;
    }
  };
  walk(dir);
  return n;
}
