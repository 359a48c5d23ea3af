/**
 * What "bad input fails cleanly" means, in one place for the bad-input catalogue and the fuzzer:
 * one `zarrify: error:` line naming the problem plus at most one hint line, the documented exit
 * code, no stack trace, bounded time, bounded memory, and an archive left exactly as it was.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { cliBin } from "./paths.js";

export interface BoundedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time, milliseconds. */
  ms: number;
  /** Peak resident set of the zarrify process (GNU time's %M), MiB. */
  maxRssMiB: number;
  /** Killed by the time limit. */
  timedOut: boolean;
}

export interface BoundedOptions {
  env?: NodeJS.ProcessEnv;
  /** Default 60 s: a hostile header must be refused long before. */
  timeoutMs?: number;
  cwd?: string;
  /** Run as this uid/gid (root-only; for unreadable/unwritable cases, since root reads anything). */
  uid?: number;
  gid?: number;
}

const RSS_MARK = "@@zarrify-maxrss-kib=";

/**
 * Runs the built CLI under GNU time so a case also proves its memory bound; GNU time writes its
 * measurement after the child's stderr, on a marked line that is removed from `stderr` here.
 */
export function runCliBounded(args: string[], opts: BoundedOptions = {}): BoundedRun {
  if (!existsSync(cliBin)) throw new Error(`${cliBin} missing: run \`npm run build\` first`);
  const started = Date.now();
  const r = spawnSync("/usr/bin/time", ["-f", `${RSS_MARK}%M`, process.execPath, cliBin, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: "SIGKILL",
    cwd: opts.cwd,
    uid: opts.uid,
    gid: opts.gid,
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Date.now() - started;
  const err = r.stderr ?? "";
  const mark = err.lastIndexOf(RSS_MARK);
  const rssKiB = mark >= 0 ? Number(err.slice(mark + RSS_MARK.length).trim()) : Number.NaN;
  let stderr = mark >= 0 ? err.slice(0, mark) : err;
  // GNU time reports a child that died of a signal on its own line before the measurement.
  stderr = stderr.replace(/^Command (terminated by signal|exited with non-zero status) .*\n?/m, "");
  const timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT";
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? "",
    stderr,
    ms,
    maxRssMiB: rssKiB / 1024,
    timedOut,
  };
}

export interface CleanFailure {
  /** The documented exit code (docs/cli.md#errors-and-exit-codes). */
  code: number;
  /** Each must appear in stderr: usually the file's name and the problem. */
  fragments?: (string | RegExp)[];
  /** Default 400 MiB: about twice a small conversion's RSS, far below a hostile allocation. */
  maxRssMiB?: number;
  /** Default true: the second line, when there is one, is a hint. */
  hint?: boolean;
}

/** Asserts a run failed the way docs/errors.md promises. */
export function expectCleanFailure(r: BoundedRun, want: CleanFailure): void {
  const context = `stderr was:\n${r.stderr}`;
  expect(r.timedOut, `timed out after ${r.ms} ms; ${context}`).toBe(false);
  expect(r.code, context).toBe(want.code);
  const lines = r.stderr.trim().split("\n");
  expect(lines[0], context).toMatch(/^zarrify: error: /);
  expect(lines.length, context).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1], context).toMatch(/^ {2}hint: \S/);
  if (want.hint !== false && lines.length === 2) expect(lines[1].length).toBeGreaterThan(10);
  expect(r.stderr, context).not.toMatch(/\n\s+at /);
  expect(r.stderr, context).not.toMatch(/internal error|TypeError|RangeError|undefined/);
  for (const f of want.fragments ?? []) expect(r.stderr, context).toMatch(f);
  expect(r.maxRssMiB, "peak RSS (MiB)").toBeLessThan(want.maxRssMiB ?? 400);
}

/**
 * A digest of a directory tree (names, kinds, contents, link targets; not times), so a test can
 * show a failed command left an archive byte for byte as it was.
 */
export function treeDigest(root: string): string {
  const h = createHash("sha256");
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path);
      if (st.isSymbolicLink()) h.update(`L ${key} -> ${readlinkSync(path)}\n`);
      else if (st.isDirectory()) {
        h.update(`D ${key}\n`);
        walk(path, key);
      } else {
        h.update(`F ${key} ${st.size}\n`);
        h.update(readFileSync(path));
      }
    }
  };
  walk(root, "");
  return h.digest("hex");
}
