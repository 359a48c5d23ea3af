/**
 * An interrupted convert cleans up after itself (SIGINT/SIGTERM), and what a SIGKILL leaves is
 * swept by the next run to the same output. A real conversion, long enough to be caught midway.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { cliBin, tempDir } from "../helpers/paths.js";

let dir: string;
let big: string;
let small: string;
beforeAll(() => {
  dir = tempDir();
  big = join(dir, "big.nc");
  small = join(dir, "small.nc");
  // 200 MB of random floats, gzip and one-step chunks: about 10 s of work on one core.
  writeGrid(big, { times: 50, y: 1000, x: 1000, random: true });
  writeGrid(small, { times: 2, y: 3, x: 4 });
});

const SLOW = ["--compression", "gzip:6", "--chunking", "time:1", "--jobs", "1", "--no-progress"];

function startConvert(out: string): {
  child: ChildProcess;
  exit: Promise<[number | null, string | null]>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, [cliBin, "convert", big, out, ...SLOW], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exit = new Promise<[number | null, string | null]>((r) =>
    child.on("exit", (code, signal) => r([code, signal])),
  );
  return { child, exit, stderr: () => stderr };
}

/** Waits until the staging directory holds the first chunk of data. */
async function partialWithData(out: string, pid: number): Promise<string> {
  const partial = `${out}.zarrify-partial-${pid}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (existsSync(join(partial, "t2m")) && readdirSync(join(partial, "t2m")).length > 1) {
      return partial;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${partial} never filled`);
}

const partials = () => readdirSync(dir).filter((n) => n.includes(".zarrify-partial-"));

describe("interrupted convert", () => {
  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const) {
    it(`${signal}: removes its staging directory and exits ${code}`, async () => {
      const out = join(dir, `${signal}.zarr`);
      const run = startConvert(out);
      const partial = await partialWithData(out, run.child.pid as number);
      run.child.kill(signal);
      const [exitCode] = await run.exit;
      expect(exitCode).toBe(code);
      expect(existsSync(partial)).toBe(false);
      expect(existsSync(out)).toBe(false);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
    });
  }

  it("SIGKILL leaves the partial directory; the next convert to that output sweeps it", async () => {
    const out = join(dir, "killed.zarr");
    const run = startConvert(out);
    const partial = await partialWithData(out, run.child.pid as number);
    run.child.kill("SIGKILL");
    await run.exit;
    expect(existsSync(partial)).toBe(true);

    const again = runCli(["convert", small, out, "-v"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`removed ${partial}, left by an interrupted run`);
    expect(existsSync(partial)).toBe(false);
    expect(partials()).toEqual([]);
    expect(existsSync(join(out, "zarr.json"))).toBe(true);
  });
});
