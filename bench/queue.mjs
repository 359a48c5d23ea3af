#!/usr/bin/env node
// The queue against `run` on one machine, the same files: the 64-file region fill of
// regions.mjs (64 NetCDF-4 files of 4×721×1440 float32 into a Zarr v2 template, chunks aligned
// with the files) written by
//   - `zarrify run FILES OUT --jobs 2` (one process, 2 worker threads, all files planned together),
//     and `zarrify validate OUT` after it, timed apart;
//   - the queue with 2 workers: `queue submit FILES OUT` (template + 64 jobs), then 2 `queue work
//     OUT --concurrency 1 --exit-when-drained` processes, timed together until both have exited
//     (which is after the finishing validate the queue always runs);
//   - the queue with 1 worker of `--concurrency 2`, for comparison.
// The two-process form is the goal's: a queue's workers are separate processes (machines), each
// writing one file at a time on one thread, and `run --jobs 2` writes on two threads too. A
// redis-server of its own (Debian's, a free port, nothing saved) serves the queue and is emptied
// before every queue run.
//
// Goal (issue 12): the queue's overhead ≤ 10 %: its wall ≤ 1.1× that of `run --jobs 2` +
// `validate`, the same work (the queue validates at the end, run does not). Also shown as a
// goal, the stricter one: the queue until its last file was written (from the timestamps the
// run prints and the finishing step records) ≤ 1.1× `run --jobs 2` alone.
//
//   npm run bench:queue -- [--repeat N] [--files N] [--steps N] [--nlat N] [--nlon N] [--no-goals]
//
// Writes bench/results-queue.md (overwritten) and prints it. Exit 1 when a command fails, a
// verification fails, or (unless --no-goals) a goal is missed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  CLI,
  checklist,
  compareXarray,
  die,
  ensureSeries,
  fmtMB,
  fmtRss,
  freePort,
  MiB,
  machineLine,
  measure,
  median,
  OUT,
  parallelCeiling,
  parseOptions,
  positiveInt,
  preflight,
  publish,
  ROOT,
  rssFootnote,
  SERIES_START,
  summarize,
  templateArgs,
  timedRun,
  verifyEncoding,
  versionLine,
  versions,
  workload,
} from "./lib.mjs";

const GOAL_OVERHEAD = 1.1;
const NOISY_CORES = 0.25;
const REDIS_SERVER = "/usr/bin/redis-server";

const USAGE = `usage: npm run bench:queue -- [options]
  --repeat N        rounds (default 3); each runs every configuration once, medians reported
  --files N         input files (default 64)
  --steps N         time steps per file = the time chunk (default 4)
  --nlat N --nlon N grid (default 721 x 1440); spatial chunks 181 x 360
  --no-goals        report goals as PASS/MISS but exit 0 when only a goal is missed
  -h, --help        this text`;

function parseArgs(argv) {
  const o = parseOptions(
    argv,
    USAGE,
    { repeat: 3, files: 64, steps: 4, nlat: 721, nlon: 1440, goals: true },
    {
      "--repeat": ["repeat", positiveInt],
      "--files": ["files", positiveInt],
      "--steps": ["steps", positiveInt],
      "--nlat": ["nlat", positiveInt],
      "--nlon": ["nlon", positiveInt],
      "--no-goals": ["goals", false],
    },
  );
  if (24 % o.steps !== 0) die("--steps must divide 24 (a file holds one day)");
  return o;
}

// ---------------------------------------------------------------- redis

/** One inline command to the server; resolves with the first reply line. */
function redisCommand(port, command) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve("");
    });
    socket.on("error", () => resolve(""));
    socket.on("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (d) => {
      answer += d;
      if (answer.includes("\r\n")) {
        socket.end();
        resolve(answer.split("\r\n")[0]);
      }
    });
  });
}

async function startRedis() {
  if (!existsSync(REDIS_SERVER)) die(`${REDIS_SERVER} is missing: apt-get install redis-server`);
  const dir = mkdtempSync(path.join(tmpdir(), "zarrify-bench-redis-"));
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const deadline = Date.now() + 10_000;
  while ((await redisCommand(port, "PING")) !== "+PONG") {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      die(`redis-server did not start on port ${port}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const version = spawnSync(REDIS_SERVER, ["--version"], { encoding: "utf8" }).stdout.trim();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    version: /v=(\S+)/.exec(version)?.[1] ?? version,
    async flush() {
      if ((await redisCommand(port, "FLUSHALL")) !== "+OK") die("redis FLUSHALL failed");
    },
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- commands

const shq = (a) => `'${String(a).replaceAll("'", "'\\''")}'`;

function runCmd(w, inputs, output) {
  return [
    process.execPath,
    CLI,
    "run",
    ...inputs,
    output,
    ...templateArgs(w),
    "--jobs",
    "2",
    "--no-progress",
  ];
}

const validateCmd = (output) => [process.execPath, CLI, "validate", output, "--json"];

/**
 * submit, then `workers` worker processes of `concurrency` started at once, as one shell
 * command; it prints a timestamp line at its start, after the submit and at the end.
 */
function queueCmd(w, inputs, output, url, workers, concurrency) {
  const zq = (args) => [process.execPath, CLI, "queue", ...args].map(shq).join(" ");
  const submit = zq(["submit", ...inputs, output, ...templateArgs(w), "--queue", url, "--json"]);
  const work = zq([
    "work",
    output,
    "--queue",
    url,
    "--concurrency",
    String(concurrency),
    "--exit-when-drained",
    "--json",
  ]);
  const mark = (what) => `echo "bench-mark ${what} $(date +%s.%N)"`;
  const lines = ["set -e", mark("start"), submit, mark("submitted")];
  for (let i = 0; i < workers; i++) lines.push(`${work} & p${i}=$!`);
  for (let i = 0; i < workers; i++) lines.push(`wait $p${i}`);
  lines.push(mark("done"));
  return ["/bin/sh", "-c", lines.join("\n")];
}

function marks(stdout) {
  const out = {};
  for (const m of stdout.matchAll(/^bench-mark (\w+) ([\d.]+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

function queueStatus(output, url) {
  const r = spawnSync(
    process.execPath,
    [CLI, "queue", "status", output, "--queue", url, "--json"],
    { encoding: "utf8" },
  );
  if (r.status !== 0) return { problem: `queue status exited ${r.status}: ${r.stderr.trim()}` };
  return JSON.parse(r.stdout);
}

function chunkFiles(archive, name) {
  const dir = path.join(archive, name);
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).filter((f) => !f.startsWith(".")).length;
}

// ---------------------------------------------------------------- checks of one run

function checkRun(m, w) {
  const s =
    /(\d+) of (\d+) files written \((\d+) steps\), (\d+) skipped, (\d+) failed in ([\d.]+) s/.exec(
      m.stdout,
    );
  if (!s) return `no summary line: ${m.stdout.trim().slice(-200)}`;
  const [written, , steps, , failed] = s.slice(1).map(Number);
  if (written !== w.files || failed !== 0 || steps !== w.nt)
    return `${written} files, ${steps} steps written, ${failed} failed`;
  return undefined;
}

function checkValidate(m, w) {
  try {
    const j = JSON.parse(m.stdout);
    if (!j.complete || j.steps !== w.nt)
      return `validate: complete ${j.complete}, ${j.steps} steps`;
  } catch {
    return `validate printed no JSON: ${m.stdout.slice(-200)}`;
  }
  return undefined;
}

/** When the first file job started and the last one ended, from BullMQ's records in Redis. */
async function jobTimes(output, url) {
  const { Queue } = await import("bullmq");
  const names = await import(
    pathToFileURL(path.join(path.dirname(CLI), "..", "queue", "names.js")).href
  );
  const { hostname, port } = new URL(url);
  const q = new Queue(names.queueName(path.resolve(output)), {
    connection: { host: hostname, port: Number(port) },
    prefix: names.PREFIX,
  });
  try {
    const jobs = await q.getCompleted(0, -1);
    return {
      firstStart: Math.min(...jobs.map((j) => j.processedOn)) / 1000,
      lastEnd: Math.max(...jobs.map((j) => j.finishedOn)) / 1000,
    };
  } finally {
    await q.close();
  }
}

/** The queue's own account of the run, and where its time went. */
async function checkQueue(m, w, output, url) {
  const s = queueStatus(output, url);
  if (s.problem) return { problem: s.problem };
  const f = s.finished;
  if (s.completed !== w.files || s.failed !== 0 || s.finishes !== 1 || !f?.complete)
    return {
      problem: `status: ${s.completed} completed, ${s.failed} failed, ${s.finishes} finishing steps, complete ${f?.complete}`,
    };
  const t = marks(m.stdout);
  const jobs = await jobTimes(output, url);
  const finishedAt = Date.parse(f.finishedAt) / 1000;
  const validateStart = finishedAt - f.seconds;
  return {
    phases: {
      submit: t.submitted - t.start,
      startup: jobs.firstStart - t.submitted,
      writes: jobs.lastEnd - jobs.firstStart,
      handoff: validateStart - jobs.lastEnd,
      validate: f.seconds,
      exit: t.done - finishedAt,
    },
    written: jobs.lastEnd - t.start,
  };
}

// ---------------------------------------------------------------- the runs

const PHASES = ["submit", "startup", "writes", "handoff", "validate", "exit"];

const CONFIGS = [
  { key: "run", label: "`run --jobs 2`" },
  { key: "validate", label: "`validate` of run's archive" },
  { key: "q2x1", label: "queue: 2 workers × `--concurrency 1`", workers: 2, concurrency: 1 },
  { key: "q1x2", label: "queue: 1 worker × `--concurrency 2`", workers: 1, concurrency: 2 },
];

async function runAll(opts, redis) {
  const w = workload(opts.files, opts.steps, opts.nlat, opts.nlon, opts.steps, [181, 360]);
  const { paths: inputs, diskBytes } = ensureSeries(w, SERIES_START);
  const configs = CONFIGS.map((c) => ({
    ...c,
    runs: [],
    failed: null,
    output: path.join(OUT, `queue-${c.key === "validate" ? "run" : c.key}.zarr`),
  }));
  const [run, validate, ...queues] = configs;
  const ceilings = [];
  for (let i = 0; i < opts.repeat; i++) {
    const round = `${i + 1}/${opts.repeat}`;
    const ceiling = await parallelCeiling();
    if (ceiling !== undefined) ceilings.push(ceiling);
    console.error(`bench: round ${round}: 2-process ceiling ${fmtX(ceiling)}`);
    if (!run.failed) {
      const m = await timedRun(
        run,
        "run --jobs 2",
        round,
        runCmd(w, inputs, run.output),
        run.output,
        inputs,
      );
      const problem = m && (checkRun(m, w) ?? chunkProblem(run.output, w));
      if (problem) run.failed = `run ${i + 1}: ${problem}`;
      else if (m) {
        run.runs.push(m);
        log(m);
        // validate reads the archive run just wrote; timedRun would delete it first.
        console.error(`bench: validate run ${round}...`);
        const v = await measure(validateCmd(run.output));
        const vProblem = v.ok ? checkValidate(v, w) : `exit ${v.code}: ${v.stderr.trim()}`;
        if (vProblem) validate.failed = `run ${i + 1}: ${vProblem}`;
        else {
          validate.runs.push(v);
          log(v);
        }
      }
    }
    for (const q of queues) {
      if (q.failed) continue;
      await redis.flush();
      const cmd = queueCmd(w, inputs, q.output, redis.url, q.workers, q.concurrency);
      const m = await timedRun(q, q.label.replaceAll("`", ""), round, cmd, q.output, inputs);
      if (!m) continue;
      const r = await checkQueue(m, w, q.output, redis.url);
      const problem = r.problem ?? chunkProblem(q.output, w);
      if (problem) {
        q.failed = `run ${i + 1}: ${problem}`;
        console.error(`bench: ${q.key} wrong: ${q.failed}`);
        continue;
      }
      m.phases = r.phases;
      m.written = r.written;
      q.runs.push(m);
      log(m, r.phases);
    }
  }
  for (const c of configs) {
    if (c.failed || !c.runs.length) continue;
    summarize(c);
    if (c.key === "validate") continue;
    console.error(`bench: verifying ${c.key} against the inputs...`);
    c.verify = compareXarray(inputs, c.output, "--concat-dim", "time");
    c.encodingProblems = verifyEncoding(c.output, w.chunks);
  }
  for (const q of queues) {
    if (!q.runs.length) continue;
    q.written = median(q.runs.map((m) => m.written));
    q.phases = Object.fromEntries(
      Object.keys(q.runs[0].phases).map((k) => [k, median(q.runs.map((m) => m.phases[k]))]),
    );
  }
  return { w, inputs, diskBytes, configs, ceilings };
}

function chunkProblem(output, w) {
  const n = chunkFiles(output, "t2m");
  return n === w.expectedChunkFiles ? undefined : `${n} of ${w.expectedChunkFiles} t2m chunks`;
}

function log(m, phases) {
  const p = phases
    ? ` (${Object.entries(phases)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(", ")})`
    : "";
  console.error(
    `bench:   ${m.wall.toFixed(2)} s${p}, CPU ${m.cpu.toFixed(1)} s, ${(m.rss / MiB).toFixed(0)} MiB, others ${m.others.toFixed(2)} cores`,
  );
}

// ---------------------------------------------------------------- report

const fmtX = (x) => (x === undefined || Number.isNaN(x) ? "?" : `${x.toFixed(2)}×`);

function report(res, info, redis) {
  const { w, configs } = res;
  const get = (key) => configs.find((c) => c.key === key && !c.failed && c.wall !== undefined);
  const [run, validate, q2, q1] = ["run", "validate", "q2x1", "q1x2"].map(get);
  const lines = [];
  const { check, goal, finish } = checklist();
  lines.push("# zarrify queue benchmark");
  lines.push("");
  lines.push(
    `${machineLine()}; load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; the bench took ${info.seconds.toFixed(0)} s.`,
  );
  lines.push(versionLine(info, `redis-server ${redis.version} (Debian)`));
  lines.push("");
  lines.push(
    `Task: fill a Zarr v2 template from ${w.files} NetCDF-4 files (\`bench/make_series.py\`, the region fill of \`bench:regions\`), each ${w.steps} step(s) of float32 \`t2m(time, lat=${w.nlat}, lon=${w.nlon})\` every ${w.stepHours} h (${fmtMB(w.bytes / w.files)} MB per file uncompressed, ${fmtMB(res.diskBytes / w.files)} MB on disk), ${w.nt} steps ${SERIES_START} .. ${w.end}; archive chunks ${w.chunks.join("×")}, Blosc zstd 3 + byte shuffle. Template options for both: \`${templateArgs(w).join(" ")}\`.`,
  );
  lines.push(
    `\`run FILES OUT --jobs 2\`: template, then all files planned together on 2 worker threads of one process. \`validate OUT --json\` after it, timed apart. The queue: \`queue submit FILES OUT\` (creates the template, queues ${w.files} jobs) and then the workers \`queue work OUT --concurrency C --exit-when-drained\`, all started at once, timed as one shell command until every worker has exited, which is after the queue's finishing step (a \`validate\` of the archive on one worker). A redis-server of the bench's own on 127.0.0.1 (nothing saved), emptied before each queue run. The goal's configuration is 2 worker processes of concurrency 1 (workers are separate processes, as on separate machines; 2 threads write, as in \`run --jobs 2\`).`,
  );
  lines.push(
    "Wall time, CPU time (user + sys, children included) and peak RSS from GNU `time` around each whole command, inputs in the page cache, medians over the rounds (RSS the maximum). *others* = CPU cores busy with other processes during the run (this machine is shared).",
  );
  lines.push("");
  lines.push(
    "| configuration | wall s (median) | files/s | MB/s | peak RSS MiB | CPU s | others (cores) |",
  );
  lines.push("|---|---|---|---|---|---|---|");
  for (const c of configs) {
    if (c.failed || c.wall === undefined) {
      lines.push(`| ${c.label} | failed | | | | | |`);
      continue;
    }
    const rate = c.key === "validate" ? "" : (w.files / c.wall).toFixed(1);
    const mbs = (w.bytes / 1e6 / c.wall).toFixed(0);
    lines.push(
      `| ${c.label} | ${c.wall.toFixed(2)} | ${rate} | ${mbs} | ${fmtRss(c)} | ${c.cpu.toFixed(1)} | ${c.others.toFixed(2)} |`,
    );
  }
  if (run && validate) {
    const sum = run.wall + validate.wall;
    lines.push(
      `| \`run --jobs 2\` + \`validate\` | ${sum.toFixed(2)} | ${(w.files / sum).toFixed(1)} | ${(w.bytes / 1e6 / sum).toFixed(0)} | | ${(run.cpu + validate.cpu).toFixed(1)} | |`,
    );
  }
  if (configs.some((c) => c.rssFromTree)) rssFootnote(lines, "the processes of the command");
  lines.push("");
  lines.push(
    "Where the queue's time goes (medians, s; from the timestamps the command prints, BullMQ's job records and the finishing step's summary):",
  );
  lines.push("");
  lines.push(
    "| configuration | submit (template + jobs) | workers start → first job | first job → last file written | → finishing validate starts | finishing validate | → workers exited | until the last file written |",
  );
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const q of [q2, q1]) {
    if (!q) continue;
    const cells = PHASES.map((k) => q.phases[k].toFixed(2)).join(" | ");
    lines.push(`| ${q.label} | ${cells} | ${q.written.toFixed(2)} |`);
  }
  lines.push("");
  const same = run && validate && q2 ? q2.wall / (run.wall + validate.wall) : undefined;
  const writes = run && q2 ? q2.written / run.wall : undefined;
  if (same !== undefined)
    lines.push(`- queue (2 × 1) ÷ (run + validate): ${fmtX(same)} — the same work`);
  if (writes !== undefined)
    lines.push(`- queue (2 × 1) until its last file was written ÷ run: ${fmtX(writes)}`);
  if (run && q2) lines.push(`- queue (2 × 1), all of it, ÷ run alone: ${fmtX(q2.wall / run.wall)}`);
  if (q1 && q2) lines.push(`- queue 1 × 2 ÷ queue 2 × 1: ${fmtX(q1.wall / q2.wall)}`);
  lines.push(
    `- what 2 processes could get from this machine (a CPU-bound loop, 2 copies vs 1, before each round): ${res.ceilings.map(fmtX).join(", ") || "?"} (2.00× on two idle cores)`,
  );
  const all = configs.flatMap((c) => c.runs);
  const busy = all.filter((m) => m.others > NOISY_CORES);
  if (busy.length) {
    lines.push(
      `- **noisy:** in ${busy.length} of ${all.length} runs other processes kept more than ${NOISY_CORES} of the 2 cores busy (see *Runs*)`,
    );
  }

  lines.push("");
  lines.push("## Runs");
  lines.push(
    `- inputs: ${path.relative(ROOT, w.dir)}/, ${w.files} files, ${fmtMB(res.diskBytes)} MB on disk`,
  );
  for (const c of configs) {
    if (c.failed) {
      lines.push(`- ${c.key}: FAILED ${c.failed}`);
      continue;
    }
    const runs = c.runs
      .map((m) => {
        const p = m.phases ? ` (${PHASES.map((k) => m.phases[k].toFixed(2)).join(" + ")})` : "";
        return `${m.wall.toFixed(2)} s${p}/CPU ${m.cpu.toFixed(1)} s/others ${m.others.toFixed(2)}`;
      })
      .join(", ");
    lines.push(`- ${c.label}: ${runs}`);
  }

  for (const c of configs) {
    if (c.failed) {
      check(false, `${c.key} ran and wrote every file (${c.failed})`);
      continue;
    }
    if (c.key === "validate") {
      check(true, `validate found run's archive complete (${w.nt} steps) in every round`);
      continue;
    }
    const v = c.verify;
    check(
      v.ok,
      `${c.key}: archive opens in xarray equal to the ${w.files} inputs concatenated${v.ok ? "" : `: ${v.differences.slice(0, 3).join("; ")}`}`,
    );
    check(
      !c.encodingProblems.length,
      `${c.key}: chunks ${w.chunks.join("×")}, blosc zstd 3 shuffle, <f4${c.encodingProblems.length ? `: ${c.encodingProblems.join(", ")}` : ""}`,
    );
    if (c.workers) {
      check(
        true,
        `${c.key}: ${w.files} jobs completed, 0 failed, one finishing step, validate complete, in every round`,
      );
    }
  }
  goal(
    same === undefined ? null : same <= GOAL_OVERHEAD,
    `queue overhead ≤ ${Math.round((GOAL_OVERHEAD - 1) * 100)} %: queue with 2 workers ≤ ${GOAL_OVERHEAD}× run --jobs 2 + validate (${same === undefined ? "needs both" : `${fmtX(same)}: ${q2.wall.toFixed(2)} s vs ${(run.wall + validate.wall).toFixed(2)} s`})`,
  );
  goal(
    writes === undefined ? null : writes <= GOAL_OVERHEAD,
    `stricter: queue until its last file was written ≤ ${GOAL_OVERHEAD}× run --jobs 2 alone (${writes === undefined ? "needs both" : `${fmtX(writes)}: ${q2.written.toFixed(2)} s vs ${run.wall.toFixed(2)} s`})`,
  );
  return finish(lines);
}

// ---------------------------------------------------------------- main

async function main() {
  const started = performance.now();
  const opts = parseArgs(process.argv.slice(2));
  preflight({ modules: "xarray, zarr, numcodecs, netCDF4" });
  const redis = await startRedis();
  let res;
  try {
    res = await runAll(opts, redis);
  } finally {
    await redis.stop();
  }
  const info = {
    ...versions("xarray, zarr, numcodecs, netCDF4"),
    seconds: (performance.now() - started) / 1000,
  };
  const { text, failed, missed } = report(res, info, redis);
  publish("results-queue.md", text);
  process.exitCode = failed || (missed && opts.goals) ? 1 : 0;
}

await main();
