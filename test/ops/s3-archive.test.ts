/**
 * s3:// archives through the verbs, against moto (test/helpers/moto.ts), with the CLI as separate
 * processes reaching it through AWS_ENDPOINT_URL. What is read back is checked outside zarrify:
 * the archive is copied down object by object and compared with its sources by xarray
 * (compare_xarray.py: Debian's stack for v2, the sid chroot's for v3). Under CI=true nothing here
 * is skipped.
 */
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { stageArchive } from "../../src/ops/new-archive.js";
import { validateArchive } from "../../src/ops/validate.js";
import { detectFormat } from "../../src/zarr/archive.js";
import { S3Store } from "../../src/zarr/store/s3.js";
import { holdsFinishedArchive, PARTIAL_MARKER_KEY } from "../../src/zarr/store/s3-staging.js";
import { randomFaults, startFaultProxy } from "../helpers/fault-proxy.js";
import {
  downloadArchive,
  type Moto,
  motoSkipReason,
  skipMoto,
  startMoto,
} from "../helpers/moto.js";
import { cliBin, python, real, repoRoot, tempDir } from "../helpers/paths.js";
import { sidPython } from "../helpers/sid.js";
import { cliProcess, makeSeries, raceWriteRegion } from "../region/series.js";

let moto: Moto;
let dir: string;
const stores: S3Store[] = [];
const COMPARE = join(repoRoot, "test/interop/compare_xarray.py");

function store(prefix: string): S3Store {
  const s = new S3Store({ ...moto.s3, prefix });
  stores.push(s);
  return s;
}
const url = (prefix: string) => `s3://${moto.bucket}/${prefix}`;

/** The archive at `prefix` copied down to a local directory, object by object. */
const download = (prefix: string) => downloadArchive(store(prefix), join(dir, "down", prefix));

/** compare_xarray.py over the downloaded archive: Debian's xarray for v2, sid's for v3. */
async function compare(
  sources: string[],
  local: string,
  format: 2 | 3,
  concat = false,
): Promise<{ ok: boolean; differences: string[] }> {
  const args = [COMPARE, ...sources, local, ...(concat ? ["--concat-dim", "time"] : [])];
  const out =
    format === 2
      ? execFileSync(python, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
      : (await sidPython(args)).stdout;
  return JSON.parse(out);
}

beforeAll(async () => {
  if (skipMoto) return;
  moto = await startMoto("zarrify-archives");
  // The CLI processes inherit these (startMoto set dummy credentials already).
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  process.env.AWS_S3_FORCE_PATH_STYLE = "true";
  dir = tempDir();
}, 90_000);
afterAll(async () => {
  await Promise.all(stores.map((s) => s.destroy()));
  await moto?.stop();
  delete process.env.AWS_ENDPOINT_URL;
  delete process.env.AWS_S3_FORCE_PATH_STYLE;
});

const skipNote = skipMoto ? ` (skipped: ${motoSkipReason})` : "";

describe.skipIf(skipMoto)(`s3:// archives on moto${skipNote}`, () => {
  it("convert of a real file reads back identical; validate says what it says on disk; an existing archive is refused without --overwrite", async () => {
    const source = real("ferret-datasets_coads_climatology.cdf");
    const r = await cliProcess(["convert", source, url("real/coads.zarr"), "--zarr-format", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const s = store("real/coads.zarr");
    expect(await s.get(PARTIAL_MARKER_KEY)).toBeUndefined();
    const local = await download("real/coads.zarr");
    const cmp = await compare([source], local, 2);
    expect(cmp.differences).toEqual([]);
    expect(cmp.ok).toBe(true);

    const onS3 = await validateArchive(url("real/coads.zarr"));
    const onDisk = await validateArchive(local);
    expect(onS3.archive).toBe(url("real/coads.zarr"));
    expect({ ...onS3, archive: "" }).toEqual({ ...onDisk, archive: "" });
    const v = await cliProcess(["validate", url("real/coads.zarr"), "--json"]);
    expect(v.code, v.stderr).toBe(0);
    const d = await cliProcess(["validate", local, "--json"]);
    expect({ ...JSON.parse(v.stdout), archive: "" }).toEqual({
      ...JSON.parse(d.stdout),
      archive: "",
    });

    const again = await cliProcess(["convert", source, url("real/coads.zarr")]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/real\/coads\.zarr: output already exists/);
    const over = await cliProcess([
      "convert",
      source,
      url("real/coads.zarr"),
      "--overwrite",
      "--zarr-format",
      "3",
    ]);
    expect(over.code, over.stderr).toBe(0);
    expect(await s.get(".zgroup")).toBeUndefined(); // the old v2 archive is gone
    const cmp3 = await compare([source], await download("real/coads.zarr"), 3);
    expect(cmp3.differences).toEqual([]);
  }, 180_000);

  it("multi-file convert (v3) and run --resume, append onto an s3:// archive", async () => {
    const files = makeSeries(join(dir, "multi"), [3, 2, 4, 1]);
    const c = await cliProcess(["convert", ...files.slice(0, 3), url("multi/a.zarr")]);
    expect(c.code, c.stderr).toBe(0);
    expect(await detectFormat(store("multi/a.zarr"))).toBe(3);
    const cmp = await compare(files.slice(0, 3), await download("multi/a.zarr"), 3, true);
    expect(cmp.differences).toEqual([]);

    const a = await cliProcess(["append", files[3], url("multi/a.zarr")]);
    expect(a.code, a.stderr).toBe(0);
    const appended = await validateArchive(url("multi/a.zarr"));
    expect(appended.complete).toBe(true);
    expect(appended.steps).toBe(10);
    const cmpA = await compare(files, await download("multi/a.zarr"), 3, true);
    expect(cmpA.differences).toEqual([]);

    const t = await cliProcess([
      "create-template",
      files[0],
      url("multi/tpl.zarr"),
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-10",
      "--compute",
    ]);
    expect(t.code, t.stderr).toBe(0);
    const tpl = await validateArchive(url("multi/tpl.zarr"));
    expect(tpl.missingSteps).toBe(7);
    expect(tpl.missing).toEqual([expect.objectContaining({ start: 3, stop: 10 })]);

    const runArgs = [
      "run",
      ...files,
      url("multi/run.zarr"),
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-10",
      "--freq",
      "1D",
      "--zarr-format",
      "2",
      "--chunking",
      "time:4",
    ];
    const run = await cliProcess(runArgs);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/4 of 4 files written/);
    const resumed = await cliProcess([...runArgs, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/skipped 4|4 skipped/);
    const exists = await cliProcess(runArgs);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/already exists/);
    expect((await validateArchive(url("multi/run.zarr"))).complete).toBe(true);
    const cmpR = await compare(files, await download("multi/run.zarr"), 2, true);
    expect(cmpR.differences).toEqual([]);
  }, 180_000);

  for (const format of [2, 3] as const) {
    it(`the race test on S3, v${format}: 40 one-step files by 8 write-region processes into 10-step chunks lose no step`, async () => {
      const files = makeSeries(join(dir, `race${format}`), new Array(40).fill(1));
      const archive = url(`race/v${format}.zarr`);
      await raceWriteRegion(files, archive, [
        "--chunking",
        "time:10",
        "--zarr-format",
        String(format),
      ]);
      const report = await validateArchive(archive);
      expect(report.missingSteps, JSON.stringify(report.missing)).toBe(0);
      expect(report.complete).toBe(true);
      expect(report.variables.find((v) => v.name === "t2m")?.stepsWithoutData).toBe(0);
      const cmp = await compare(files, await download(`race/v${format}.zarr`), format, true);
      expect(cmp.differences).toEqual([]);
    }, 300_000);
  }

  it("the race test on S3 with shards: 2-step chunks in 10-step shards, every shard shared by 10 writers, lose no step", async () => {
    const files = makeSeries(join(dir, "raceshards"), new Array(40).fill(1));
    const archive = url("race/sharded.zarr");
    await raceWriteRegion(files, archive, [
      "--chunking",
      "time:2",
      "--shards",
      "time:10",
      "--zarr-format",
      "3",
    ]);
    const report = await validateArchive(archive);
    expect(report.missingSteps, JSON.stringify(report.missing)).toBe(0);
    expect(report.complete).toBe(true);
    // One object per shard: 4 along time.
    expect((await store("race/sharded.zarr").list("t2m/c/")).length).toBe(4);
    const cmp = await compare(files, await download("race/sharded.zarr"), 3, true);
    expect(cmp.differences).toEqual([]);
  }, 300_000);

  it("analyze --run-tests writes its scratch archives to s3:// and removes them", async () => {
    const [file] = makeSeries(join(dir, "analyze"), [12], { nlat: 30, nlon: 40 });
    const r = await cliProcess([
      "analyze",
      file,
      "--run-tests",
      "--scratch",
      url("scratch"),
      "--sample-mb",
      "1",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      measured?: { patterns: Record<string, { archiveBytes: number; map: { ms: number } }> };
    };
    const patterns = Object.values(report.measured?.patterns ?? {});
    expect(patterns.length).toBe(3);
    for (const p of patterns) {
      expect(p.archiveBytes).toBeGreaterThan(0);
      expect(p.map.ms).toBeGreaterThan(0);
    }
    expect(await store("scratch").list()).toEqual([]);
    const bad = await cliProcess(["analyze", file, "--run-tests", "--scratch", "gs://b/x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")[0]).toMatch(/gs:\/\/ archive locations are not supported/);
  }, 120_000);

  it("the race test through the fault proxy (drops, 503 SlowDown, 500, delays, lost answers): 0 steps lost, data equal", async () => {
    const files = makeSeries(join(dir, "racefaults"), new Array(40).fill(1));
    const proxy = await startFaultProxy(moto.endpoint);
    proxy.plan = randomFaults({
      rate: 0.08,
      seed: 7,
      faults: [
        { kind: "drop" },
        { kind: "slowdown" },
        { kind: "internal" },
        { kind: "delay", ms: 300 },
        { kind: "lose-response" },
        // A body cut off comes back from the SDK as "aborted ... Deserialization error" with the
        // status it had read (a 404 too); S3Store retries it as the connection failure it is.
        { kind: "truncate" },
      ],
    });
    process.env.AWS_ENDPOINT_URL = proxy.endpoint; // the CLI processes go through the proxy
    try {
      const archive = url("racefaults/v2.zarr");
      await raceWriteRegion(files, archive, ["--chunking", "time:10", "--zarr-format", "2"]);
    } finally {
      process.env.AWS_ENDPOINT_URL = moto.endpoint;
    }
    const faults = proxy.log.filter((e) => e.fault !== undefined);
    await proxy.stop();
    expect(
      faults.filter((e) => e.fault === "lose-response" && e.conditional).length,
    ).toBeGreaterThan(0);
    const report = await validateArchive(url("racefaults/v2.zarr"));
    expect(report.missingSteps, JSON.stringify(report.missing)).toBe(0);
    expect(report.complete).toBe(true);
    const cmp = await compare(files, await download("racefaults/v2.zarr"), 2, true);
    expect(cmp.differences).toEqual([]);
  }, 300_000);

  it("a convert killed with SIGKILL mid-write leaves nothing that opens; re-running cleans up and completes", async () => {
    const [big] = makeSeries(join(dir, "kill"), [240], { nlat: 90, nlon: 180, format: "NETCDF4" });
    const prefix = "kill/big.zarr";
    const s = store(prefix);
    const args = ["convert", big, url(prefix), "--chunking", "time:2", "--zarr-format", "2"];
    const child = spawn(process.execPath, [cliBin, ...args], { stdio: "ignore" });
    const exit = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_c, sig) => r(sig)));
    const deadline = Date.now() + 60_000;
    while (!(await s.list("t2m/")).some((k) => /^t2m\/\d/.test(k))) {
      if (child.exitCode !== null || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    expect(await exit).toBe("SIGKILL");

    // Chunks are there, no metadata document is: nothing opens it as an archive.
    const keys = await s.list();
    expect(keys.some((k) => k.startsWith("t2m/"))).toBe(true);
    expect(
      keys.filter((k) => /(^|\/)(zarr\.json|\.zgroup|\.zarray|\.zattrs|\.zmetadata)$/.test(k)),
    ).toEqual([]);
    expect(keys).toContain(PARTIAL_MARKER_KEY);
    expect(await holdsFinishedArchive(s)).toBe(false);
    expect(await detectFormat(s)).toBeUndefined();
    const opened = await sidPython(
      ["-c", `import xarray as xr; xr.open_zarr(${JSON.stringify(await download(prefix))})`],
      { allowFailure: true },
    );
    expect(opened.code).not.toBe(0);
    const v = await cliProcess(["validate", url(prefix)]);
    expect(v.code).toBe(3);

    const again = await cliProcess([...args, "-v"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      /removed s3:\/\/\S+kill\/big\.zarr \(\d+ object\(s\) of an interrupted build\)/,
    );
    expect(await s.get(PARTIAL_MARKER_KEY)).toBeUndefined();
    const cmp = await compare([big], await download(prefix), 2);
    expect(cmp.differences).toEqual([]);
  }, 240_000);

  it("a convert stopped by SIGTERM (on worker threads) removes what it wrote", async () => {
    const [big] = makeSeries(join(dir, "term"), [600], { nlat: 90, nlon: 180, format: "NETCDF4" });
    const prefix = "term/big.zarr";
    const s = store(prefix);
    const child = spawn(
      process.execPath,
      [cliBin, "convert", big, url(prefix), "--chunking", "time:2", "--jobs", "2"],
      { stdio: "ignore" },
    );
    const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const deadline = Date.now() + 60_000;
    while (!(await s.list("t2m/")).some((k) => /^t2m\/c\//.test(k))) {
      if (child.exitCode !== null || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGTERM");
    expect(await exit).not.toBe(0);
    expect(await s.list()).toEqual([]);
  }, 120_000);

  it("staging: a live build is refused, a failed one removed, a bucket root refused", async () => {
    const location = url("stage/a.zarr");
    const staged = await stageArchive(location, false);
    await staged.store.set(
      "zarr.json",
      new TextEncoder().encode('{"zarr_format":3,"node_type":"group"}'),
    );
    await staged.store.set("x/c/0", new Uint8Array([1, 2, 3]));
    const s = store("stage/a.zarr");
    // Held back: the building process sees the document, the bucket does not.
    expect(await staged.store.get("zarr.json")).toBeDefined();
    expect((await staged.store.listDir("")).keys).toContain("zarr.json");
    expect(await s.get("zarr.json")).toBeUndefined();
    expect(await s.get("x/c/0")).toEqual(new Uint8Array([1, 2, 3]));
    await expect(stageArchive(location, false)).rejects.toThrow(
      /another zarrify \(pid \d+ on .*\) is building this archive/,
    );
    await staged.abort();
    expect(await s.list()).toEqual([]);

    const ok = await stageArchive(location, false);
    await ok.store.set(
      "zarr.json",
      new TextEncoder().encode('{"zarr_format":3,"node_type":"group"}'),
    );
    await ok.commit();
    expect(await s.list()).toEqual(["zarr.json"]);
    await expect(stageArchive(location, false)).rejects.toThrow(/output already exists/);

    await expect(stageArchive(`s3://${moto.bucket}`, false)).rejects.toThrow(ConfigError);
    await expect(stageArchive(`s3://${moto.bucket}`, false)).rejects.toThrow(/not a bucket's root/);
  }, 60_000);
});
