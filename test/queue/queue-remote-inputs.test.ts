/**
 * The queue with remote inputs: `queue submit` takes an s3:// pattern (the bucket is listed) and
 * queues one job per object URL; two `queue work` processes (the built CLI, against a real
 * redis-server and moto) write them into shared chunks of a local archive, each job reading its
 * object by ranges. The result equals `run` over the local copies of the same files, and a
 * re-submit adds nothing (the job ids are the URLs').
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store } from "../../src/zarr/store/s3.js";
import { type Moto, motoSkipReason, skipMoto, startMoto } from "../helpers/moto.js";
import { cliBin, tempDir } from "../helpers/paths.js";
import { redisSkipReason, skipRedis, startRedis, type TestRedis } from "../helpers/redis.js";
import { cliProcess, makeSeries, treeHashes } from "../region/series.js";

function zq(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [cliBin, "queue", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
}

const skip = skipRedis || skipMoto;
const why = skipRedis ? redisSkipReason : motoSkipReason;

describe.skipIf(skip)(`the queue with s3:// inputs${skip ? ` (skipped: ${why})` : ""}`, () => {
  let redis: TestRedis;
  let moto: Moto;
  let bucket: S3Store;
  const dir = tempDir("zarrify-queue-remote-");

  beforeAll(async () => {
    [redis, moto] = await Promise.all([startRedis(), startMoto("zarrify-queue-in")]);
    bucket = new S3Store({ ...moto.s3, verifyConditionalWrites: false });
  }, 90_000);
  afterAll(async () => {
    await bucket?.destroy();
    await Promise.all([redis?.stop(), moto?.stop()]);
  });

  it("2 workers write 12 objects of an s3:// pattern into shared chunks, as run does locally", async () => {
    const env = { AWS_ENDPOINT_URL: moto.endpoint };
    const files = makeSeries(join(dir, "in"), new Array(12).fill(1), { nan: true });
    for (const f of files) await bucket.set(`daily/${basename(f)}`, readFileSync(f));
    const archive = join(dir, "queue.zarr");
    const range = ["--global-start", "2020-01-01", "--global-end", "2020-01-12", "--freq", "1D"];
    const submit = [
      "submit",
      `s3://${moto.bucket}/daily/*.nc`,
      archive,
      ...range,
      "--chunking",
      "time:5",
      "--queue",
      redis.url,
      "--json",
    ];
    const first = await zq(submit, env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ added: 12, templateCreated: true });
    const again = await zq(submit, env);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, alreadyQueued: 12 });

    const workers = await Promise.all([
      zq(["work", archive, "--queue", redis.url, "--exit-when-drained", "--json"], env),
      zq(["work", archive, "--queue", redis.url, "--exit-when-drained", "--json"], env),
    ]);
    for (const w of workers) expect(w.code, w.stderr).toBe(0);
    const completed = workers.map((w) => JSON.parse(w.stdout).completed);
    expect(completed.reduce((a, b) => a + b)).toBe(12);

    const st = await zq(["status", archive, "--queue", redis.url, "--json"], env);
    expect(JSON.parse(st.stdout)).toMatchObject({ completed: 12, failed: 0, done: true });

    const local = join(dir, "run.zarr");
    const r = await cliProcess(["run", ...files, local, ...range, "--chunking", "time:5"]);
    expect(r.code, r.stderr).toBe(0);
    const skipOwn = (rel: string) => rel.startsWith(".zarrify");
    expect(treeHashes(archive, skipOwn)).toEqual(treeHashes(local, skipOwn));
  }, 240_000);
});
