/**
 * An interrupted `run` stops writing when it exits. A signal sent to the process (a scheduler's
 * SIGTERM, `kill PID`, Ctrl-C) stops its worker threads before it exits, and a process killed
 * outright takes its threads with it: in every case nothing changes in the archive afterwards, and
 * `run --resume` then completes it. Real files, slow enough to be caught while data is written.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeGrid } from "../helpers/grid-nc.js";
import { cliBin, tempDir } from "../helpers/paths.js";

let dir: string;
let files: string[];
beforeAll(() => {
  dir = tempDir();
  // Two files of 12 days of random floats (48 MB each): gzip and one-step chunks keep both
  // worker threads busy for seconds, several times longer than it may take to stop.
  files = [0, 12].map((firstDay) => {
    const path = join(dir, `day${firstDay}.nc`);
    writeGrid(path, { times: 12, y: 1000, x: 1000, random: true, firstDay });
    return path;
  });
});

/** Files under `root`, with sizes and mtimes: equal snapshots mean nothing was written. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        try {
          const st = statSync(p);
          out[p] = `${st.size}:${st.mtimeMs}`;
        } catch {
          // renamed away while we looked
        }
      }
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = probe();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function runArgs(archive: string, ...more: string[]): string[] {
  return [
    cliBin,
    "run",
    ...files,
    archive,
    "--global-start",
    "2000-01-01",
    "--global-end",
    "2000-01-24",
    "--freq",
    "1D",
    "--compression",
    "gzip:6",
    "--chunking",
    "time:1",
    "--jobs",
    "2",
    "--no-progress",
    ...more,
  ];
}

/** Time steps with data chunks of the archive's variable (Zarr v3: t2m/c/<step>/...). */
function dataChunks(archive: string): number {
  const c = join(archive, "t2m", "c");
  return existsSync(c) ? readdirSync(c).filter((n) => /^\d+$/.test(n)).length : 0;
}

/** A `zarrify run` of the two files with two worker threads, caught once data is being written. */
async function startRun(archive: string): Promise<{
  child: ChildProcess;
  exit: Promise<[number | null, string | null]>;
  stderr: () => string;
}> {
  const child = spawn(process.execPath, runArgs(archive, "-v"), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exit = new Promise<[number | null, string | null]>((r) =>
    child.on("exit", (code, signal) => r([code, signal])),
  );
  await until("data being written", () => (dataChunks(archive) > 0 ? true : undefined));
  return { child, exit, stderr: () => stderr };
}

/** Resumes the interrupted run and checks the archive is then complete. */
function resumeAndValidate(archive: string): void {
  const resumed = spawnSync(process.execPath, runArgs(archive, "--resume"), { encoding: "utf8" });
  expect(resumed.status, resumed.stderr).toBe(0);
  const valid = spawnSync(process.execPath, [cliBin, "validate", archive, "--require-complete"], {
    encoding: "utf8",
  });
  expect(valid.status, valid.stdout + valid.stderr).toBe(0);
}

describe("interrupted run", () => {
  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const) {
    it(`${signal} stops every worker thread before the process exits ${code}; --resume completes it`, async () => {
      const archive = join(dir, `${signal}.zarr`);
      const run = await startRun(archive);
      run.child.kill(signal);
      const [exitCode] = await run.exit;
      expect(exitCode).toBe(code);
      const after = snapshot(archive);
      await sleep(1500);
      expect(snapshot(archive)).toEqual(after);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
      // Stopping the threads is no failure of the run: nothing but its progress is printed.
      expect(run.stderr()).not.toMatch(/error:/);
      resumeAndValidate(archive);
    });
  }

  it("a process killed outright (SIGKILL) writes nothing after; --resume completes it", async () => {
    const archive = join(dir, "killed.zarr");
    const run = await startRun(archive);
    run.child.kill("SIGKILL");
    await run.exit;
    const after = snapshot(archive);
    await sleep(1500);
    expect(snapshot(archive)).toEqual(after);
    resumeAndValidate(archive);
  });
});
