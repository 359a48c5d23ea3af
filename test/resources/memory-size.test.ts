/**
 * Peak RSS of `convert` does not grow with the input: one file at two sizes three times apart,
 * same grid and chunking, NetCDF-3 (records along an unlimited time) and NetCDF-4 (deflated
 * chunks of 10 steps), peak RSS from GNU time.
 *
 * Both sizes are above what two workers hold at once: the engine reads blocks of whole chunks of
 * up to 128 MiB (plan/blocks.ts), one per worker, so a file smaller than jobs × 128 MiB uses less
 * (a 40 MB file about half as much, docs/resources.md) and memory is flat from there on. Holding
 * the input, or a share of it, would cost hundreds of MiB more for the larger file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeNetcdf4, writeRecordFile } from "./gen.js";
import { measureCli } from "./measure.js";

const JOBS = 2;
const GRID = { y: 256, x: 512 };
/** 512 KiB a step: 600 steps are 300 MiB, above JOBS × 128 MiB; 1,800 are 900 MiB. */
const STEPS = { small: 600, big: 1_800 };
/** The larger file may cost this much more: flat, with room for the heap's own growth steps. */
const FACTOR = 1.15;
const SLACK_MIB = 32;
/** A ceiling for either: node and two workers (about 160 MiB) and two blocks, each read twice. */
const CEILING_MIB = 160 + JOBS * 2 * 128;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "zarrify-mem-size-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function convertPeak(input: string): Promise<number> {
  const out = `${input}.zarr`;
  const m = await measureCli(
    ["convert", input, out, "--chunking", "time:10", "--jobs", String(JOBS), "--no-progress"],
    { timeoutMs: 600_000 },
  );
  expect(m.code, m.stderr).toBe(0);
  rmSync(out, { recursive: true, force: true });
  rmSync(input, { force: true });
  return m.maxRssMiB;
}

const formats = {
  "NetCDF-3 records": (path: string, steps: number) => writeRecordFile(path, steps, GRID),
  "NetCDF-4 deflate": (path: string, steps: number) => writeNetcdf4(path, steps, GRID, 10),
};

describe("peak RSS in input size (convert, one file)", () => {
  for (const [format, write] of Object.entries(formats)) {
    it(`${format}: ${STEPS.big / 2} MiB costs at most ${FACTOR}× + ${SLACK_MIB} MiB of ${STEPS.small / 2} MiB`, async () => {
      const peaks: number[] = [];
      for (const steps of [STEPS.small, STEPS.big]) {
        const path = join(root, `${steps}.nc`);
        write(path, steps);
        peaks.push(await convertPeak(path));
      }
      const [small, big] = peaks;
      console.log(
        `${format}: ${STEPS.small / 2} MiB → ${small.toFixed(0)} MiB, ${STEPS.big / 2} MiB → ${big.toFixed(0)} MiB`,
      );
      expect(big).toBeLessThanOrEqual(small * FACTOR + SLACK_MIB);
      expect(small).toBeLessThanOrEqual(CEILING_MIB);
      expect(big).toBeLessThanOrEqual(CEILING_MIB);
    }, 600_000);
  }
});
