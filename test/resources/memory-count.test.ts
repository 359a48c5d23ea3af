/**
 * Peak RSS grows with the number of inputs only by their metadata: `run` and multi-file `convert`
 * of 200 and of 2,000 one-step files of 256 KiB each (NetCDF-3), peak RSS from GNU time. Chunks
 * are ten steps long, so a task's block is the same size in both and only the file count
 * differs. Holding each file's decoded values would cost 256 KiB a file; holding its handle shows
 * in fds.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayAfter2000, writeStepFiles } from "./gen.js";
import { measureCli } from "./measure.js";

const FEW = 200;
const MANY = 2_000;
const GRID = { y: 256, x: 256 };
/**
 * The growth allowed a file: a quarter of a file's values, so holding them (or a copy of each
 * file's read buffer) fails it. It is the main thread's plan of each file that grows. Measured at
 * two workers, each given only its tasks' inputs:
 * - before the workers reused a chunk scratch: 15 KiB a file for run and 27 for convert on an idle
 *   machine, 36 for convert in a full CI run;
 * - since: 45–47 and 44–49 on an idle machine, 50 for run in a full CI run. The peak at 2,000
 *   files stayed where it was (245 → 250 MiB for run); at 200 files it fell (218 → 168 MiB), as
 *   the workers hold less, so less of the plan's growth hides under their memory.
 */
const PER_FILE_KIB = 64;

let root: string;
let files: string[];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "zarrify-mem-count-"));
  mkdirSync(join(root, "in"));
  files = writeStepFiles(join(root, "in"), MANY, GRID);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function listOf(n: number): string {
  const list = join(root, `files-${n}.txt`);
  writeFileSync(list, `${files.slice(0, n).join("\n")}\n`);
  return list;
}

const common = ["--chunking", "time:10", "--jobs", "2", "--no-progress", "--json"];

async function peak(verb: "run" | "convert", n: number): Promise<number> {
  const out = join(root, `${verb}-${n}.zarr`);
  const args =
    verb === "run"
      ? ["run", "--files-from", listOf(n), out, "--global-start", "2000-01-01"]
          .concat(["--global-end", dayAfter2000(n - 1), "--freq", "1D"])
          .concat(common)
      : ["convert", ...files.slice(0, n), out, ...common];
  const m = await measureCli(args, { timeoutMs: 600_000 });
  expect(m.code, m.stderr).toBe(0);
  const result = JSON.parse(m.stdout);
  expect(result.workers).toBe(2);
  if (verb === "run") expect(result.written).toBe(n);
  rmSync(out, { recursive: true, force: true });
  return m.maxRssMiB;
}

describe(`peak RSS in the number of inputs (${FEW} vs ${MANY} files)`, () => {
  for (const verb of ["run", "convert"] as const) {
    it(`${verb}: grows by at most ${PER_FILE_KIB} KiB a file`, async () => {
      const few = await peak(verb, FEW);
      const many = await peak(verb, MANY);
      const perFileKiB = ((many - few) * 1024) / (MANY - FEW);
      console.log(
        `${verb}: ${FEW} files ${few.toFixed(0)} MiB, ${MANY} files ${many.toFixed(0)} MiB (${perFileKiB.toFixed(1)} KiB a file)`,
      );
      expect(many).toBeLessThanOrEqual(few + ((MANY - FEW) * PER_FILE_KIB) / 1024);
    }, 600_000);
  }
});
