/**
 * Open descriptors stay bounded however many inputs a run has: the node process's /proc/PID/fd,
 * sampled from outside every 20 ms, for `run` and multi-file `convert` over thousands of
 * one-step files. The default chunking puts hundreds of files in one chunk, so one chunk stored
 * completes hundreds of files at once: the burst of completion markers that once opened one
 * descriptor per file (10,018 at 10,000 files).
 *
 * CI runs 500 and 2,000 files; ZARRIFY_RESOURCE_FULL=1 adds the 10,000-file runs (about 2
 * minutes more on two busy cores).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliBounded } from "../helpers/clean-failure.js";
import { dayAfter2000, writeStepFiles } from "./gen.js";
import { measureCli } from "./measure.js";

const FULL = process.env.ZARRIFY_RESOURCE_FULL === "1";
const BIG = FULL ? 10_000 : 2_000;
const SMALL = 500;
/**
 * 68 KiB a file: 500 of them are above the engine's 32 MiB worker threshold, so every run here
 * writes on its two worker threads, each with its own input cache.
 */
const GRID = { y: 128, x: 136 };
/**
 * Node's own descriptors (stdio, epoll, eventfds, pipes to the threads) and the module files it
 * has open while loading its modules in parallel, a worker thread's too, peak at about 90 here,
 * whatever the inputs. Per file, nothing may stay open.
 */
const MAX_FDS = 128;

let root: string;
let files: string[];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "zarrify-fds-"));
  mkdirSync(join(root, "in"));
  files = writeStepFiles(join(root, "in"), BIG, GRID);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The first `n` files, by list: how a user hands a run more files than a command line holds. */
function listOf(n: number): string {
  const list = join(root, `files-${n}.txt`);
  writeFileSync(list, `${files.slice(0, n).join("\n")}\n`);
  return list;
}

async function run(n: number) {
  const out = join(root, `run-${n}.zarr`);
  const m = await measureCli(
    [
      "run",
      "--files-from",
      listOf(n),
      out,
      "--global-start",
      "2000-01-01",
      "--global-end",
      dayAfter2000(n - 1),
      "--freq",
      "1D",
      "--jobs",
      "2",
      "--no-progress",
      "--json",
    ],
    { timeoutMs: 600_000 },
  );
  return { m, out };
}

describe(`open descriptors with ${BIG} inputs`, () => {
  it(`run: at most ${MAX_FDS} open at once, for ${SMALL} and ${BIG} files alike, and all written`, async () => {
    const small = await run(SMALL);
    expect(small.m.code, small.m.stderr).toBe(0);
    const big = await run(BIG);
    expect(big.m.code, big.m.stderr).toBe(0);
    const result = JSON.parse(big.m.stdout);
    expect(result.written).toBe(BIG);
    expect(result.workers).toBe(2);
    console.log(
      `run fds: ${SMALL} files → ${small.m.maxFds} (${small.m.samples} samples), ${BIG} files → ${big.m.maxFds} (${big.m.samples} samples)`,
    );
    expect(small.m.samples).toBeGreaterThan(10);
    expect(big.m.samples).toBeGreaterThan(10);
    expect(small.m.maxFds).toBeLessThanOrEqual(MAX_FDS);
    expect(big.m.maxFds).toBeLessThanOrEqual(MAX_FDS);

    const v = runCliBounded(["validate", big.out, "--json", "--require-complete"], {
      timeoutMs: 300_000,
    });
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.steps).toBe(BIG);
    expect(report.missingSteps).toBe(0);
    expect(report.emptySteps).toBe(0);
    expect(report.complete).toBe(true);
    rmSync(small.out, { recursive: true, force: true });
    rmSync(big.out, { recursive: true, force: true });
  }, 900_000);

  it(`multi-file convert of ${BIG} files: at most ${MAX_FDS} open at once`, async () => {
    const out = join(root, "convert.zarr");
    const m = await measureCli(
      ["convert", join(root, "in", "*.nc"), out, "--jobs", "2", "--no-progress", "--json"],
      { timeoutMs: 900_000 },
    );
    expect(m.code, m.stderr).toBe(0);
    console.log(`convert fds: ${BIG} files → ${m.maxFds} (${m.samples} samples)`);
    expect(m.samples).toBeGreaterThan(10);
    expect(m.maxFds).toBeLessThanOrEqual(MAX_FDS);
    rmSync(out, { recursive: true, force: true });
  }, 900_000);
});
