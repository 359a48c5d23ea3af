/**
 * The kill matrix of issue 13 (test/kill/matrix.ts has what is killed and checked):
 *
 *   npx tsx scripts/kill-matrix.ts [--kills N] [--seed S] [--s3] [--verbs a,b] [--keep] [--json FILE]
 *
 * --kills N    kills in all (default 56), spread evenly over the scenarios
 * --seed S     seed of the kill moments (default 13)
 * --s3         also every verb with its archive on moto's S3 (the sid chroot's moto, serialised)
 * --verbs a,b  only these scenarios: convert, convert-multi, create-template, write-region,
 *              append, run, queue (each local, and on S3 with --s3)
 * --keep       keep the work directory (every attempt's state, final archive and TMPDIR)
 * --json FILE  also write the results as JSON (default: kill-matrix-results.json in the work dir)
 *
 * Needs the built CLI (npm run build), Debian's python3-xarray for v2, the sid chroot for v3,
 * redis-server for the queue. Prints a markdown table and exits 1 on any violation.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startMoto } from "../test/helpers/moto.js";
import { tempDir } from "../test/helpers/paths.js";
import { startRedis } from "../test/helpers/redis.js";
import { markdownTable, runMatrix, violations } from "../test/kill/matrix.js";
import { allScenarios, type Env, writeInputs } from "../test/kill/scenarios.js";

const { values } = parseArgs({
  options: {
    kills: { type: "string", default: "56" },
    seed: { type: "string", default: "13" },
    s3: { type: "boolean", default: false },
    verbs: { type: "string" },
    keep: { type: "boolean", default: false },
    json: { type: "string" },
  },
});
const kills = Number(values.kills);
const seed = Number(values.seed);
const wanted = values.verbs?.split(",").map((v) => v.trim());
const scenarios = allScenarios(values.s3 ?? false).filter(
  (s) => !wanted || wanted.some((w) => s.id === w || s.id.replace(/-(local|s3)$/, "") === w),
);
if (scenarios.length === 0) {
  console.error(`no scenario matches --verbs ${values.verbs}`);
  process.exit(2);
}
const per: Record<string, number> = {};
scenarios.forEach((s, i) => {
  per[s.id] = Math.floor(kills / scenarios.length) + (i < kills % scenarios.length ? 1 : 0);
});

const work = tempDir("zarrify-kill-matrix-");
const started = new Date();
const t0 = performance.now();
const moto = scenarios.some((s) => s.store === "s3") ? await startMoto("kill-matrix") : undefined;
const redis = scenarios.some((s) => s.verb === "queue work") ? await startRedis() : undefined;
try {
  const env: Env = {
    work,
    baseEnv: {
      ...process.env,
      ...(moto ? { AWS_ENDPOINT_URL: moto.endpoint } : {}),
    },
    moto: moto ? { endpoint: moto.endpoint, bucket: moto.bucket } : undefined,
    redisUrl: redis?.url,
  };
  writeInputs(env);
  const log = (line: string) =>
    console.error(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${line}`);
  const results = await runMatrix({ env, scenarios, kills: per, seed, log, keep: values.keep });
  const seconds = (performance.now() - t0) / 1000;
  const bad = violations(results);
  const total = results.reduce((n, r) => n + r.kills.length, 0);
  const cmd = `npx tsx scripts/kill-matrix.ts ${process.argv.slice(2).join(" ")}`.trim();
  console.log(
    `Kill matrix, ${started.toISOString()}, seed ${seed}, ${total} kills, ${seconds.toFixed(0)} s: \`${cmd}\`\n`,
  );
  console.log(markdownTable(results));
  console.log(
    bad.length
      ? `\n${bad.length} violation(s):\n${bad.map((b) => `- ${b}`).join("\n")}`
      : "\nno violations",
  );
  const jsonFile = values.json ?? join(work, "kill-matrix-results.json");
  writeFileSync(
    jsonFile,
    JSON.stringify(
      { started: started.toISOString(), seed, command: cmd, seconds, results },
      null,
      2,
    ),
  );
  console.error(`results: ${jsonFile}`);
  process.exitCode = bad.length ? 1 : 0;
} finally {
  await redis?.stop();
  await moto?.stop();
  if (!values.keep) rmSync(join(work, "inputs"), { recursive: true, force: true });
}
