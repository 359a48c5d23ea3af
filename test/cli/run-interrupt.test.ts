/**
 * An interrupted `run` takes its worker processes down with it. A signal sent to the parent alone
 * (a scheduler's SIGTERM, `kill PID`) does not reach the workers the way Ctrl-C reaches the whole
 * process group, and a parent killed outright runs no handler at all: in every case no worker may
 * outlive the parent and go on writing into the archive. Real files, slow enough to be caught
 * while the workers are writing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeGrid } from "../helpers/grid-nc.js";
import { cliBin, tempDir } from "../helpers/paths.js";

let dir: string;
let files: string[];
beforeAll(() => {
  dir = tempDir();
  // Two files of 12 days of random floats (48 MB each): gzip and one-step chunks keep each
  // worker busy for about 5 s, several times longer than it may take to stop. A region's chunks
  // are renamed into place at its end, so a worker that went on would still change the archive.
  files = [0, 12].map((firstDay) => {
    const path = join(dir, `day${firstDay}.nc`);
    writeGrid(path, { times: 12, y: 1000, x: 1000, random: true, firstDay });
    return path;
  });
});

/** Pids whose parent is `ppid`, from /proc (Linux). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing paren.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) out.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Running, not exited (a zombie nobody reaped yet has stopped writing, so it counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

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

/** A `zarrify run` of the two files with two workers, caught once both are writing data. */
async function startRun(archive: string): Promise<{
  child: ChildProcess;
  workers: number[];
  exit: Promise<[number | null, string | null]>;
  stderr: () => string;
}> {
  const args = [
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
    "-v",
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exit = new Promise<[number | null, string | null]>((r) =>
    child.on("exit", (code, signal) => r([code, signal])),
  );
  const pid = child.pid as number;
  const workers = await until("two workers", () => {
    const kids = childrenOf(pid);
    return kids.length === 2 ? kids : undefined;
  });
  // Each worker logs its region once it has placed the file, right before it writes it.
  await until("both workers writing", () =>
    (stderr.match(/write-region: \S+: region time/g) ?? []).length === 2 ? true : undefined,
  );
  return { child, workers, exit, stderr: () => stderr };
}

describe("interrupted run", () => {
  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const) {
    it(`${signal} to the parent alone stops every worker and exits ${code}`, async () => {
      const archive = join(dir, `${signal}.zarr`);
      const run = await startRun(archive);
      expect(run.workers.every(alive)).toBe(true);
      run.child.kill(signal);
      const [exitCode] = await run.exit;
      expect(exitCode).toBe(code);
      // The parent waits for its workers before it exits: none may be left at this point.
      expect(run.workers.filter(alive)).toEqual([]);
      const after = snapshot(archive);
      await sleep(1500);
      expect(snapshot(archive)).toEqual(after);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
      expect(run.stderr()).not.toContain("worker process died");
    });
  }

  it("a parent killed outright (SIGKILL) leaves no worker writing", async () => {
    const archive = join(dir, "killed.zarr");
    const run = await startRun(archive);
    run.child.kill("SIGKILL");
    await run.exit;
    // No handler ran in the parent: the workers notice the closed IPC channel themselves and
    // stop at once, not after the file they were writing (seconds of work here).
    await until("the workers to exit", () => (run.workers.some(alive) ? undefined : true), 1000);
    const after = snapshot(archive);
    await sleep(1500);
    expect(snapshot(archive)).toEqual(after);
  });
});
