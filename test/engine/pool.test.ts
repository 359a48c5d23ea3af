/**
 * engine/pool.ts spare workers: threads started before a job (prestartWorkers) are taken by the
 * next job that runs on threads, which then finds them ready (readyMs 0) and writes the same
 * archive as fresh ones; a job that runs inline leaves them for the next, and spares no job takes
 * stop on their own.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropSpares, prestartWorkers, spareCount } from "../../src/engine/pool.js";
import { treeDigest } from "../helpers/clean-failure.js";
import { convertOnEngine } from "../helpers/engine-convert.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("zarrify-pool-");
const big = join(dir, "big.nc");
const small = join(dir, "small.nc");

beforeAll(() => {
  // 12 × 721 × 1440 float32 = 50 MB: above the engine's 32 MiB worker threshold.
  writeGrid(big, { times: 12, y: 721, x: 1440 });
  writeGrid(small, { times: 2, y: 10, x: 20 });
});

afterAll(async () => {
  dropSpares();
  await rm(dir, { recursive: true, force: true });
});

const convert = (input: string, out: string) =>
  convertOnEngine(input, out, { zarrFormat: 2, jobs: 2, chunking: { time: 1 } });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("spare workers", () => {
  it("are taken by the next job on threads, ready before it, and write the same archive", async () => {
    const fresh = await convert(big, join(dir, "fresh.zarr"));
    expect(fresh.workers).toBe(2);
    prestartWorkers(2);
    expect(spareCount()).toBe(2);
    // Long enough for the threads (tsx-transformed sources under the test runner) to load.
    await sleep(4000);
    const warm = await convert(big, join(dir, "warm.zarr"));
    expect(spareCount()).toBe(0);
    expect(warm.workers).toBe(2);
    const threads = warm.threads ?? [];
    expect(threads.length).toBeGreaterThanOrEqual(1);
    for (const t of threads) expect(t.readyMs).toBe(0);
    // No write records here (executePlan alone): the two trees are byte-identical.
    expect(treeDigest(join(dir, "warm.zarr"))).toBe(treeDigest(join(dir, "fresh.zarr")));
  }, 180_000);

  it("outlive a job that runs inline, then stop when no job takes them", async () => {
    prestartWorkers(2, 1500);
    expect(spareCount()).toBe(2);
    const r = await convert(small, join(dir, "small.zarr"));
    expect(r.workers).toBe(0);
    expect(spareCount()).toBe(2);
    await sleep(2500);
    expect(spareCount()).toBe(0);
  }, 60_000);
});
