/**
 * The queue filling an s3:// archive: `queue submit` creates the template in the bucket, two
 * `queue work` processes (the built CLI, against a real redis-server and moto's S3 server) write
 * one-step files into 5-step chunks, so every chunk is shared by files that the two workers write
 * at the same time and is merged on S3 by ETag compare-and-swap. Checked: re-submit adds nothing
 * (the template is found on S3), the finishing validate ran once and found the archive complete,
 * zarrify's validate agrees, and xarray reads the archive (copied down) equal to the inputs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateArchive } from "../../src/ops/validate.js";
import { S3Store } from "../../src/zarr/store/s3.js";
import {
  downloadArchive,
  type Moto,
  motoSkipReason,
  skipMoto,
  startMoto,
} from "../helpers/moto.js";
import { cliBin, tempDir } from "../helpers/paths.js";
import { redisSkipReason, skipRedis, startRedis, type TestRedis } from "../helpers/redis.js";
import { compareConcat, makeSeries } from "../region/series.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function zq(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [cliBin, "queue", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const done = new Promise<Run>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const skip = skipRedis || skipMoto;
const why = skipRedis ? redisSkipReason : motoSkipReason;

describe.skipIf(skip)(`the queue on an s3:// archive${skip ? ` (skipped: ${why})` : ""}`, () => {
  let redis: TestRedis;
  let moto: Moto;
  const dir = tempDir("zarrify-queue-s3-");
  const stores: S3Store[] = [];

  beforeAll(async () => {
    [redis, moto] = await Promise.all([startRedis(), startMoto("zarrify-queue")]);
    // The CLI processes inherit these (startMoto set dummy credentials already).
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    process.env.AWS_S3_FORCE_PATH_STYLE = "true";
  }, 90_000);
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.destroy()));
    await Promise.all([redis?.stop(), moto?.stop()]);
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_S3_FORCE_PATH_STYLE;
  });

  it("2 workers fill 20 one-step files into shared 5-step chunks: complete, validated once, equal to the inputs", async () => {
    const url = redis.url;
    const files = makeSeries(join(dir, "in"), new Array(20).fill(1), { nan: true });
    const archive = `s3://${moto.bucket}/queue/era.zarr`;
    const submit = [
      "submit",
      join(dir, "in", "*.nc"),
      // A trailing slash names the same archive, and the same queue.
      `${archive}/`,
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-20",
      "--freq",
      "1D",
      "--zarr-format",
      "2",
      "--chunking",
      "time:5",
      "--queue",
      url,
      "--json",
    ];
    const first = await zq(submit).done;
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      archive,
      added: 20,
      templateCreated: true,
    });
    const again = await zq(submit.map((a) => (a === `${archive}/` ? archive : a))).done;
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      added: 0,
      alreadyQueued: 20,
      templateCreated: false,
    });

    // One worker serves the named archive (which must exist on S3), the other every archive.
    const workers = await Promise.all([
      zq(["work", archive, "--queue", url, "--exit-when-drained", "--json"]).done,
      zq(["work", "--queue", url, "--exit-when-drained", "--json"]).done,
    ]);
    for (const w of workers) expect(w.code, w.stderr).toBe(0);
    const results = workers.map((w) => JSON.parse(w.stdout));
    for (const r of results) expect(r.archives).toEqual([archive]);
    expect(results.map((r) => r.completed).reduce((a, b) => a + b)).toBe(20);
    expect(results.map((r) => r.completed).every((n) => n > 0)).toBe(true);
    expect(results.map((r) => r.finished).reduce((a, b) => a + b)).toBe(1);

    const st = await zq(["status", archive, "--queue", url, "--json"]).done;
    expect(st.code, st.stderr).toBe(0);
    const s = JSON.parse(st.stdout);
    expect(s).toMatchObject({ completed: 20, failed: 0, failures: [], finishes: 1, done: true });
    expect(s.finished).toMatchObject({ complete: true, steps: 20, missingSteps: 0 });

    const report = await validateArchive(archive);
    expect(report.complete).toBe(true);
    expect(report.variables.find((v) => v.name === "t2m")?.stepsWithoutData).toBe(0);
    const store = new S3Store({ ...moto.s3, prefix: "queue/era.zarr" });
    stores.push(store);
    // Chunks went to the bucket, not to a local directory named after the URL.
    expect((await store.list("t2m/")).filter((k) => /^t2m\/\d/.test(k)).length).toBe(4);
    const local = await downloadArchive(store, join(dir, "down"));
    const cmp = compareConcat(files, local);
    expect(cmp.differences).toEqual([]);
    expect(cmp.ok).toBe(true);
  }, 240_000);

  it("queue work for an s3:// archive that is not there: one error line, before serving", async () => {
    const w = await zq([
      "work",
      `s3://${moto.bucket}/queue/none.zarr`,
      "--queue",
      redis.url,
      "--exit-when-drained",
    ]).done;
    expect(w.code).toBe(4);
    expect(w.stderr).toMatch(/error: s3:\/\/zarrify-queue\/queue\/none\.zarr: no archive here/);
  }, 60_000);
});
