#!/usr/bin/env node
// Archives on S3 against local disk, the same work in the same run: a convert of the 199 MB file
// of `npm run bench` and the region fill of `npm run bench:regions` (fewer files by default),
// each into a local directory and into s3:// on moto's server (the tests' server,
// test/helpers/moto_server.py, in the sid chroot, object-changing requests serialised as there),
// reached through a counting proxy of this script's own: requests per method and bytes both ways.
// moto is a Python process on the same 2 cores, so S3 numbers here measure moto as much as
// zarrify: they show what zarrify asks of a store (requests per MB), not what AWS would do.
//
//   npm run bench:s3 -- [--repeat N] [--files N] [--no-convert] [--no-fill]
//
// Writes bench/results-s3.md (overwritten) and prints it. Exit 1 when a command fails or an
// archive on S3 is not complete.
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { request as httpRequest, createServer as httpServer } from "node:http";
import { loadavg } from "node:os";
import path from "node:path";
import {
  CHUNKING,
  CLI,
  codecLimit,
  die,
  ensureInput,
  ensureSeries,
  fmtMB,
  freePort,
  HERE,
  MiB,
  machineLine,
  median,
  OUT,
  parseOptions,
  positiveInt,
  preflight,
  publish,
  ROOT,
  rawBytes,
  templateArgs,
  timedRun,
  versionLine,
  versions,
  workload,
} from "./lib.mjs";

const SID = path.join(ROOT, "scripts/sid-chroot.sh");
const MOTO = path.join(ROOT, "test/helpers/moto_server.py");
const BUCKET = "zarrify-bench";
const NT = 48;

const USAGE = `usage: npm run bench:s3 -- [options]
  --repeat N     runs per target (default 2); the median wall time is reported
  --files N      region-fill files (default 32; 4 steps of 721 x 1440 each)
  --no-convert   skip the convert
  --no-fill      skip the region fill
  -h, --help     this text`;

function parseArgs(argv) {
  return parseOptions(
    argv,
    USAGE,
    { repeat: 2, files: 32, convert: true, fill: true },
    {
      "--repeat": ["repeat", positiveInt],
      "--files": ["files", positiveInt],
      "--no-convert": ["convert", false],
      "--no-fill": ["fill", false],
    },
  );
}

async function startMoto() {
  const port = await freePort();
  const child = spawn(
    "bash",
    [SID, "run", "python3", MOTO, "-H", "127.0.0.1", "-p", String(port)],
    {
      detached: true,
      stdio: ["pipe", "ignore", "pipe"],
      cwd: ROOT,
      env: { ...process.env, ZARRIFY_MOTO_SERIALISE: "1" },
    },
  );
  let log = "";
  child.stderr.on("data", (d) => {
    log = (log + d).slice(-2000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) die(`moto exited before answering: ${log}`);
    const ok = await fetch(`${endpoint}/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) die(`moto did not answer on ${endpoint}: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // moto checks no signatures: a plain PUT makes the bucket.
  const made = await fetch(`${endpoint}/${BUCKET}`, { method: "PUT" });
  if (!made.ok) die(`moto did not create bucket ${BUCKET}: HTTP ${made.status}`);
  return {
    endpoint,
    stop: () => {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // gone already
      }
    },
  };
}

/** An HTTP proxy in front of moto counting what passes: requests per method, bytes up and down. */
async function countingProxy(target) {
  const counts = { requests: 0, byMethod: {}, bytesUp: 0, bytesDown: 0 };
  const { hostname, port: targetPort } = new URL(target);
  const server = httpServer((req, res) => {
    counts.requests++;
    counts.byMethod[req.method] = (counts.byMethod[req.method] ?? 0) + 1;
    const up = httpRequest(
      { host: hostname, port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.on("data", (d) => {
          counts.bytesDown += d.length;
        });
        r.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.on("data", (d) => {
      counts.bytesUp += d.length;
    });
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    reset() {
      counts.requests = 0;
      counts.byMethod = {};
      counts.bytesUp = 0;
      counts.bytesDown = 0;
    },
    stop: () => new Promise((r) => server.close(r)),
  };
}

/**
 * `zarrify validate OUT --json`, run without blocking: the counting proxy lives in this process's
 * event loop, so a synchronous child would wait on a proxy that cannot answer.
 */
function validateJson(env, out) {
  return new Promise((resolve) => {
    const child = spawn("env", [...env, process.execPath, CLI, "validate", out, "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => {
      if (code !== 0) die(`validate ${out} failed (exit ${code}): ${stderr.trim()}`);
      resolve(JSON.parse(stdout));
    });
  });
}

async function runCase(c, o, proxy, env) {
  const rows = [];
  for (const target of ["local", "s3"]) {
    const r = { target, runs: [], requests: [], up: [], down: [], methods: {} };
    for (let round = 1; round <= o.repeat; round++) {
      const out =
        target === "local"
          ? path.join(OUT, `s3bench-${c.name}.zarr`)
          : `s3://${BUCKET}/${c.name}-${Date.now()}-${round}.zarr`;
      proxy.reset();
      const m = await timedRun(
        r,
        `${c.name} ${target}`,
        round,
        ["env", ...env, ...c.cmd(out)],
        target === "local" ? out : path.join(OUT, ".none"),
        c.inputs,
      );
      if (!m) die(`${c.name} to ${target} failed: ${r.failed}`);
      r.runs.push(m);
      if (target === "s3") {
        r.requests.push(proxy.counts.requests);
        r.up.push(proxy.counts.bytesUp);
        r.down.push(proxy.counts.bytesDown);
        r.methods = { ...proxy.counts.byMethod };
        const v = await validateJson(env, out);
        if (!v.complete) die(`${out}: validate says the archive is not complete`);
        r.objects = Object.values(v.variables ?? []).reduce((n, x) => n + x.chunksPresent, 0);
      } else {
        const v = await validateJson(env, out);
        r.objects = Object.values(v.variables ?? []).reduce((n, x) => n + x.chunksPresent, 0);
      }
    }
    r.wall = median(r.runs.map((m) => m.wall));
    r.cpu = median(r.runs.map((m) => m.cpu));
    r.rss = Math.max(...r.runs.map((m) => m.rss));
    rows.push(r);
  }
  return rows;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  preflight();
  if (!existsSync(MOTO)) die(`${MOTO} is missing`);
  const info = versions();
  const moto = await startMoto();
  const proxy = await countingProxy(moto.endpoint);
  const env = [
    `AWS_ENDPOINT_URL=${proxy.endpoint}`,
    "AWS_S3_FORCE_PATH_STYLE=true",
    "AWS_ACCESS_KEY_ID=bench",
    "AWS_SECRET_ACCESS_KEY=bench",
    "AWS_REGION=us-east-1",
    "AWS_EC2_METADATA_DISABLED=true",
  ];
  const load0 = loadavg();
  const started = Date.now();
  const cases = [];
  try {
    if (o.convert) {
      const input = ensureInput(NT);
      cases.push({
        name: "convert",
        what: `convert of the ${fmtMB(rawBytes(NT))} MB file (${NT}×721×1440 float32, deflate), Zarr v2, chunks ${CHUNKING}`,
        mb: rawBytes(NT) / 1e6,
        inputs: [input],
        cmd: (out) => [
          process.execPath,
          CLI,
          "convert",
          input,
          out,
          "--zarr-format",
          "2",
          "--chunking",
          CHUNKING,
          "--no-progress",
        ],
        limit: codecLimit(input),
        rows: [],
      });
    }
    if (o.fill) {
      const w = workload(o.files, 4, 721, 1440, 4, [181, 360]);
      const { paths } = ensureSeries(w);
      cases.push({
        name: "fill",
        what: `region fill of ${w.files} files (4×721×1440 float32 each) by \`run --jobs 2\` into a Zarr v2 template, chunks ${w.chunking}`,
        mb: w.bytes / 1e6,
        inputs: paths,
        cmd: (out) => [
          process.execPath,
          CLI,
          "run",
          path.join(w.dir, "*.nc"),
          out,
          ...templateArgs(w),
          "--jobs",
          "2",
          "--no-progress",
        ],
        rows: [],
      });
    }
    for (const c of cases) c.rows = await runCase(c, o, proxy, env);
  } finally {
    await proxy.stop();
    moto.stop();
  }
  const load1 = loadavg();
  const lines = [
    "# zarrify archives on S3 (moto) against local disk",
    "",
    `${machineLine()}; load average at the start ${load0.map((x) => x.toFixed(2)).join(" ")}, at the end ${load1.map((x) => x.toFixed(2)).join(" ")}; the bench took ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    versionLine(info, "moto 5.2.4 (Debian sid, object-changing requests serialised)"),
    "",
    "moto runs on the same two cores as zarrify and is far slower than S3 itself, so the S3 column measures the pair; requests and bytes per MB are what zarrify asks of any S3 store. Every object goes in one PUT (zarr/store/s3.ts says why); a region fill's shared chunks are merged by conditional PUTs.",
    "",
    "| work | target | wall s (median) | MB/s | × local | CPU s | peak RSS MiB | chunk objects | requests | requests per MB | GET / PUT / HEAD / other | MB up | MB down |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const c of cases) {
    const local = c.rows.find((r) => r.target === "local");
    for (const r of c.rows) {
      const req = r.target === "s3" ? median(r.requests) : undefined;
      const m = r.methods;
      const other = Object.entries(m)
        .filter(([k]) => !["GET", "PUT", "HEAD"].includes(k))
        .reduce((n, [, v]) => n + v, 0);
      lines.push(
        `| ${c.name} | ${r.target} | ${r.wall.toFixed(2)} | ${(c.mb / r.wall).toFixed(0)} | ${(r.wall / local.wall).toFixed(2)}× | ${r.cpu.toFixed(1)} | ${(r.rss / MiB).toFixed(0)} | ${r.objects} | ${req ?? "–"} | ${req === undefined ? "–" : (req / c.mb).toFixed(2)} | ${r.target === "s3" ? `${m.GET ?? 0} / ${m.PUT ?? 0} / ${m.HEAD ?? 0} / ${other}` : "–"} | ${r.target === "s3" ? (median(r.up) / 1e6).toFixed(0) : "–"} | ${r.target === "s3" ? (median(r.down) / 1e6).toFixed(0) : "–"} |`,
      );
    }
    if (c.limit && !c.limit.failed) {
      lines.push(
        `| ${c.name} | codec limit (native inflate + c-blosc, all cores) | ${c.limit.limit_s.toFixed(2)} | ${(c.mb / c.limit.limit_s).toFixed(0)} | | | | | | | | | |`,
      );
    }
  }
  lines.push("");
  for (const c of cases) {
    lines.push(
      `- **${c.name}**: ${c.what}; runs: ${c.rows.map((r) => `${r.target} ${r.runs.map((m) => m.wall.toFixed(2)).join(", ")} s`).join("; ")}. The S3 archives were validated complete.`,
    );
  }
  lines.push(
    "",
    `Command: \`npm run bench:s3 -- ${process.argv.slice(2).join(" ")}\` (${path.relative(ROOT, path.join(HERE, "s3.mjs"))}).`,
  );
  publish("results-s3.md", `${lines.join("\n")}\n`);
  rmSync(path.join(OUT, "s3bench-convert.zarr"), { recursive: true, force: true });
  rmSync(path.join(OUT, "s3bench-fill.zarr"), { recursive: true, force: true });
}

await main();
