/** Queue URLs, ZARRIFY_QUEUE, names in Redis, and the finishing step started once per drain. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { ArchiveQueue } from "../../src/queue/archive-queue.js";
import { parseQueueUrl, probe, queueServer } from "../../src/queue/connection.js";
import { QueueError } from "../../src/queue/errors.js";
import { fileJobId, queueName } from "../../src/queue/names.js";
import { redisSkipReason, skipRedis, startRedis, type TestRedis } from "../helpers/redis.js";

describe("queue URLs", () => {
  it("parses host, port, database, credentials and TLS", () => {
    expect(parseQueueUrl("redis://127.0.0.1:6380/3").redis).toEqual({
      host: "127.0.0.1",
      port: 6380,
      db: 3,
    });
    expect(parseQueueUrl("redis://localhost").redis).toEqual({
      host: "localhost",
      port: 6379,
      db: 0,
    });
    const s = parseQueueUrl("rediss://me:s%40cret@redis.example:6379/1");
    expect(s.redis).toMatchObject({ username: "me", password: "s@cret", db: 1, tls: {} });
    expect(s.display).toBe("rediss://me:***@redis.example:6379/1");
  });

  it.each([
    ["http://127.0.0.1:6379/0", /not a Redis URL/],
    ["127.0.0.1:6379", /not a Redis URL|not a URL/],
    ["redis://127.0.0.1:6379/zero", /database 'zero' is not a number/],
    ["not a url", /not a URL/],
  ])("refuses %s with a ConfigError and a hint", (url, why) => {
    try {
      parseQueueUrl(url);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(why);
      expect((err as ConfigError).hint).toMatch(/redis:\/\/HOST:PORT\/DB/);
    }
  });

  it("takes ZARRIFY_QUEUE when --queue is not given, the flag first", () => {
    const env = { ZARRIFY_QUEUE: "redis://10.0.0.1:6379/2" };
    expect(queueServer(undefined, env).redis.db).toBe(2);
    expect(queueServer("redis://127.0.0.1/5", env).redis.db).toBe(5);
    expect(() => queueServer(undefined, {})).toThrow(/no queue given/);
  });

  it("names one queue per archive and one job per (archive, file)", () => {
    expect(queueName("/a/x.zarr")).toBe(queueName("/a/x.zarr"));
    expect(queueName("/a/x.zarr")).not.toBe(queueName("/a/y.zarr"));
    const id = fileJobId("/a/x.zarr", "/in/1.nc");
    expect(id).toMatch(/^f[0-9a-f]{32}$/);
    expect(fileJobId("/a/y.zarr", "/in/1.nc")).not.toBe(id);
  });

  it("an unreachable Redis is a QueueError naming it", async () => {
    const err = await probe(parseQueueUrl("redis://127.0.0.1:1/0")).catch((e) => e);
    expect(err).toBeInstanceOf(QueueError);
    expect(err.message).toBe(
      "cannot reach the queue's Redis at redis://127.0.0.1:1/0: connection refused",
    );
  });
});

describe.skipIf(skipRedis)(
  `the finishing step against real Redis${skipRedis ? ` (skipped: ${redisSkipReason})` : ""}`,
  () => {
    let redis: TestRedis;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it("is added once per generation however many workers see the queue drained at once", async () => {
      const server = parseQueueUrl(redis.db(1));
      const queues = Array.from({ length: 8 }, () => new ArchiveQueue(server, "/tmp/race.zarr"));
      try {
        await queues[0].bumpGeneration();
        const drained = await Promise.all(queues.map((q) => q.finishIfDrained()));
        expect(drained.every(Boolean)).toBe(true);
        expect((await queues[0].finish.getJobCounts("waiting")).waiting).toBe(1);
        // Again, same generation: still one.
        await Promise.all(queues.map((q) => q.finishIfDrained()));
        expect((await queues[0].finish.getJobCounts("waiting")).waiting).toBe(1);
        // A new generation (a submit that added files) gets its own.
        await queues[3].bumpGeneration();
        await Promise.all(queues.map((q) => q.finishIfDrained()));
        const jobs = await queues[0].finish.getWaiting();
        expect(jobs.map((j) => j.id).sort()).toEqual(["g1", "g2"]);
      } finally {
        await Promise.all(queues.map((q) => q.close()));
      }
    });
  },
);
