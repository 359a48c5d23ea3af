/**
 * The CI subset of the kill matrix (scripts/kill-matrix.ts runs all of it; docs/kill-matrix.md):
 * every verb SIGKILLed at seeded random moments, local archives and one verb's on moto's S3,
 * the queue's worker included. Any violation fails: an archive left by a kill that does not open
 * in xarray, a validate that lies about a step, a re-run that does not complete or differs from a
 * clean run, or anything left behind. ZARRIFY_KILL_SEED replays another set of moments.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Moto, motoSkipReason, skipMoto, startMoto } from "../helpers/moto.js";
import { tempDir } from "../helpers/paths.js";
import { redisSkipReason, skipRedis, startRedis, type TestRedis } from "../helpers/redis.js";
import { skipSid } from "../helpers/sid.js";
import { markdownTable, runMatrix, violations } from "./matrix.js";
import { allScenarios, type Env, writeInputs } from "./scenarios.js";

const KILLS: Record<string, number> = {
  "convert-local": 1,
  "convert-multi-local": 1,
  "create-template-local": 1,
  "write-region-local": 2,
  "append-local": 1,
  // One resumes at once, the other re-runs the command as it was first (scenarios.ts).
  "run-local": 2,
  "queue-local": 2,
  "write-region-s3": 2,
};

const skip = skipMoto || skipRedis || skipSid;
const why = skipMoto ? motoSkipReason : skipRedis ? redisSkipReason : "the sid chroot is not built";

describe.skipIf(skip)(`kill matrix, CI subset${skip ? ` (skipped: ${why})` : ""}`, () => {
  let moto: Moto;
  let redis: TestRedis;
  const work = tempDir("zarrify-kill-");
  beforeAll(async () => {
    [moto, redis] = await Promise.all([startMoto("kill-matrix"), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), moto?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it("every verb, SIGKILLed at random moments, leaves an archive that opens, validate tells the truth, a re-run completes it equal to a clean run, nothing stray", async () => {
    const env: Env = {
      work,
      baseEnv: { ...process.env, AWS_ENDPOINT_URL: moto.endpoint },
      moto: { endpoint: moto.endpoint, bucket: moto.bucket },
      redisUrl: redis.url,
    };
    writeInputs(env);
    const scenarios = allScenarios(true).filter((s) => KILLS[s.id]);
    const seed = Number(process.env.ZARRIFY_KILL_SEED ?? 1313);
    const results = await runMatrix({ env, scenarios, kills: KILLS, seed });
    const table = markdownTable(results);
    expect(violations(results), `seed ${seed}\n${table}`).toEqual([]);
    const kills = results.flatMap((r) => r.kills);
    expect(kills).toHaveLength(Object.values(KILLS).reduce((a, b) => a + b, 0));
    // The checks of a killed state ran: some kills landed mid-write and left an archive.
    expect(kills.filter((k) => k.archiveAfterKill && k.opens).length, table).toBeGreaterThan(0);
  }, 600_000);
});
