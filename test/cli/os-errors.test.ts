/**
 * An output zarrify cannot write is the user's environment, not a bug: one line naming the path,
 * a hint, exit 1, no stack trace, nothing left behind. Read-only and full file systems are real
 * tmpfs mounts made inside a private mount namespace (`unshare -m`), which vanish with it.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { cliBin, tempDir } from "../helpers/paths.js";

let dir: string;
let nc: string;
beforeAll(() => {
  dir = tempDir();
  nc = join(dir, "in.nc");
  writeGrid(nc, { times: 20, y: 100, x: 100, random: true }); // 800 kB, incompressible
});

function expectOneClearError(stderr: string, ...fragments: (string | RegExp)[]) {
  const lines = stderr.trim().split("\n");
  expect(lines[0]).toMatch(/^zarrify: error: /);
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(/^ {2}hint: /);
  expect(stderr).not.toMatch(/internal error|bug in zarrify|\n\s+at /);
  for (const f of fragments) expect(stderr).toMatch(f);
}

describe("unwritable output", () => {
  it("under a regular file (ENOTDIR)", () => {
    writeFileSync(join(dir, "file.txt"), "x");
    const r = runCli(["convert", nc, join(dir, "file.txt", "a", "out.zarr")]);
    expect(r.code).toBe(1);
    expectOneClearError(r.stderr, join(dir, "file.txt"), /a component of the path is a file/);
  });

  it("whose parent is a regular file (EEXIST)", () => {
    const r = runCli(["convert", nc, join(dir, "file.txt", "out.zarr")]);
    expect(r.code).toBe(1);
    expectOneClearError(r.stderr, join(dir, "file.txt"), /already exists and is in the way/);
  });

  it("in a directory we may not write to (EPERM, /sys)", () => {
    const r = runCli(["convert", nc, "/sys/out.zarr"]);
    expect(r.code).toBe(1);
    expectOneClearError(r.stderr, "/sys/out.zarr", /permission denied/);
  });
});

const canMount =
  process.getuid?.() === 0 &&
  spawnSync("unshare", ["-m", "--propagation", "private", "true"]).status === 0;

/**
 * `zarrify args...` with a fresh tmpfs (mount options `opts`) on `mnt`, in its own namespace;
 * `left` is what the mount held when zarrify had exited.
 */
function onTmpfs(mnt: string, opts: string, args: string[]) {
  mkdirSync(mnt, { recursive: true });
  const script = `mount -t tmpfs -o ${opts} tmpfs "$1" || exit 99; m="$1"; shift; "$@" >/dev/null; rc=$?; ls -A "$m"; exit $rc`;
  const r = spawnSync(
    "unshare",
    [
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      script,
      "sh",
      mnt,
      process.execPath,
      cliBin,
      ...args,
    ],
    { encoding: "utf8" },
  );
  return { code: r.status, stderr: r.stderr, left: r.stdout.split("\n").filter(Boolean) };
}

describe.skipIf(!canMount)("file systems that refuse writes", () => {
  it("read-only (EROFS)", () => {
    const mnt = join(dir, "ro");
    const r = onTmpfs(mnt, "ro", ["convert", nc, join(mnt, "out.zarr")]);
    expect(r.code).toBe(1);
    expectOneClearError(r.stderr, join(mnt, "out.zarr"), /read-only file system/);
  });

  it("full (ENOSPC): the partial output is removed", () => {
    const mnt = join(dir, "full");
    const out = join(mnt, "out.zarr");
    const script = ["convert", nc, out, "--compression", "none"];
    const r = onTmpfs(mnt, "size=64k", script);
    expect(r.code).toBe(1);
    expectOneClearError(r.stderr, out, /no space left on the device/);
    expect(r.left).toEqual([]);
    // The mount went with its namespace: nothing was ever written to the real directory.
    expect(readdirSync(mnt)).toEqual([]);
  });
});
