import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConversionError } from "../../src/errors.js";
import { stageFsArchive, sweepStalePartials } from "../../src/zarr/store/fs-staging.js";
import { tempDir } from "../helpers/paths.js";

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid as number;
}

function partial(dir: string, pid: number, marker?: object, ageHours = 0): string {
  const p = join(dir, `out.zarr.zarrify-partial-${pid}`);
  mkdirSync(p);
  if (marker) writeFileSync(join(p, ".zarrify-partial.json"), JSON.stringify(marker));
  const t = (Date.now() - ageHours * 3600_000) / 1000;
  utimesSync(p, t, t);
  return p;
}

describe("sweepStalePartials", () => {
  it("removes this host's partials whose process is gone, and old ones of other hosts", async () => {
    const dir = tempDir();
    const dead = deadPid();
    const gone = partial(dir, dead, { pid: dead, host: hostname() });
    const live = partial(dir, process.ppid, { pid: process.ppid, host: hostname() });
    const foreignFresh = partial(dir, dead + 1, { pid: dead + 1, host: "elsewhere" }, 1);
    const foreignOld = partial(dir, dead + 2, { pid: dead + 2, host: "elsewhere" }, 25);
    const unmarkedOld = partial(dir, dead + 3, undefined, 25);
    const other = join(dir, "other.zarr.zarrify-partial-1");
    mkdirSync(other);
    const removed = await sweepStalePartials(join(dir, "out.zarr"));
    expect(removed.sort()).toEqual([foreignOld, gone, unmarkedOld].sort());
    for (const kept of [live, foreignFresh, other]) expect(existsSync(kept)).toBe(true);
  });
});

describe("stageOutput", () => {
  it("marks its staging directory and never commits the marker", async () => {
    const dir = tempDir();
    const out = join(dir, "out.zarr");
    const staged = await stageFsArchive(out, false);
    expect(existsSync(join(staged.location, ".zarrify-partial.json"))).toBe(true);
    await staged.commit();
    expect(existsSync(join(out, ".zarrify-partial.json"))).toBe(false);
  });

  it("reports an output under a regular file as a ConversionError naming the path", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "file.txt"), "x");
    const out = join(dir, "file.txt", "sub", "out.zarr");
    const err = await stageFsArchive(out, false).catch((e) => e);
    expect(err).toBeInstanceOf(ConversionError);
    expect(err.message).toMatch(
      `cannot create the output ${out}: ${join(dir, "file.txt", "sub")}: a component of the path is a file, not a directory (mkdir)`,
    );
    expect(err.hint).toMatch(/a file stands where a directory is needed/);
  });
});
