/**
 * What the environment, config, region and archive halves of the bad-input catalogue share: the
 * stricter form of expectCleanFailure they use (the hint line is required: every case in
 * docs/errors.md tells the user what to do next), an unprivileged user for the permission cases
 * (CI runs as root, who reads and writes anything), and runs through sh for what a spawn cannot
 * pass: non-UTF-8 arguments, and read-only or full file systems mounted in a private namespace.
 */
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { expect } from "vitest";
import {
  type BoundedRun,
  type CleanFailure,
  expectCleanFailure,
} from "../helpers/clean-failure.js";
import { cliBin } from "../helpers/paths.js";

/** `nobody`: owns nothing the tests make, so permissions apply to it. */
export const NOBODY = { uid: 65534, gid: 65534 };

export const isRoot = process.getuid?.() === 0;

export const canMount =
  isRoot && spawnSync("unshare", ["-m", "--propagation", "private", "true"]).status === 0;

/** expectCleanFailure, and a hint line that is there. */
export function expectFailsWithHint(r: BoundedRun, want: CleanFailure): void {
  expectCleanFailure(r, want);
  const lines = r.stderr.trim().split("\n");
  expect(lines, `stderr was:\n${r.stderr}`).toHaveLength(2);
}

/** Directories another uid must get through: mkdtemp makes them 0700. */
export function openTo(...dirs: string[]): void {
  for (const d of dirs) chmodSync(d, 0o755);
}

const RSS_MARK = "@@zarrify-maxrss-kib=";

export interface ShellRun {
  /** CLI arguments, passed as they are. */
  args: string[];
  /** Shell words appended after `args`, expanded by sh: bytes Node cannot put in an argument. */
  tail?: string;
  /** Run first, as root; a failure aborts the test (exit 99). `$MNT` is `mnt`. */
  setup?: string;
  /** Run after zarrify exits; what it prints is the result's `stdout` (zarrify's own is dropped). */
  after?: string;
  /** In a private mount namespace (`unshare -m`): what `setup` mounts is seen by this run only. */
  unshare?: boolean;
  mnt?: string;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * The CLI as runCliBounded runs it (GNU time for peak RSS, a time limit, SIGKILL), but through
 * sh, for what a direct spawn cannot do: arguments that are not UTF-8, and mounts in a namespace
 * of its own, which vanish with it (never in the host's).
 */
export function runThroughShell(o: ShellRun): BoundedRun {
  const script = [
    o.setup ? `{ ${o.setup}; } || exit 99` : "",
    `/usr/bin/time -f '${RSS_MARK}%M' "$@"${o.tail ? ` ${o.tail}` : ""} >/dev/null`,
    "rc=$?",
    o.after ?? "",
    "exit $rc",
  ]
    .filter(Boolean)
    .join("\n");
  const sh = ["sh", "-c", script, "sh", process.execPath, cliBin, ...o.args];
  const [cmd, ...argv] = o.unshare ? ["unshare", "-m", "--propagation", "private", ...sh] : sh;
  const started = Date.now();
  const r = spawnSync(cmd, argv, {
    encoding: "utf8",
    env: { ...process.env, MNT: o.mnt ?? "" },
    cwd: o.cwd,
    timeout: o.timeoutMs ?? 30_000,
    killSignal: "SIGKILL",
  });
  const err = r.stderr ?? "";
  const mark = err.lastIndexOf(RSS_MARK);
  const stderr = (mark >= 0 ? err.slice(0, mark) : err).replace(
    /^Command (terminated by signal|exited with non-zero status) .*\n?/m,
    "",
  );
  if (r.status === 99) throw new Error(`setup failed: ${stderr}`);
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? "",
    stderr,
    ms: Date.now() - started,
    maxRssMiB: mark >= 0 ? Number(err.slice(mark + RSS_MARK.length).trim()) / 1024 : Number.NaN,
    timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT",
  };
}
