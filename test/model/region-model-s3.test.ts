/**
 * The in-process model of region-model.test.ts on S3 (moto's server, test/helpers/moto.ts): the
 * archive at s3://bucket/<case>, every writer a FaultyStore in front of the S3Store, so the merge
 * is the server's compare-and-swap on ETags (If-Match / If-None-Match) and a put is one PUT.
 * Few cases (moto is a Python process on the same cores); ZARRIFY_MODEL_S3_RUNS for more.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store } from "../../src/zarr/store/s3.js";
import { type Moto, motoSkipReason, skipMoto, startMoto } from "../helpers/moto.js";
import { tempDir } from "../helpers/paths.js";
import {
  coordinates,
  differences,
  type Format,
  play,
  prepare,
  type Scenario,
  scenarioArb,
} from "./scenario.js";

const dir = tempDir("zarrify-model-s3-");
const RUNS = Number(process.env.ZARRIFY_MODEL_S3_RUNS) || 4;
const SEED = process.env.ZARRIFY_MODEL_SEED ? Number(process.env.ZARRIFY_MODEL_SEED) : undefined;
let moto: Moto;
const stores: S3Store[] = [];
let n = 0;

beforeAll(async () => {
  if (skipMoto) return;
  moto = await startMoto("zarrify-model");
  // createTemplate and validate open the archive by its s3:// location.
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
}, 120_000);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.destroy()));
  await moto?.stop();
  delete process.env.AWS_ENDPOINT_URL;
  rmSync(dir, { recursive: true, force: true });
});

async function check(s: Scenario, rerun: boolean): Promise<void> {
  const prefix = `case-${n++}`;
  const { archive, paths } = await prepare(join(dir, prefix), s, `s3://${moto.bucket}/${prefix}`);
  // One client for all writers of a case, as one process would have.
  const store = new S3Store({ ...moto.s3, prefix });
  stores.push(store);
  const before = await coordinates(store);
  const outcome = await play(s, archive, paths, rerun, { real: store });
  if (rerun) expect(outcome.complete.size).toBe(paths.length);
  expect(await differences(s, store, archive, before, outcome)).toEqual([]);
}

const skipNote = skipMoto ? ` (skipped: ${motoSkipReason})` : "";
describe.skipIf(skipMoto).each(["v2", "v3", "v3-sharded"] as Format[])(
  `region fill model on S3, %s${skipNote}`,
  (format) => {
    it("concurrent writers with delays and kills, re-run or left alone: the archive equals the model", async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb(format), fc.boolean(), (s, rerun) => check(s, rerun)),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    }, 600_000);
  },
);
