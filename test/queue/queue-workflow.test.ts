/**
 * The queue end to end against a real redis-server, as users run it: `queue submit`, then
 * `queue work` in separate OS processes (the built CLI), `queue status`, `queue retry-failed`.
 * Checked: re-submit adds nothing; several workers fill the archive completely and equal to the
 * inputs (xarray); the finishing step runs exactly once; a file of another grid ends in the
 * failed list with its reason and hint, a corrupt one after its retries, and retry-failed
 * re-queues them; a worker SIGKILLed mid-job has its job re-run by another; 60 one-step files
 * sharing chunks, 4 workers, one killed and replaced, lose no step.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateArchive } from "../../src/ops/validate.js";
import { cliBin, tempDir } from "../helpers/paths.js";
import { redisSkipReason, skipRedis, startRedis, type TestRedis } from "../helpers/redis.js";
import { compareConcat, makeSeries } from "../region/series.js";

const dir = tempDir("zarrify-queue-");

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [cliBin, ...args], {
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
  const done = new Promise<Run>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

const zq = (args: string[], env?: NodeJS.ProcessEnv) => start(["queue", ...args], env).done;

async function status(archive: string, url: string) {
  const r = await zq(["status", archive, "--queue", url, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const TEMPLATE = ["--global-start", "2020-01-01", "--freq", "1D", "--zarr-format", "2"];

describe.skipIf(skipRedis)(
  `queue workers on real Redis${skipRedis ? ` (skipped: ${redisSkipReason})` : ""}`,
  () => {
    let redis: TestRedis;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it("re-submit adds nothing; 3 workers fill 12 files completely; the finishing step runs once", async () => {
      const url = redis.db(1);
      const files = makeSeries(join(dir, "twelve"), new Array(12).fill(1), { nan: true });
      const archive = join(dir, "twelve.zarr");
      const submit = [
        "submit",
        join(dir, "twelve", "*.nc"),
        archive,
        ...TEMPLATE,
        "--global-end",
        "2020-01-12",
        "--chunking",
        "time:5",
        "--json",
      ];
      // ZARRIFY_QUEUE instead of --queue.
      const first = await zq(submit, { ZARRIFY_QUEUE: url });
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({
        added: 12,
        alreadyQueued: 0,
        templateCreated: true,
      });
      const again = await zq([...submit, "--queue", url]);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({
        added: 0,
        alreadyQueued: 12,
        templateCreated: false,
      });
      const text = await zq([...submit.slice(0, -1), "--queue", url]);
      expect(text.stdout).toMatch(
        /queued 0 new job\(s\) .* \(12 of 12 files were already queued\)/,
      );
      expect(await status(archive, url)).toMatchObject({
        waiting: 12,
        completed: 0,
        total: 12,
        done: false,
      });
      const meta = createHash("sha256")
        .update(readFileSync(join(archive, ".zmetadata")))
        .digest("hex");

      const workers = await Promise.all(
        [0, 1, 2].map(() => zq(["work", "--queue", url, "--exit-when-drained", "--json"])),
      );
      for (const w of workers) expect(w.code, w.stderr).toBe(0);
      const results = workers.map((w) => JSON.parse(w.stdout));
      expect(results.reduce((n, r) => n + r.completed, 0)).toBe(12);
      expect(results.reduce((n, r) => n + r.finished, 0)).toBe(1);

      const s = await status(archive, url);
      expect(s).toMatchObject({
        completed: 12,
        failed: 0,
        waiting: 0,
        active: 0,
        finishes: 1,
        done: true,
      });
      expect(s.finished).toMatchObject({
        complete: true,
        steps: 12,
        missingSteps: 0,
        current: true,
      });
      expect(s.filesPerSecond).toBeGreaterThan(0);
      const report = await validateArchive(archive);
      expect(report.complete).toBe(true);
      // write-region leaves the metadata as the template wrote it: nothing to refresh.
      expect(
        createHash("sha256")
          .update(readFileSync(join(archive, ".zmetadata")))
          .digest("hex"),
      ).toBe(meta);
      const cmp = compareConcat(files, archive);
      expect(cmp.differences).toEqual([]);
      expect(cmp.ok).toBe(true);
      const plain = await zq(["status", archive, "--queue", url]);
      expect(plain.stdout).toMatch(/12 of 12 files done, 0 failed/);
      expect(plain.stdout).toMatch(/validate: complete, 12 steps/);
    }, 240_000);

    it("a file of another grid and a corrupt file end in failed with their reasons; retry-failed re-queues them", async () => {
      const url = redis.db(2);
      makeSeries(join(dir, "mixed"), [2, 2]);
      const [shifted] = makeSeries(join(dir, "mixed"), [2], {
        start: "2020-01-05",
        latShift: 0.5,
        prefix: "shifted",
      });
      const corrupt = join(dir, "mixed", "corrupt_0000.nc");
      writeFileSync(corrupt, Buffer.alloc(4096, 7));
      const archive = join(dir, "mixed.zarr");
      const sub = await zq([
        "submit",
        join(dir, "mixed", "part_*.nc"),
        shifted,
        corrupt,
        archive,
        "--template",
        join(dir, "mixed", "part_0000.nc"),
        ...TEMPLATE,
        "--global-end",
        "2020-01-06",
        "--attempts",
        "2",
        "--backoff",
        "200",
        "--queue",
        url,
      ]);
      expect(sub.code, sub.stderr).toBe(0);
      const w = await zq([
        "work",
        archive,
        "--queue",
        url,
        "--exit-when-drained",
        "--concurrency",
        "2",
      ]);
      expect(w.code, w.stderr).toBe(0);
      expect(w.stderr).toMatch(/will retry/); // the corrupt file's first attempt
      const s = await status(archive, url);
      expect(s).toMatchObject({ completed: 2, failed: 2, waiting: 0, delayed: 0, finishes: 1 });
      const [bad, shiftedFail] = s.failures;
      expect(shiftedFail.file).toBe(shifted);
      expect(shiftedFail.reason).toMatch(/coordinate 'lat' differs/);
      expect(shiftedFail.kind).toBe("RegionError");
      expect(shiftedFail.attempts).toBe(1); // would fail again: not retried
      expect(bad.file).toBe(corrupt);
      expect(bad.kind).toBe("InputError");
      expect(bad.attempts).toBe(2);
      expect(bad.hint).toBeTruthy();
      expect(s.finished).toMatchObject({ complete: false, missingSteps: 2 });
      const text = await zq(["status", archive, "--queue", url]);
      expect(text.stdout).toContain(`failed: ${shifted}: `);
      expect(text.stdout).toMatch(
        /2 of 6 steps missing \(2020-01-05T00:00:00 \.\. 2020-01-06T00:00:00\)/,
      );

      // Fixed at the source: the same path now holds the right grid, the corrupt file removed.
      makeSeries(join(dir, "mixed"), [2], { start: "2020-01-05", prefix: "shifted" });
      writeFileSync(corrupt, readFileSync(join(dir, "mixed", "part_0000.nc")));
      const retry = await zq(["retry-failed", archive, "--queue", url, "--json"]);
      expect(retry.code, retry.stderr).toBe(0);
      expect(JSON.parse(retry.stdout)).toMatchObject({ retried: 2, files: [corrupt, shifted] });
      expect(await status(archive, url)).toMatchObject({ waiting: 2, failed: 0, done: false });
      const w2 = await zq(["work", "--queue", url, "--exit-when-drained"]);
      expect(w2.code, w2.stderr).toBe(0);
      const after = await status(archive, url);
      expect(after).toMatchObject({ completed: 4, failed: 0, finishes: 2, done: true });
      expect(after.finished).toMatchObject({ complete: true, steps: 6, generation: 2 });
      expect((await validateArchive(archive)).complete).toBe(true);
    }, 240_000);

    it("a worker SIGKILLed mid-job: its job is run again by another worker and the archive completes", async () => {
      const url = redis.db(3);
      const files = makeSeries(join(dir, "kill"), [60, 60, 60], { nlat: 90, nlon: 180 });
      const archive = join(dir, "kill.zarr");
      const sub = await zq([
        "submit",
        join(dir, "kill", "*.nc"),
        archive,
        ...TEMPLATE,
        "--global-end",
        "2020-06-28",
        "--chunking",
        "time:2",
        "--queue",
        url,
      ]);
      expect(sub.code, sub.stderr).toBe(0);
      const lock = ["--lock-duration", "2000"];
      const victim = start(["queue", "work", "--queue", url, ...lock]);
      // Kill it as soon as its first job has stored data chunks (the job is active, half done).
      const chunkDir = join(archive, "t2m");
      const deadline = Date.now() + 60_000;
      while (!readdirSync(chunkDir).some((n) => /^\d/.test(n))) {
        if (victim.child.exitCode !== null || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      victim.child.kill("SIGKILL");
      expect((await victim.done).signal).toBe("SIGKILL");
      const mid = await status(archive, url);
      expect(mid.completed).toBeLessThan(3);
      expect(mid.active).toBe(1); // still held by the dead worker's lock

      const others = await Promise.all(
        [0, 1].map(() => zq(["work", "--queue", url, ...lock, "--exit-when-drained", "-v"])),
      );
      for (const o of others) expect(o.code, o.stderr).toBe(0);
      expect(others.map((o) => o.stderr).join("\n")).toMatch(
        /stalled: its worker stopped; re-queued/,
      );
      const s = await status(archive, url);
      expect(s).toMatchObject({ completed: 3, failed: 0, active: 0, finishes: 1, done: true });
      expect(s.finished).toMatchObject({ complete: true, missingSteps: 0 });
      const report = await validateArchive(archive);
      expect(report.complete).toBe(true);
      expect(compareConcat(files, archive).differences).toEqual([]);
    }, 240_000);

    it("60 one-step files sharing 10-step chunks, 4 workers, one SIGKILLed mid-run and replaced: no step lost", async () => {
      const url = redis.db(4);
      const files = makeSeries(join(dir, "sixty"), new Array(60).fill(1));
      const archive = join(dir, "sixty.zarr");
      const sub = await zq([
        "submit",
        join(dir, "sixty", "*.nc"),
        archive,
        ...TEMPLATE,
        "--global-end",
        "2020-02-29",
        "--chunking",
        "time:10",
        "--queue",
        url,
      ]);
      expect(sub.code, sub.stderr).toBe(0);
      const lock = ["--lock-duration", "2000"];
      const work = () => start(["queue", "work", "--queue", url, ...lock, "--exit-when-drained"]);
      const [victim, ...rest] = [work(), work(), work(), work()];
      const deadline = Date.now() + 60_000;
      while ((await status(archive, url)).completed < 10 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      victim.child.kill("SIGKILL");
      expect((await victim.done).signal).toBe("SIGKILL");
      const replacement = work();
      for (const r of await Promise.all([...rest, replacement].map((w) => w.done))) {
        expect(r.code, r.stderr).toBe(0);
      }
      const s = await status(archive, url);
      expect(s).toMatchObject({ completed: 60, failed: 0, failures: [], finishes: 1, done: true });
      const report = await validateArchive(archive);
      expect(report.missingSteps, JSON.stringify(report.missing)).toBe(0);
      expect(report.variables.find((v) => v.name === "t2m")?.stepsWithoutData).toBe(0);
      expect(compareConcat(files, archive).differences).toEqual([]);
    }, 240_000);
  },
);
