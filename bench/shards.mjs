#!/usr/bin/env node
// Zarr v3 sharding (issue 10), measured in one run:
//   1. fill: the 64 files of bench:regions into a v3 template with shards (inner chunks = the
//      unsharded chunks, 10 files' worth of steps per shard) and into the same template
//      unsharded, `zarrify run --jobs J`, interleaved; wall, peak RSS, objects and bytes; both
//      archives checked against the inputs with today's xarray (sid chroot) and against each
//      other; the codec limit on the same steps;
//   2. reads with zarr-python 3 (sid): one time series and one map from each archive;
//   3. `zarrify validate --json` on both;
//   4. the 10-year hourly 0.25° template (87,600 × 721 × 1440) with and without shards: time to
//      create, objects, and the objects of the filled layout;
//   5. the race with shards: 40 one-step files into 2-step chunks in 10-step shards, 8
//      concurrent writers, zarrify (`write-region` processes) vs xarray `safe_chunks=False`
//      (Pool(8), sid), steps lost per round.
//
//   npm run bench:shards -- [--repeat N] [--jobs 1,2] [--no-goals] [--no-race] ...
//
// Writes bench/results-shards.md (overwritten) and prints it. Exit 1 when something fails or is
// wrong (zarrify losing a step in the race included), or (unless --no-goals) a goal is missed.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import {
  CLI,
  checklist,
  codecLimit,
  compareXarraySid,
  die,
  duBytes,
  ensureSeries,
  failure,
  fmtMB,
  fmtRss,
  HERE,
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
  runJsonWith,
  SERIES_START,
  SID_PY,
  seriesDir,
  sidReady,
  summarize,
  templateArgs,
  timedRun,
  versionLine,
  versions,
  warmCache,
  workload,
} from "./lib.mjs";

const GOAL_FILL_RATIO = 1.1;
const GOAL_FEWER_OBJECTS = 50;
const GOAL_TEMPLATE_S = 10;
// Cores used by other processes above which a run is flagged as disturbed.
const NOISY_CORES = 0.25;
// The unsharded chunks of bench:regions: time = steps per file, 181 × 360 spatially.
const SPATIAL = [181, 360];
const RACE = { files: 40, steps: 1, nlat: 91, nlon: 180, chunk: 2, shard: 10, jobs: 8 };
// The 10-year template: hourly 0.25° from 2020-01-01, 87,600 steps (10 × 365 days).
const TEN = {
  steps: 87600,
  nlat: 721,
  nlon: 1440,
  chunking: "time:24,lat:180,lon:360",
  shards: "time:240",
};
const LAYOUTS = ["unsharded", "sharded"];

const USAGE = `usage: npm run bench:shards -- [options]
  --repeat N          fill runs per layout and job count (default 3); median wall reported
  --jobs LIST         job counts of the fill (default 1,2)
  --files N           input files (default 64)
  --steps N           time steps per file = the inner time chunk (default 4; a file per day)
  --nlat N --nlon N   grid (default 721 x 1440); inner spatial chunks 181 x 360
  --shard-files N     files' worth of steps per shard along time (default 10: time:40)
  --read-repeat N     repeats of each read, best reported (default 5)
  --validate-repeat N validate runs per archive (default 3), median reported
  --ten-year-steps N  steps of the 10-year template (default 87600), for smoke runs
  --race-rounds N     rounds of the race (default 3)
  --no-race           skip the race
  --no-ten-year       skip the 10-year template
  --no-codec-limit    do not run codec_limit.py
  --no-goals          report goals as PASS/MISS but exit 0 when only a goal is missed
  -h, --help          this text`;

const jobList = (v, flag) => [...new Set(v.split(",").map((s) => positiveInt(s, flag)))];

function parseArgs(argv) {
  const defaults = {
    repeat: 3,
    jobs: [1, 2],
    files: 64,
    steps: 4,
    nlat: 721,
    nlon: 1440,
    shardFiles: 10,
    readRepeat: 5,
    validateRepeat: 3,
    tenYearSteps: TEN.steps,
    raceRounds: 3,
    race: true,
    tenYear: true,
    codecLimit: true,
    goals: true,
  };
  const o = parseOptions(argv, USAGE, defaults, {
    "--repeat": ["repeat", positiveInt],
    "--jobs": ["jobs", jobList],
    "--files": ["files", positiveInt],
    "--steps": ["steps", positiveInt],
    "--nlat": ["nlat", positiveInt],
    "--nlon": ["nlon", positiveInt],
    "--shard-files": ["shardFiles", positiveInt],
    "--read-repeat": ["readRepeat", positiveInt],
    "--validate-repeat": ["validateRepeat", positiveInt],
    "--ten-year-steps": ["tenYearSteps", positiveInt],
    "--race-rounds": ["raceRounds", positiveInt],
    "--no-race": ["race", false],
    "--no-ten-year": ["tenYear", false],
    "--no-codec-limit": ["codecLimit", false],
    "--no-goals": ["goals", false],
  });
  if (24 % o.steps !== 0) die("--steps must divide 24 (a file holds one day)");
  return o;
}

// ---------------------------------------------------------------- helpers

const node = (...args) => [process.execPath, CLI, ...args];
const fmtX = (x) => (x === undefined ? "?" : `${x.toFixed(2)}×`);
const fmtS = (s) => (s === undefined ? "?" : s.toFixed(2));
const ceilDiv = (a, b) => Math.ceil(a / b);
const product = (xs) => xs.reduce((a, b) => a * b, 1);

/** templateArgs(w) for a Zarr v3 archive, with --shards when given. */
function v3TemplateArgs(w, shards) {
  const args = templateArgs(w);
  args[args.indexOf("--zarr-format") + 1] = "3";
  return shards ? [...args, "--shards", shards] : args;
}

/** Files under dir, recursively (objects in a store), those that `keep` accepts by name. */
function countFiles(dir, keep = () => true) {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(path.join(dir, e.name), keep);
    else if (keep(e.name)) n++;
  }
  return n;
}

// zarrify's FsStore writes a value to ".<key>.<…>.zarrify-tmp" and renames it; one left behind
// after the command ended is litter (zarr ignores it: the name starts with a dot).
const isTemp = (name) => name.endsWith(".zarrify-tmp");

/** The data objects of array `name` (files under <name>/c, temp files apart) and their bytes. */
function arrayObjects(archive, name) {
  const dir = path.join(archive, name, "c");
  if (!existsSync(dir)) return { objects: 0, bytes: 0 };
  return { objects: countFiles(dir, (f) => !isTemp(f)), bytes: duBytes(dir) };
}

/** An array's zarr.json: shape, the chunk grid (shards when sharded) and the inner chunks. */
function arrayLayout(archive, name) {
  const meta = JSON.parse(readFileSync(path.join(archive, name, "zarr.json"), "utf8"));
  const grid = meta.chunk_grid.configuration.chunk_shape;
  const sharding = meta.codecs.find((c) => c.name === "sharding_indexed");
  const inner = sharding ? sharding.configuration.chunk_shape : grid;
  return {
    shape: meta.shape,
    grid,
    inner,
    sharded: Boolean(sharding),
    // What the filled array is made of: one object per cell of the chunk grid.
    objects: product(meta.shape.map((n, d) => ceilDiv(n, grid[d]))),
    innerChunks: product(meta.shape.map((n, d) => ceilDiv(n, inner[d]))),
    perShard: product(grid.map((g, d) => g / inner[d])),
  };
}

/** Bytes of the temp files left under dir. */
function tempBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += tempBytes(p);
    else if (isTemp(e.name)) n += statSync(p).size;
  }
  return n;
}

function sidJson(args) {
  return runJsonWith(SID_PY, args);
}

/** `zarrify validate ARCHIVE --json`, timed; its report (stdout to a file: it can be long). */
async function timedValidate(archive) {
  const file = path.join(OUT, `.validate-${process.pid}.json`);
  rmSync(file, { force: true });
  const m = await measure([
    "sh",
    "-c",
    'exec "$0" "$1" validate "$2" --json --no-progress > "$3"',
    process.execPath,
    CLI,
    archive,
    file,
  ]);
  if (!m.ok) return { failed: failure(m, 3) };
  try {
    const j = JSON.parse(readFileSync(file, "utf8"));
    return { ...m, report: j };
  } catch (e) {
    return { failed: `validate printed no JSON (${e.message})` };
  } finally {
    rmSync(file, { force: true });
  }
}

// ---------------------------------------------------------------- 1. the fill

/** What `zarrify run -v` says it did; a problem when it did not write every file. */
function claimed(m, nFiles) {
  const s = /(\d+) of (\d+) files written \((\d+) steps\), (\d+) skipped, (\d+) failed/.exec(
    m.stdout,
  );
  if (!s) return { problem: `no summary line in its output: ${m.stdout.trim().slice(-200)}` };
  const [written, files, steps, , failed] = s.slice(1).map(Number);
  if (written !== nFiles || files !== nFiles || failed !== 0)
    return { problem: `reported ${written} of ${files} files written, ${failed} failed` };
  const c =
    /(\d+) file\(s\): (\d+) chunks \((\d+) shared, (\d+) conflicts redone\), ([\d.]+) MiB/.exec(
      m.stderr,
    );
  return {
    steps,
    stored: c ? Number(c[2]) : undefined,
    shared: c ? Number(c[3]) : undefined,
    conflicts: c ? Number(c[4]) : undefined,
    writtenMiB: c ? Number(c[5]) : undefined,
  };
}

async function runFill(opts, res) {
  const w = workload(opts.files, opts.steps, opts.nlat, opts.nlon, opts.steps, SPATIAL);
  const { paths: inputs, diskBytes } = ensureSeries(w);
  const shardSteps = opts.shardFiles * opts.steps;
  const shards = `time:${shardSteps}`;
  const expected = {
    unsharded: w.expectedChunkFiles,
    sharded: ceilDiv(w.nt, shardSteps),
  };
  Object.assign(res, { w, inputs, diskBytes, shards, shardSteps, expected, configs: [] });
  for (const jobs of opts.jobs) {
    for (const layout of LAYOUTS) {
      res.configs.push({
        layout,
        jobs,
        runs: [],
        failed: null,
        output: path.join(OUT, `shards-${layout}-j${jobs}.zarr`),
      });
    }
  }
  // The codec limit's input: the same nt steps in one file (as bench:multifile does).
  let limitInput;
  if (opts.codecLimit) {
    const one = {
      files: 1,
      steps: w.nt,
      nlat: w.nlat,
      nlon: w.nlon,
      stepHours: w.stepHours,
      bytes: w.bytes,
      dir: `${seriesDir(1, w.nt, w.nlat, w.nlon)}-${w.stepHours}h`,
    };
    limitInput = ensureSeries(one).paths[0];
    res.limitInput = limitInput;
  }
  res.ceilings = [];
  res.limits = [];
  for (let i = 0; i < opts.repeat; i++) {
    const round = `${i + 1}/${opts.repeat}`;
    const ceiling = await parallelCeiling();
    if (ceiling !== undefined) res.ceilings.push(ceiling);
    console.error(`bench: round ${round}: 2-process ceiling ${fmtX(ceiling)}`);
    for (const c of res.configs) {
      if (c.failed) continue;
      // -v's stderr (a line per file) goes whole to a log: its warnings and the summary line.
      const log = path.join(OUT, `.shards-run-${process.pid}.log`);
      const cmd = [
        "sh",
        "-c",
        'log="$1"; shift; exec "$@" 2>"$log"',
        "sh",
        log,
        ...node(
          "run",
          ...inputs,
          c.output,
          ...v3TemplateArgs(w, c.layout === "sharded" ? shards : undefined),
          "--jobs",
          String(c.jobs),
          "--no-progress",
          "-v",
        ),
      ];
      rmSync(c.output, { recursive: true, force: true });
      warmCache(inputs);
      console.error(`bench: ${c.layout} --jobs ${c.jobs} run ${round}...`);
      const m = await measure(cmd);
      m.stderr = existsSync(log) ? readFileSync(log, "utf8") : "";
      rmSync(log, { force: true });
      if (!m.ok) {
        c.failed = `run ${round}: ${failure(m)}`;
        console.error(`bench: ${c.layout} failed: ${c.failed}`);
        continue;
      }
      const said = claimed(m, inputs.length);
      const t2m = arrayObjects(c.output, "t2m");
      if (said.problem || said.steps !== w.nt || t2m.objects !== expected[c.layout]) {
        c.failed = `run ${round}: ${said.problem ?? `${said.steps} steps`}, ${t2m.objects} of ${expected[c.layout]} t2m objects on disk`;
        console.error(`bench: ${c.layout} wrong: ${c.failed}`);
        continue;
      }
      m.said = said;
      m.t2m = t2m;
      m.objects = countFiles(c.output);
      m.temps = countFiles(c.output, isTemp);
      m.tempBytes = m.temps ? tempBytes(c.output) : 0;
      m.warnings = m.stderr.split("\n").filter((l) => /^(warning|error): /.test(l));
      m.bytes = duBytes(c.output);
      console.error(
        `bench:   ${m.wall.toFixed(2)} s, CPU ${m.cpu.toFixed(1)} s, ${(m.rss / MiB).toFixed(0)} MiB, others ${m.others.toFixed(2)} cores; ${m.objects} objects (t2m ${t2m.objects}), stored ${said.stored} objects, ${said.writtenMiB} MiB${m.temps ? `; ${m.temps} temp file(s) left (${fmtMB(m.tempBytes)} MB)` : ""}${m.warnings.length ? `; ${m.warnings.join(" | ")}` : ""}`,
      );
      c.runs.push(m);
    }
    if (limitInput && !res.limitFailed) {
      warmCache(limitInput);
      console.error(`bench: codec limit run ${round}...`);
      const l = codecLimit(limitInput, { chunks: w.chunks });
      if (l.failed) res.limitFailed = l.failed;
      else res.limits.push(l);
    }
  }
  if (res.limits.length) {
    const ls = res.limits;
    res.limit = {
      ...ls[0],
      runs: ls.map((l) => l.limit_s),
      inflate_s: median(ls.map((l) => l.inflate_s)),
      compress_s: median(ls.map((l) => l.compress_s)),
      limit_s: median(ls.map((l) => l.limit_s)),
    };
  }
  for (const c of res.configs) if (c.runs.length) summarize(c);

  // Verify: the archive of each layout at the highest job count against the inputs (today's
  // xarray: these are v3), every other archive value for value against the unsharded one.
  const top = Math.max(...opts.jobs);
  res.ref = res.configs.find((c) => c.layout === "unsharded" && c.jobs === top);
  for (const c of res.configs) {
    if (c.failed || !c.runs.length) continue;
    if (c.jobs === top) {
      console.error(`bench: verifying ${c.layout} --jobs ${c.jobs} against the inputs (sid)...`);
      c.verify = compareXarraySid(inputs, c.output, "--concat-dim", "time");
    }
    if (c !== res.ref && res.ref?.runs.length && !res.ref.failed) {
      console.error(`bench: ${c.layout} --jobs ${c.jobs} vs unsharded --jobs ${top} (sid)...`);
      c.same = sidJson([path.join(HERE, "xarray_shards.py"), "same", res.ref.output, c.output]);
    }
    c.layoutInfo = arrayLayout(c.output, "t2m");
  }
}

// ---------------------------------------------------------------- 2. reads, 3. validate

function runReads(opts, res) {
  res.reads = {};
  const top = Math.max(...opts.jobs);
  for (const layout of LAYOUTS) {
    const c = res.configs.find((x) => x.layout === layout && x.jobs === top);
    if (!c || c.failed || !c.runs.length) continue;
    console.error(`bench: reading a time series and a map from ${layout} (zarr-python 3)...`);
    res.reads[layout] = sidJson([
      path.join(HERE, "xarray_shards.py"),
      "read",
      c.output,
      "--repeat",
      String(opts.readRepeat),
    ]);
  }
}

async function runValidate(opts, res) {
  res.validate = {};
  const top = Math.max(...opts.jobs);
  for (const layout of LAYOUTS) {
    const c = res.configs.find((x) => x.layout === layout && x.jobs === top);
    if (!c || c.failed || !c.runs.length) continue;
    const v = { runs: [] };
    for (let i = 0; i < opts.validateRepeat; i++) {
      console.error(`bench: validate ${layout} ${i + 1}/${opts.validateRepeat}...`);
      const m = await timedValidate(c.output);
      if (m.failed) {
        v.failed = m.failed;
        break;
      }
      v.runs.push(m);
      v.report = m.report;
    }
    if (v.runs.length) summarize(v);
    res.validate[layout] = v;
  }
}

// ---------------------------------------------------------------- 4. the 10-year template

async function runTenYear(opts) {
  const one = {
    files: 1,
    steps: 1,
    nlat: TEN.nlat,
    nlon: TEN.nlon,
    stepHours: 1,
    bytes: TEN.nlat * TEN.nlon * 4,
    dir: seriesDir(1, 1, TEN.nlat, TEN.nlon),
  };
  const [file] = ensureSeries(one).paths;
  const end = new Date(Date.parse(`${SERIES_START}T00:00:00Z`) + (opts.tenYearSteps - 1) * 3600e3)
    .toISOString()
    .slice(0, 16);
  const res = { file, end, steps: opts.tenYearSteps, layouts: {} };
  const args = (shards) => [
    "--global-start",
    `${SERIES_START}T00:00`,
    "--global-end",
    end,
    "--freq",
    "1H",
    "--chunking",
    TEN.chunking,
    "--compression",
    "blosc:zstd:3",
    "--zarr-format",
    "3",
    ...(shards ? ["--shards", shards] : []),
    "--no-progress",
  ];
  for (const layout of LAYOUTS) {
    res.layouts[layout] = {
      runs: [],
      failed: null,
      output: path.join(OUT, `shards-10y-${layout}.zarr`),
      shards: layout === "sharded" ? TEN.shards : undefined,
    };
  }
  for (let i = 0; i < 3; i++) {
    for (const layout of LAYOUTS) {
      const r = res.layouts[layout];
      if (r.failed) continue;
      const cmd = node("create-template", file, r.output, ...args(r.shards));
      const m = await timedRun(r, `10-year template ${layout}`, `${i + 1}/3`, cmd, r.output, [
        file,
      ]);
      if (m) r.runs.push(m);
    }
  }
  for (const layout of LAYOUTS) {
    const r = res.layouts[layout];
    if (r.failed || !r.runs.length) continue;
    summarize(r);
    r.objects = countFiles(r.output);
    r.bytes = duBytes(r.output);
    r.t2mObjects = arrayObjects(r.output, "t2m").objects;
    r.layout = arrayLayout(r.output, "t2m");
    console.error(`bench: validate on the empty 10-year ${layout} template...`);
    const v = await timedValidate(r.output);
    r.validate = v;
  }
  return res;
}

// ---------------------------------------------------------------- 5. the race

// One template, then RACE.jobs concurrent write-region processes (xargs -P), each writing one
// file: as many writers as xarray's Pool, every shard shared by RACE.shard files.
function zarrifyWriters(w, inputs, output, log) {
  const q = (a) => JSON.stringify(a);
  const cli = `${q(process.execPath)} ${q(CLI)}`;
  const template = [
    "create-template",
    inputs[0],
    output,
    ...v3TemplateArgs(w, `time:${RACE.shard}`),
    "--no-progress",
  ]
    .map(q)
    .join(" ");
  // Every writer's -v lines (one "done FILE: N chunks (M shared, K conflicts redone)" each) go
  // to one log, xargs' stderr, which all of them share.
  const script = `${cli} ${template} >/dev/null && printf '%s\\0' "$@" | xargs -0 -P ${RACE.jobs} -I{} ${cli} write-region {} ${q(output)} --no-progress -v >/dev/null 2>${q(log)}`;
  return ["sh", "-c", script, "sh", ...inputs];
}

function xarrayWriters(w, inputs, output) {
  return [
    ...SID_PY,
    path.join(HERE, "xarray_shards.py"),
    "race",
    output,
    ...inputs,
    "--start",
    SERIES_START,
    "--end",
    w.end,
    "--freq",
    w.freq,
    "--chunks",
    `time:${RACE.chunk}`,
    "--shards",
    `time:${RACE.shard}`,
    "--jobs",
    String(RACE.jobs),
  ];
}

/** The race's write-region -v lines summed: files done, shard puts, merges, CAS conflicts. */
function writerTotals(log) {
  const t = { files: 0, chunks: 0, shared: 0, conflicts: 0, seconds: [] };
  if (!existsSync(log)) return t;
  const re =
    /done .*: (\d+) chunks \((\d+) shared, (\d+) conflicts redone\), [\d.]+ MiB in ([\d.]+) s/;
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const m = re.exec(line);
    if (!m) continue;
    t.files++;
    t.chunks += Number(m[1]);
    t.shared += Number(m[2]);
    t.conflicts += Number(m[3]);
    t.seconds.push(Number(m[4]));
  }
  return t;
}

async function runRace(opts) {
  const w = workload(RACE.files, RACE.steps, RACE.nlat, RACE.nlon, RACE.chunk, [
    RACE.nlat,
    RACE.nlon,
  ]);
  const { paths: inputs } = ensureSeries(w);
  const rounds = [];
  for (let i = 0; i < opts.raceRounds; i++) {
    const round = {};
    for (const tool of ["zarrify", "xarray"]) {
      const output = path.join(OUT, `shards-race-${tool}.zarr`);
      rmSync(output, { recursive: true, force: true });
      console.error(
        `bench: race round ${i + 1}/${opts.raceRounds}: ${tool}, ${RACE.jobs} writers...`,
      );
      const log = path.join(OUT, `.race-${process.pid}.log`);
      const cmd =
        tool === "zarrify"
          ? zarrifyWriters(w, inputs, output, log)
          : xarrayWriters(w, inputs, output);
      const m = await measure(cmd);
      if (!m.ok) {
        round[tool] = { failed: failure(m, 3) };
        console.error(`bench:   failed: ${round[tool].failed}`);
        continue;
      }
      const lost = sidJson([path.join(HERE, "xarray_regions.py"), "lost", output, ...inputs]);
      const r = { wall: m.wall, lost, objects: arrayObjects(output, "t2m").objects };
      if (tool === "zarrify") {
        r.writers = writerTotals(log);
        rmSync(log, { force: true });
        const v = await timedValidate(output);
        r.validate = v.failed
          ? { problem: v.failed }
          : { missingSteps: v.report.missingSteps, complete: v.report.complete };
      }
      console.error(
        `bench:   ${m.wall.toFixed(2)} s, ${lost.all_nan ?? "?"} of ${w.nt} steps without data, ${lost.differ ?? "?"} differ from the inputs, ${r.objects} t2m objects`,
      );
      round[tool] = r;
    }
    rounds.push(round);
  }
  return { w, rounds };
}

// ---------------------------------------------------------------- report

function report(fill, tenYear, race, info, opts) {
  const lines = [];
  const { check, goal, finish } = checklist();
  const { w } = fill;
  const top = Math.max(...opts.jobs);
  const get = (layout, jobs) =>
    fill.configs.find(
      (c) => c.layout === layout && c.jobs === jobs && !c.failed && c.wall !== undefined,
    );
  const ceiling = fill.ceilings.length ? median(fill.ceilings) : undefined;
  const allRuns = fill.configs.flatMap((c) => c.runs);
  const busyRuns = allRuns.filter((m) => m.others > NOISY_CORES);

  lines.push("# zarrify sharding benchmark (Zarr v3 `sharding_indexed`)");
  lines.push("");
  lines.push(
    `${machineLine()}; load average at the start ${info.loadStart.map((l) => l.toFixed(2)).join(" ")}, at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        " ",
      )}; the bench took ${info.seconds.toFixed(0)} s. What 2 processes could get from the machine (a CPU-bound loop, 2 copies vs 1, before each fill round): ${fill.ceilings.map(fmtX).join(", ") || "?"} (median ${fmtX(ceiling)}; 2.00× = two idle cores). Other processes kept a median ${allRuns.length ? median(allRuns.map((m) => m.others)).toFixed(2) : "?"} cores busy during the fill runs${busyRuns.length ? `; in ${busyRuns.length} of ${allRuns.length} runs more than ${NOISY_CORES} (**noisy**: those measure the neighbours as much as zarrify)` : ""}.`,
  );
  lines.push(
    versionLine(info, `sid: ${info.sid}`) +
      " Debian 12's Python makes the inputs and runs the codec limit; everything that reads a v3 archive runs in the sid chroot (`scripts/sid-chroot.sh run python3`).",
  );

  // ---- 1. fill
  const lay = fill.configs.find((c) => c.layoutInfo?.sharded)?.layoutInfo;
  lines.push("");
  lines.push("## 1. Filling a sharded template vs the same template unsharded");
  lines.push("");
  lines.push(
    `The ${w.files} files of \`npm run bench:regions\` (\`bench/make_series.py\`: ${w.steps} steps each of float32 \`t2m(time, lat=${w.nlat}, lon=${w.nlon})\` every ${w.stepHours} h, deflate 4 + shuffle; ${fmtMB(w.bytes)} MB uncompressed, ${fmtMB(fill.diskBytes)} MB on disk; ${w.nt} steps). Both archives Zarr v3, Blosc zstd 3 + byte shuffle, inner chunks ${w.chunks.join("×")} (bench:regions' chunks; time chunk = steps per file). Sharded: \`--shards ${fill.shards}\` (${opts.shardFiles} files' worth of steps; lat/lon left out = one shard along them${lay ? `: shards ${lay.grid.join("×")}, **${lay.perShard} inner chunks per shard**` : ""}). Each filled by \`zarrify run FILES OUT ${v3TemplateArgs(w).join(" ")} [--shards ${fill.shards}] --jobs J -v\` (template from the first file, then the files planned together on J worker threads), timed as a whole under GNU \`time\`, inputs in the page cache, output deleted first; layouts and job counts interleaved, ${opts.repeat} rounds; wall and CPU medians, RSS the maximum.`,
  );
  lines.push(
    "*objects* = files in the archive (metadata and zarrify's markers included), *t2m objects* its data objects; *stored* = the objects zarrify's `-v` summary says it put for t2m and their MiB (a shard rewritten after a conflict would count again); *bytes* = `du` of the archive.",
  );
  lines.push("");
  lines.push(
    "| layout | jobs | wall s (median) | MB/s | × unsharded | peak RSS MiB | CPU s | objects | t2m objects | stored (MiB) | archive MB |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const c of fill.configs) {
    if (c.failed || c.wall === undefined) {
      lines.push(`| ${c.layout} | ${c.jobs} | failed | | | | | | | | |`);
      continue;
    }
    const u = get("unsharded", c.jobs);
    const last = c.runs[c.runs.length - 1];
    lines.push(
      `| ${c.layout} | ${c.jobs} | ${c.wall.toFixed(2)} | ${(w.bytes / 1e6 / c.wall).toFixed(0)} | ${u ? fmtX(c.wall / u.wall) : ""} | ${fmtRss(c)} | ${c.cpu.toFixed(1)} | ${last.objects} | ${last.t2m.objects} | ${last.said.stored ?? "?"} (${last.said.writtenMiB ?? "?"}) | ${fmtMB(last.bytes)} |`,
    );
  }
  if (fill.limit) {
    const l = fill.limit;
    lines.push(
      `| codec limit: native inflate ${l.inflate_s.toFixed(2)} s + c-blosc ${l.compress_s.toFixed(2)} s on ${l.procs} processes, the same ${w.nt} steps and ${w.chunks.join("×")} chunks | ${l.procs} | ${l.limit_s.toFixed(2)} | ${(w.bytes / 1e6 / l.limit_s).toFixed(0)} | | | | | | | |`,
    );
  }
  if (fill.configs.some((c) => c.rssFromTree)) rssFootnote(lines);
  lines.push("");
  for (const j of opts.jobs) {
    const u = get("unsharded", j);
    const s = get("sharded", j);
    if (u && s) {
      const runs = (c) => c.runs.map((m) => m.wall.toFixed(2)).join(", ");
      lines.push(
        `- ${j} job(s): sharded ${s.wall.toFixed(2)} s [${runs(s)}] vs unsharded ${u.wall.toFixed(2)} s [${runs(u)}]: ratio ${fmtX(s.wall / u.wall)}${fill.limit ? `; unsharded ${fmtX(u.wall / fill.limit.limit_s)} the codec limit, sharded ${fmtX(s.wall / fill.limit.limit_s)}` : ""}`,
      );
    }
  }
  if (fill.limit) {
    const l = fill.limit;
    lines.push(
      `- codec limit (\`bench/codec_limit.py\` once per round on \`${path.relative(ROOT, fill.limitInput)}\`, one file holding the same ${w.nt} steps; median of ${l.runs.map((x) => x.toFixed(2)).join(", ")} s): every source chunk inflated once with netCDF4 + every inner chunk (${w.chunks.join("×")}) compressed once with c-blosc, on ${l.procs} processes; no file writing, no shard index. The same work as both layouts' compression: sharding adds only the index and the assembly of a shard.`,
    );
  } else if (fill.limitFailed) {
    lines.push(`- codec limit: FAILED ${fill.limitFailed}`);
  }

  // ---- 2. reads
  const rd = fill.reads ?? {};
  lines.push("");
  lines.push("## 2. Reads with zarr-python 3");
  lines.push("");
  const anyRead = Object.values(rd).find((r) => r && !r.differences);
  lines.push(
    `From each archive of section 1 (--jobs ${top}), with zarr-python ${info.sidZarr ?? "3"} (sid chroot): \`zarr.open_array(store, path="t2m")\`, then one time series \`a[:, i, j]\`${anyRead ? ` (all ${anyRead.shape[0]} steps at grid point ${anyRead.point.join(", ")})` : ""} and one map \`a[k, :, :]\`${anyRead ? ` (step ${anyRead.step}, ${anyRead.shape[1]}×${anyRead.shape[2]})` : ""}; the array opened afresh each time, best of ${opts.readRepeat}, files in the page cache (\`bench/xarray_shards.py read\`). The store is a LocalStore subclass counting what zarr asks of it: *reads* = object reads or byte-range reads of data objects, after zarr's coalescing of nearby ranges (gaps up to 1 MiB, merged reads up to 16 MiB: \`sharding_coalesce_*\`); *inner chunks asked* = byte ranges requested inside shards; *MB read* = bytes returned.`,
  );
  lines.push("");
  lines.push(
    "| layout | time series ms | objects | reads | inner chunks asked | MB read | map ms | objects | reads | inner chunks asked | MB read |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const layout of LAYOUTS) {
    const r = rd[layout];
    if (!r) continue;
    if (r.differences) {
      lines.push(`| ${layout} | failed: ${r.differences.join("; ")} | | | | | | | | | |`);
      continue;
    }
    const cells = (k) =>
      `${(r[`${k}_s`] * 1000).toFixed(1)} | ${r[k].objects} | ${r[k].reads} | ${r[k].ranges || "–"} | ${(r[k].bytes / 1e6).toFixed(2)}`;
    lines.push(`| ${layout} | ${cells("series")} | ${cells("map")} |`);
  }
  const ru = rd.unsharded;
  const rs = rd.sharded;
  if (ru && rs && !ru.differences && !rs.differences) {
    lines.push("");
    const how = rs.series.ranges
      ? `an index read per shard, then the ${rs.series.ranges} inner chunks asked for in ${rs.series.reads - rs.series.objects} ranged reads${rs.series.reads - rs.series.objects < rs.series.ranges ? " (zarr merged ranges less than 1 MiB apart)" : ": inner chunks are stored in C order (time, lat, lon), so between a point's consecutive chunks lie all the other spatial chunks of that time slab, more than zarr's 1 MiB merging gap"}`
      : "whole shards: the series touches every inner chunk of a shard, so zarr reads each shard in one piece";
    lines.push(
      `- time series: sharded ${fmtX(rs.series_s / ru.series_s)} the unsharded time; ${rs.series.reads} reads of ${rs.series.objects} shard objects (${how}) vs ${ru.series.reads} whole-chunk reads; ${(rs.series.bytes / 1e6).toFixed(1)} vs ${(ru.series.bytes / 1e6).toFixed(1)} MB read${rs.series.bytes > 1.2 * ru.series.bytes ? " (the coalescing reads the gaps between the inner chunks along with them)" : ""}.`,
    );
    lines.push(
      `- map: sharded ${fmtX(rs.map_s / ru.map_s)} the unsharded time; ${rs.map.reads} reads (${rs.map.objects} shard) vs ${ru.map.reads} chunk reads; ${(rs.map.bytes / 1e6).toFixed(1)} vs ${(ru.map.bytes / 1e6).toFixed(1)} MB.`,
    );
  }

  // ---- 3. validate
  lines.push("");
  lines.push("## 3. `zarrify validate ARCHIVE --json`");
  lines.push("");
  lines.push(
    `On the archives of section 1 (--jobs ${top}); validate reads every chunk (value ranges, steps without data). Median of ${opts.validateRepeat} runs, whole command.`,
  );
  lines.push("");
  lines.push("| layout | wall s (median) | runs | peak RSS MiB | complete | missing steps |");
  lines.push("|---|---|---|---|---|---|");
  for (const layout of LAYOUTS) {
    const v = fill.validate?.[layout];
    if (!v) continue;
    if (v.failed && !v.runs.length) {
      lines.push(`| ${layout} | failed: ${v.failed} | | | | |`);
      continue;
    }
    lines.push(
      `| ${layout} | ${v.wall.toFixed(2)} | ${v.runs.map((m) => m.wall.toFixed(2)).join(", ")} | ${fmtRss(v)} | ${v.report.complete} | ${v.report.missingSteps} |`,
    );
  }

  // ---- 4. ten years
  if (tenYear) {
    lines.push("");
    lines.push("## 4. The 10-year template: hourly 0.25° (87,600 × 721 × 1440 float32)");
    lines.push("");
    lines.push(
      `\`zarrify create-template ONE.nc OUT --global-start ${SERIES_START}T00:00 --global-end ${tenYear.end} --freq 1H --chunking ${TEN.chunking} --compression blosc:zstd:3 --zarr-format 3 [--shards ${TEN.shards}]\` (${tenYear.steps} steps; ONE.nc: \`${path.relative(ROOT, tenYear.file)}\`, one step of the same generator). Wall: median of 3, whole command (Node start included). *objects now* = files of the template (metadata and coordinates; no t2m data is written); *t2m objects filled* = cells of t2m's chunk grid (⌈shape/shard⌉ per dimension sharded, ⌈shape/chunk⌉ unsharded), what the filled archive stores; validate on the empty template.`,
    );
    lines.push("");
    lines.push(
      "| layout | chunk grid | inner chunks | create s (median) | runs | objects now | t2m objects filled | inner chunks per object | validate s (empty) |",
    );
    lines.push("|---|---|---|---|---|---|---|---|---|");
    for (const layout of LAYOUTS) {
      const r = tenYear.layouts[layout];
      if (r.failed || !r.layout) {
        lines.push(`| ${layout} | failed: ${r.failed} | | | | | | | |`);
        continue;
      }
      const L = r.layout;
      lines.push(
        `| ${layout} | ${L.grid.join("×")} | ${L.inner.join("×")} | ${r.wall.toFixed(2)} | ${r.runs.map((m) => m.wall.toFixed(2)).join(", ")} | ${r.objects} | ${L.objects.toLocaleString("en")} | ${L.perShard} | ${r.validate.failed ? "failed" : r.validate.wall.toFixed(2)} |`,
      );
    }
    const u = tenYear.layouts.unsharded.layout;
    const s = tenYear.layouts.sharded.layout;
    if (u && s) {
      lines.push("");
      lines.push(
        `- filled: ${s.objects.toLocaleString("en")} vs ${u.objects.toLocaleString("en")} t2m objects, 1/${(u.objects / s.objects).toFixed(0)}; the same ${s.innerChunks.toLocaleString("en")} inner chunks.`,
      );
    }
  }

  // ---- 5. race
  if (race) {
    lines.push("");
    lines.push("## 5. The race with shards");
    lines.push("");
    lines.push(
      `${race.w.files} files of one daily step (${race.w.nlat}×${race.w.nlon}) into a v3 template of ${RACE.chunk}-step inner chunks in ${RACE.shard}-step shards (whole grid): every shard shared by ${RACE.shard} files, ${RACE.jobs} concurrent writers. zarrify: \`create-template\` then ${RACE.jobs} concurrent \`zarrify write-region\` processes (\`xargs -P ${RACE.jobs}\`; a shared shard merged under compare-and-swap, re-encoding only the inner chunks a writer touches). xarray ${info.sidXarray ?? ""} + zarr-python ${info.sidZarr ?? "3"} (sid): the sharded template by \`to_zarr(compute=False, zarr_format=3, encoding={"t2m": {"chunks", "shards", ...}})\`, then \`to_zarr(region={"time": ...}, safe_chunks=False)\` per file from a \`multiprocessing.Pool(${RACE.jobs})\` (\`bench/xarray_shards.py race\`; zarr-python's unlocked read-modify-write of the shard: zarr-python #3682 / xarray #10831). Lost = steps holding no data afterwards (all NaN, read with today's xarray, \`xarray_regions.py lost\`); zarrify's \`validate --json\` must agree. Wall includes Node's or the chroot's and Python's start.`,
    );
    lines.push("");
    lines.push(
      "| round | zarrify steps lost | xarray steps lost | zarrify wall s | xarray wall s | t2m objects (zarrify / xarray) | zarrify writers done, shard merges, CAS conflicts redone | write-region s per writer (median, max) |",
    );
    lines.push("|---|---|---|---|---|---|---|---|");
    race.rounds.forEach((r, i) => {
      const cell = (t) =>
        !r[t] ? "–" : r[t].failed ? "failed" : `${r[t].lost.all_nan ?? "?"} of ${race.w.nt}`;
      const wall = (t) => (!r[t] || r[t].failed ? "–" : r[t].wall.toFixed(2));
      const obj = (t) => (!r[t] || r[t].failed ? "–" : r[t].objects);
      const wr = r.zarrify?.writers;
      const writers = wr ? `${wr.files}, ${wr.shared}, ${wr.conflicts}` : "–";
      const per = wr?.seconds.length
        ? `${median(wr.seconds).toFixed(2)}, ${Math.max(...wr.seconds).toFixed(2)}`
        : "–";
      lines.push(
        `| ${i + 1} | ${cell("zarrify")} | ${cell("xarray")} | ${wall("zarrify")} | ${wall("xarray")} | ${obj("zarrify")} / ${obj("xarray")} | ${writers} | ${per} |`,
      );
    });
    const xl = race.rounds.map((r) => r.xarray?.lost?.all_nan).filter((x) => typeof x === "number");
    if (xl.length) {
      const mean = xl.reduce((a, b) => a + b, 0) / xl.length;
      lines.push("");
      lines.push(
        `- xarray lost ${fmtS(mean)} of ${race.w.nt} steps per round on average (${((100 * mean) / race.w.nt).toFixed(0)} %).`,
      );
    }
  }

  // ---- runs
  lines.push("");
  lines.push("## Runs");
  lines.push(
    `- inputs: ${path.relative(ROOT, w.dir)}/, ${w.files} files, ${fmtMB(fill.diskBytes)} MB on disk, ${fmtMB(w.bytes)} MB uncompressed`,
  );
  for (const c of fill.configs) {
    if (c.failed) {
      lines.push(`- ${c.layout} --jobs ${c.jobs}: FAILED ${c.failed}`);
      continue;
    }
    const runs = c.runs
      .map(
        (m) =>
          `${m.wall.toFixed(2)} s/CPU ${m.cpu.toFixed(1)} s/${(m.rss / MiB).toFixed(0)} MiB/others ${m.others.toFixed(2)}/stored ${m.said.stored ?? "?"} (${m.said.shared ?? "?"} shared, ${m.said.conflicts ?? "?"} conflicts)${m.temps ? `/**${m.temps} temp file(s) left, ${fmtMB(m.tempBytes)} MB**` : ""}${m.warnings.length ? `/**${m.warnings.join(" | ")}**` : ""}`,
      )
      .join(", ");
    lines.push(`- ${c.layout} --jobs ${c.jobs}: ${runs}`);
  }

  // ---- checks: correctness first (FAIL), then goals (MISS)
  for (const c of fill.configs) {
    const name = `${c.layout} --jobs ${c.jobs}`;
    if (c.failed) {
      check(false, `${name} ran and wrote every file (${c.failed})`);
      continue;
    }
    check(
      true,
      `${name}: every run wrote all ${w.files} files, ${w.nt} steps, ${fill.expected[c.layout]} t2m objects on disk`,
    );
    const littered = c.runs.filter((m) => m.temps > 0);
    const warned = c.runs.filter((m) => m.warnings.length > 0);
    check(
      !littered.length && !warned.length,
      `${name}: no run printed a warning or left a temp file (${warned.length} of ${c.runs.length} runs warned, ${littered.length} left temp files${littered.length ? `: ${littered.map((m) => `${m.temps} file(s), ${fmtMB(m.tempBytes)} MB`).join("; ")}` : ""}; see *Runs*)`,
    );
    if (c.verify) {
      const v = c.verify;
      check(
        v.ok,
        `${name}: opens in today's xarray equal to the ${w.files} inputs concatenated (test/interop/compare_xarray.py, sid)${v.ok ? "" : `: ${(v.differences ?? []).slice(0, 3).join("; ")}`}`,
      );
    }
    if (c.same) {
      check(
        c.same.ok,
        `${name}: the same values as unsharded --jobs ${top} (${(c.same.compared ?? []).join(", ")})${c.same.ok ? "" : `: ${(c.same.differences ?? []).slice(0, 3).join("; ")}`}`,
      );
    }
    const L = c.layoutInfo;
    if (L) {
      const want = c.layout === "sharded";
      check(
        L.sharded === want && L.inner.join() === w.chunks.join(),
        `${name}: t2m ${want ? `sharded ${L.grid.join("×")}` : "unsharded"}, inner chunks ${L.inner.join("×")}`,
      );
    }
  }
  if (ru && rs) {
    const ok =
      !ru.differences &&
      !rs.differences &&
      ru.series_sum === rs.series_sum &&
      ru.map_sum === rs.map_sum;
    check(ok, "reads: the time series and the map are the same from both archives");
  }
  for (const layout of LAYOUTS) {
    const v = fill.validate?.[layout];
    if (!v) continue;
    check(
      !v.failed && v.report?.complete === true && v.report?.missingSteps === 0,
      `validate ${layout}: complete, 0 missing steps${v.failed ? ` (${v.failed})` : ""}`,
    );
  }
  if (tenYear) {
    for (const layout of LAYOUTS) {
      const r = tenYear.layouts[layout];
      if (r.failed) check(false, `10-year template ${layout} created (${r.failed})`);
      else
        check(
          r.t2mObjects === 0 && r.validate.report?.missingSteps === tenYear.steps,
          `10-year template ${layout}: no t2m data written, validate: ${r.validate.report?.missingSteps} of ${tenYear.steps} steps missing`,
        );
    }
  }
  if (race) {
    race.rounds.forEach((r, i) => {
      const z = r.zarrify;
      if (z?.failed) check(false, `race round ${i + 1}: zarrify ran (${z.failed})`);
      else if (z) {
        const vOk = z.validate && !z.validate.problem && z.validate.missingSteps === 0;
        check(
          z.lost.all_nan === 0 && z.lost.differ === 0 && vOk,
          `race round ${i + 1}: zarrify lost no step (${z.lost.all_nan ?? "?"} without data, ${z.lost.differ ?? "?"} differing from the inputs; validate: ${z.validate.problem ?? `${z.validate.missingSteps} missing`})`,
        );
      }
      if (r.xarray?.failed) check(false, `race round ${i + 1}: xarray ran (${r.xarray.failed})`);
    });
  }
  if (fill.limitFailed) check(false, `codec_limit.py ran (${fill.limitFailed})`);
  for (const j of opts.jobs) {
    const u = get("unsharded", j);
    const s = get("sharded", j);
    goal(
      u && s ? s.wall / u.wall <= GOAL_FILL_RATIO : null,
      `fill at ${j} job(s): sharded wall ≤ ${GOAL_FILL_RATIO.toFixed(2)}× unsharded (${u && s ? `${fmtX(s.wall / u.wall)}: ${s.wall.toFixed(2)} s vs ${u.wall.toFixed(2)} s` : "needs both"})`,
    );
  }
  if (tenYear) {
    const s = tenYear.layouts.sharded;
    const u = tenYear.layouts.unsharded;
    goal(
      s.wall !== undefined ? s.wall <= GOAL_TEMPLATE_S : null,
      `10-year sharded template created in ≤ ${GOAL_TEMPLATE_S} s (${fmtS(s.wall)} s)`,
    );
    goal(
      s.layout && u.layout ? s.layout.objects * GOAL_FEWER_OBJECTS <= u.layout.objects : null,
      `10-year filled layout: sharded ≤ 1/${GOAL_FEWER_OBJECTS} of the unsharded objects (${s.layout?.objects} vs ${u.layout?.objects})`,
    );
  }
  return finish(lines);
}

// ---------------------------------------------------------------- main

function sidVersions() {
  const r = spawnSync(
    SID_PY[0],
    [
      ...SID_PY.slice(1),
      "-c",
      "import sys, xarray, zarr, numcodecs, numpy; print(sys.version.split()[0], xarray.__version__, zarr.__version__, numcodecs.__version__, numpy.__version__)",
    ],
    { encoding: "utf8", cwd: ROOT },
  );
  if (r.status !== 0) return {};
  const [python, xarray, zarr, numcodecs, numpy] = r.stdout.trim().split(" ");
  return {
    sid: `python ${python}, xarray ${xarray}, zarr ${zarr}, numcodecs ${numcodecs}, numpy ${numpy}`,
    sidXarray: xarray,
    sidZarr: zarr,
  };
}

async function main() {
  const started = performance.now();
  const loadStart = loadavg();
  const opts = parseArgs(process.argv.slice(2));
  preflight({ modules: "xarray, zarr, numcodecs, netCDF4" });
  if (!sidReady()) die("the sid chroot is not built: bash scripts/sid-chroot.sh build");
  const sid = sidVersions();
  const fill = {};
  await runFill(opts, fill);
  runReads(opts, fill);
  await runValidate(opts, fill);
  const tenYear = opts.tenYear ? await runTenYear(opts) : undefined;
  const race = opts.race ? await runRace(opts) : undefined;
  const info = {
    ...versions("xarray, zarr, numcodecs, netCDF4"),
    ...sid,
    loadStart,
    seconds: (performance.now() - started) / 1000,
  };
  const { text, failed, missed } = report(fill, tenYear, race, info, opts);
  publish("results-shards.md", text);
  process.exitCode = failed || (missed && opts.goals) ? 1 : 0;
}

await main();
