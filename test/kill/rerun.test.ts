/**
 * Two faults the kill matrix found, pinned down without random moments:
 * - `create-template --compute` killed while the template's data were written left a finished
 *   template without them, and the same command run again refused (the output exists); the data
 *   are now written into the staged archive, so until it is complete there is no output at all.
 * - A `write-region` killed in the middle of a put left its temp file, and the re-run that
 *   completed the region kept it (the sweep runs at most every 10 minutes across all writers);
 *   now a write that finds an unfinished earlier write of the same file sweeps at once.
 * - An `append` of a file already appended (the re-run of an append killed after its data, or a
 *   second append of the same file) replaced the file's record with one of no steps, so validate
 *   then called every step of it missing.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/paths.js";
import { writeKillGrid } from "./grid.js";
import { runCli, sleep, startCli } from "./proc.js";
import { debrisIn, localKeys } from "./tree.js";

const env = { ...process.env };

async function validate(archive: string) {
  const v = await runCli(["validate", archive, "--json"], env);
  expect(v.code, v.stderr).toBe(0);
  return JSON.parse(v.stdout) as { complete: boolean; missingSteps: number };
}

describe("re-running what a kill interrupted", () => {
  it("create-template --compute: no output exists while its data are written; the re-run completes it", async () => {
    const dir = tempDir("zarrify-kill-template-");
    const input = join(dir, "in.nc");
    writeKillGrid(input, { firstDay: 0, times: 24, y: 400, x: 600 });
    const out = join(dir, "t.zarr");
    const args = [
      "create-template",
      input,
      out,
      "--global-start",
      "2000-01-01",
      "--global-end",
      "2000-01-24",
      "--compute",
      "--chunking",
      "time:1",
      "--compression",
      "gzip:9",
      "--jobs",
      "1",
      "--no-progress",
    ];
    const run = startCli(args, env);
    // The first data chunk, wherever it is written.
    const dataChunk = () =>
      readdirSync(dir).some((n) => {
        const c = join(dir, n, "t2m", "c");
        return n.startsWith("t.zarr") && existsSync(c) && readdirSync(c).length > 0;
      });
    const deadline = Date.now() + 60_000;
    while (!dataChunk() && Date.now() < deadline) await sleep(10);
    const outputThen = existsSync(out);
    run.kill();
    const exit = await run.done;
    expect(exit.signal, "the template finished before its data could be caught").toBe("SIGKILL");
    expect(outputThen).toBe(false);
    const again = await runCli(args, env);
    expect(again.code, again.stderr).toBe(0);
    expect(await validate(out)).toMatchObject({ complete: true, missingSteps: 0 });
    expect(readdirSync(dir).sort()).toEqual(["in.nc", "t.zarr"]);
  });

  it("write-region killed mid-put: the re-run completes the region and leaves no temp file, within the sweep's rate limit", async () => {
    const dir = tempDir("zarrify-kill-region-");
    const a = join(dir, "a.nc");
    const b = join(dir, "b.nc");
    writeKillGrid(a, { firstDay: 0, times: 11, y: 300, x: 500 });
    writeKillGrid(b, { firstDay: 11, times: 13, y: 300, x: 500 });
    const archive = join(dir, "t.zarr");
    const range = ["--global-start", "2000-01-01", "--global-end", "2000-01-24", "--freq", "1D"];
    const t = await runCli(
      ["create-template", a, archive, ...range, "--zarr-format", "2", "--chunking", "time:1"],
      env,
    );
    expect(t.code, t.stderr).toBe(0);
    // This write sweeps and records it, so the next sweep is at least 10 minutes away.
    const first = await runCli(["write-region", a, archive, "--no-progress"], env);
    expect(first.code, first.stderr).toBe(0);
    const tmpOfData = () => localKeys(archive).find((k) => /^t2m\/.*\.zarrify-tmp$/.test(k));
    let caught: string | undefined;
    for (let attempt = 0; attempt < 5 && !caught; attempt++) {
      const run = startCli(["write-region", b, archive, "--no-progress"], env);
      while (run.child.exitCode === null && !caught) {
        caught = tmpOfData();
        if (!caught) await sleep(0);
      }
      run.kill();
      await run.done;
    }
    expect(caught, "no write-region was caught in the middle of a put").toBeDefined();
    const again = await runCli(["write-region", b, archive, "--no-progress"], env);
    expect(again.code, again.stderr).toBe(0);
    expect(debrisIn(localKeys(archive))).toEqual([]);
    expect(localKeys(archive).filter((k) => k.includes(".zarrify-"))).toEqual([]);
    expect(await validate(archive)).toMatchObject({ complete: true, missingSteps: 0 });
  });

  it("append of a file already appended keeps its steps recorded", async () => {
    const dir = tempDir("zarrify-kill-append-");
    writeKillGrid(join(dir, "early.nc"), { firstDay: 0, times: 12, y: 30, x: 50 });
    writeKillGrid(join(dir, "late.nc"), { firstDay: 12, times: 12, y: 30, x: 50 });
    const archive = join(dir, "a.zarr");
    const c = await runCli(
      ["convert", join(dir, "early.nc"), archive, "--chunking", "time:5"],
      env,
    );
    expect(c.code, c.stderr).toBe(0);
    for (let i = 0; i < 2; i++) {
      const a = await runCli(["append", join(dir, "late.nc"), archive, "--no-progress"], env);
      expect(a.code, a.stderr).toBe(0);
      expect(await validate(archive)).toMatchObject({ complete: true, missingSteps: 0 });
    }
  });
});
