#!/usr/bin/env node
// Parallel region writing, zarrify vs xarray, in the same run: a template over the full time
// range, then 64 NetCDF-4 files written into their regions by 1 and by 2 workers
// (`zarrify run --jobs J` vs xarray's documented `to_zarr(compute=False)` +
// `to_zarr(region=...)` from a multiprocessing.Pool(J)). Time chunks equal the steps per file,
// so xarray's region writes are safe. Both: Zarr v2, Blosc zstd 3 + byte shuffle. Timed as child
// processes (template + writes + process start), outputs verified against the inputs.
//
// Then "the race": 40 one-step files into time chunks of 10 by 8 concurrent writers (zarrify:
// 8 concurrent `write-region` processes, vs xarray `safe_chunks=False` from a Pool(8)), counting
// the steps lost.
//
//   npm run bench:regions -- [--repeat N] [--only xarray|zarrify] [--no-goals] [--no-race] ...
//
// Writes bench/results-regions.md (overwritten) and prints it. Exit 1 when a tool fails, a
// verification fails, zarrify loses data in the race, or (unless --no-goals) a goal is missed.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  CLI,
  checklist,
  compareXarray,
  die,
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
  oneTool,
  PY,
  parallelCeiling,
  parseOptions,
  positiveInt,
  preflight,
  publish,
  ROOT,
  rssFootnote,
  runJson,
  SERIES_START,
  summarize,
  templateArgs,
  timedRun,
  verifyEncoding,
  versionLine,
  versions,
  warmCache,
  workload,
} from "./lib.mjs";

const START = SERIES_START;
const GOAL_SPEEDUP = 1.8; // issue 9
const GOAL_VS_XARRAY = 2;
// Cores used by other processes above which a run is flagged as disturbed.
const NOISY_CORES = 0.25;
const RACE = { files: 40, steps: 1, nlat: 91, nlon: 180, timeChunk: 10, jobs: 8 };

const USAGE = `usage: npm run bench:regions -- [options]
  --repeat N        runs per tool and job count (default 3); the median wall time is reported
  --only TOOL       xarray | zarrify: run one tool only (goals that need both are skipped)
  --jobs LIST       job counts to run (default 1,2)
  --files N         input files (default 64)
  --steps N         time steps per file = the time chunk (default 4; 6-hourly, a file per day)
  --nlat N --nlon N grid (default 721 x 1440, ERA5's 0.25 degrees); spatial chunks 181 x 360
  --no-race         skip the race test
  --no-breakdown    skip the in-process timing of zarrify's per-file phases
  --race-rounds N   rounds of the race test (default 3)
  --no-goals        report goals as PASS/MISS but exit 0 when only a goal is missed
  -h, --help        this text`;

const jobList = (v, flag) => [...new Set(v.split(",").map((s) => positiveInt(s, flag)))];

function parseArgs(argv) {
  const defaults = {
    repeat: 3,
    only: null,
    jobs: [1, 2],
    files: 64,
    steps: 4,
    nlat: 721,
    nlon: 1440,
    race: true,
    breakdown: true,
    raceRounds: 3,
    goals: true,
  };
  const o = parseOptions(argv, USAGE, defaults, {
    "--repeat": ["repeat", positiveInt],
    "--only": ["only", oneTool],
    "--jobs": ["jobs", jobList],
    "--files": ["files", positiveInt],
    "--steps": ["steps", positiveInt],
    "--nlat": ["nlat", positiveInt],
    "--nlon": ["nlon", positiveInt],
    "--no-race": ["race", false],
    "--no-breakdown": ["breakdown", false],
    "--race-rounds": ["raceRounds", positiveInt],
    "--no-goals": ["goals", false],
  });
  if (24 % o.steps !== 0) die("--steps must divide 24 (a file holds one day)");
  return o;
}

// ---------------------------------------------------------------- commands

function zarrifyRun(w, inputs, output, jobs) {
  return [
    process.execPath,
    CLI,
    "run",
    ...inputs,
    output,
    ...templateArgs(w),
    "--jobs",
    String(jobs),
    "--no-progress",
  ];
}

// The race's zarrify side: one template, then `jobs` concurrent write-region processes (xargs -P),
// each writing one file — as many writers as xarray's Pool, so both really race. (`run` would
// plan the files together in one process, and no chunk would be shared between writers.)
function zarrifyWriters(w, inputs, output, jobs) {
  const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)}`;
  const template = ["create-template", inputs[0], output, ...templateArgs(w)]
    .map((a) => JSON.stringify(a))
    .join(" ");
  const script = `${cli} ${template} >/dev/null && printf '%s\\0' "$@" | xargs -0 -P ${jobs} -I{} ${cli} write-region {} ${JSON.stringify(output)} --no-progress >/dev/null`;
  return ["sh", "-c", script, "sh", ...inputs];
}

function xarrayRun(w, inputs, output, jobs, unsafe = false) {
  return [
    PY,
    path.join(HERE, "xarray_regions.py"),
    "write",
    output,
    ...inputs,
    "--start",
    START,
    "--end",
    w.end,
    "--freq",
    w.freq,
    "--chunking",
    w.chunking,
    "--jobs",
    String(jobs),
    ...(unsafe ? ["--unsafe"] : []),
  ];
}

const TOOLS = { xarray: xarrayRun, zarrify: zarrifyRun };

/** What the tool says it did; undefined when it did not claim to write every file. */
function claimed(tool, stdout, nFiles) {
  if (tool === "zarrify") {
    const m =
      /(\d+) of (\d+) files written \((\d+) steps\), (\d+) skipped, (\d+) failed in ([\d.]+) s/.exec(
        stdout,
      );
    if (!m) return { problem: `no summary line in its output: ${stdout.trim().slice(-200)}` };
    const [written, files, steps, , failed, seconds] = m.slice(1).map(Number);
    if (written !== nFiles || files !== nFiles || failed !== 0)
      return { problem: `reported ${written} of ${files} files written, ${failed} failed` };
    return { steps, runS: seconds };
  }
  try {
    const j = JSON.parse(stdout.trim().split("\n").pop());
    if (j.files !== nFiles) return { problem: `reported ${j.files} files` };
    return { steps: j.steps, templateS: j.template_s, writeS: j.write_s };
  } catch {
    return { problem: `no JSON summary in its output: ${stdout.trim().slice(-200)}` };
  }
}

function chunkFiles(archive, name) {
  const dir = path.join(archive, name);
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).filter((f) => !f.startsWith(".")).length;
}

// ---------------------------------------------------------------- measuring

// ---------------------------------------------------------------- verifying

// xarray opening the archive must equal xarray concatenating the input files along time.
function verifyAgainstInputs(inputs, output) {
  return compareXarray(inputs, output, "--concat-dim", "time");
}

/** Steps holding no data (all NaN) and steps differing from the inputs, read with xarray. */
function lostSteps(archive, inputs) {
  return runJson([path.join(HERE, "xarray_regions.py"), "lost", archive, ...inputs]);
}

function zarrifyValidate(archive) {
  const r = spawnSync(process.execPath, [CLI, "validate", archive, "--json"], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) return { problem: `validate exited ${r.status}: ${r.stderr.trim()}` };
  try {
    const j = JSON.parse(r.stdout);
    return { missingSteps: j.missingSteps, complete: j.complete };
  } catch {
    return { problem: `validate printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
}

// ---------------------------------------------------------------- the fill benchmark

async function runFill(opts, tools) {
  const w = workload(opts.files, opts.steps, opts.nlat, opts.nlon, opts.steps, [181, 360]);
  const { paths: inputs, diskBytes } = ensureSeries(w, START);
  const res = { w, inputs, diskBytes, ceilings: [], configs: [] };
  for (const jobs of opts.jobs) {
    for (const tool of tools) {
      res.configs.push({
        tool,
        jobs,
        runs: [],
        failed: null,
        output: path.join(OUT, `regions-${tool}-j${jobs}.zarr`),
      });
    }
  }
  // Interleave tools and job counts so slow drift (noisy neighbours) hits all alike.
  for (let i = 0; i < opts.repeat; i++) {
    const ceiling = await parallelCeiling();
    if (ceiling !== undefined) res.ceilings.push(ceiling);
    console.error(`bench: round ${i + 1}/${opts.repeat}: 2-process ceiling ${fmtX(ceiling)}`);
    for (const c of res.configs) {
      if (c.failed) continue;
      const name = `${c.tool} --jobs ${c.jobs}`;
      const cmd = TOOLS[c.tool](w, inputs, c.output, c.jobs);
      const m = await timedRun(c, name, `${i + 1}/${opts.repeat}`, cmd, c.output, inputs);
      if (!m) continue;
      const said = claimed(c.tool, m.stdout, inputs.length);
      const onDisk = chunkFiles(c.output, "t2m");
      if (said.problem || said.steps !== w.nt || onDisk !== w.expectedChunkFiles) {
        // Cheap per-run check; the last run of each is verified value by value below.
        c.failed = `run ${i + 1}: ${said.problem ?? `${said.steps} steps`}, ${onDisk} of ${w.expectedChunkFiles} t2m chunks on disk`;
        console.error(`bench: ${c.tool} wrong: ${c.failed}`);
        continue;
      }
      m.inner = said;
      console.error(
        `bench:   ${m.wall.toFixed(2)} s, CPU ${m.cpu.toFixed(1)} s, ${(m.rss / MiB).toFixed(0)} MiB, others ${m.others.toFixed(2)} cores`,
      );
      c.runs.push(m);
    }
  }
  for (const c of res.configs) {
    if (c.failed || !c.runs.length) continue;
    summarize(c);
    console.error(`bench: verifying ${c.tool} --jobs ${c.jobs} against the inputs...`);
    c.verify = verifyAgainstInputs(inputs, c.output);
    c.encodingProblems = verifyEncoding(c.output, w.chunks);
  }
  return res;
}

// ---------------------------------------------------------------- the race

async function runRace(opts, tools) {
  const w = workload(RACE.files, RACE.steps, RACE.nlat, RACE.nlon, RACE.timeChunk, [
    RACE.nlat,
    RACE.nlon,
  ]);
  const { paths: inputs } = ensureSeries(w, START);
  const rounds = [];
  for (let i = 0; i < opts.raceRounds; i++) {
    const round = {};
    for (const tool of tools) {
      const output = path.join(OUT, `race-${tool}.zarr`);
      rmSync(output, { recursive: true, force: true });
      console.error(
        `bench: race round ${i + 1}/${opts.raceRounds}: ${tool}, ${RACE.jobs} writers...`,
      );
      const cmd =
        tool === "zarrify"
          ? zarrifyWriters(w, inputs, output, RACE.jobs)
          : xarrayRun(w, inputs, output, RACE.jobs, true);
      const m = await measure(cmd);
      if (!m.ok) {
        round[tool] = { failed: failure(m, 3) };
        continue;
      }
      const lost = lostSteps(output, inputs);
      const r = { wall: m.wall, lost };
      if (tool === "zarrify") r.validate = zarrifyValidate(output);
      console.error(
        `bench:   ${m.wall.toFixed(2)} s, ${lost.all_nan ?? "?"} of ${w.nt} steps without data, ${lost.differ ?? "?"} differ from the inputs`,
      );
      round[tool] = r;
    }
    rounds.push(round);
  }
  return { w, rounds };
}

// ---------------------------------------------------------------- where zarrify's time goes

// The steps of writeRegion (src/ops/region.ts), timed one by one in a single process with the
// same modules of the build under test: archive metadata, opening the file (h5wasm), the grid
// and time-axis checks, reading the data (h5wasm inflate), converting, encoding (shuffle +
// zstd), putting the chunks, the marker. Then writeRegion itself over the same files, so the sum
// of the steps can be checked against the real thing. The first file is reported apart: it pays
// for WebAssembly compilation and JIT warm-up, once per worker process.
const PHASES = [
  "archive metadata",
  "open NetCDF (h5wasm)",
  "grid check",
  "time axes + placing",
  "read t2m (h5wasm)",
  "convert",
  "encode (shuffle + zstd)",
  "put chunks",
  "marker",
  "close",
];

async function breakdownChild(spec) {
  const bootMs = performance.now();
  const dist = spec.dist;
  const t0 = performance.now();
  const mod = async (p) => import(path.join(dist, p));
  const [
    { writeRegion },
    { createTemplate },
    { openDataset },
    state,
    archive,
    read,
    values,
    array,
    keys,
    box,
    blocks,
    timeAxis,
    locate,
    fs,
    blockPlan,
    types,
  ] = await Promise.all(
    [
      "ops/region.js",
      "ops/template.js",
      "readers/index.js",
      "region/state.js",
      "zarr/archive.js",
      "zarr/read.js",
      "region/values.js",
      "zarr/array.js",
      "zarr/keys.js",
      "engine/box.js",
      "region/blocks.js",
      "region/time-axis.js",
      "region/locate.js",
      "zarr/store/fs.js",
      "plan/blocks.js",
      "dataset/types.js",
    ].map(mod),
  );
  const importMs = performance.now() - t0;
  const cfg = { chunking: spec.chunking, compression: "blosc:zstd:3", zarrFormat: 2 };
  const tOpen = performance.now();
  await (await openDataset(spec.inputs[0], {})).close();
  const firstOpenMs = performance.now() - tOpen;
  const template = async (out) => {
    rmSync(out, { recursive: true, force: true });
    const t = performance.now();
    await createTemplate({
      ...cfg,
      templateDataset: spec.inputs[0],
      outputPath: out,
      globalStart: START,
      globalEnd: spec.end,
      freq: spec.freq,
    });
    return performance.now() - t;
  };
  const templateMs = await template(spec.archive);
  const store = new fs.FsStore(spec.archive);
  const perFile = [];
  for (const f of spec.inputs) {
    const ms = {};
    let t = performance.now();
    const lap = (k) => {
      const n = performance.now();
      ms[k] = (ms[k] ?? 0) + n - t;
      t = n;
    };
    await archive.detectFormat(store);
    const info = await state.readTemplateInfo(store, spec.archive);
    const md = await archive.readArchiveMetadata(store);
    lap(PHASES[0]);
    const ds = await openDataset(f, {});
    lap(PHASES[1]);
    for (const [name, meta] of md.arrays) {
      if (meta.dimensionNames.length !== 1 || meta.dimensionNames[0] !== name) continue;
      if (name === info.timeDim) continue;
      const v = ds.variables.find((x) => x.name === name);
      await v.read([0], [v.shape[0]]);
      await read.readBox(store, meta, [0], [v.shape[0]]);
    }
    lap(PHASES[2]);
    const tm = md.arrays.get(info.timeVariable);
    const ours = timeAxis.timeAxisOf(
      await read.readBox(store, tm, [0], [tm.shape[0]]),
      tm.attrs,
      "",
    );
    const tv = ds.variables.find((x) => x.name === info.timeVariable);
    const theirs = timeAxis.timeAxisOf(await tv.read([0], [tv.shape[0]]), tv.attrs, f);
    const [run] = locate.locateRegion(theirs, ours, f);
    await read.readBox(store, tm, [run.archiveStart], [1]);
    await read.readBox(store, tm, [run.archiveStart + run.count - 1], [1]);
    lap(PHASES[3]);
    for (const name of info.regionArrays) {
      const meta = md.arrays.get(name);
      const v = ds.variables.find((x) => x.name === name);
      const src = values.storedForm(v.dtype, v.attrs);
      const dst = values.archiveForm(meta);
      const start = meta.dimensionNames.map((d) => (d === info.timeDim ? run.archiveStart : 0));
      const count = v.dims.map((d, i) => (d === info.timeDim ? run.count : v.shape[i]));
      const bs = blocks.regionBlocks(
        meta.chunks,
        start,
        count,
        types.DTYPE_SIZE[meta.dtype],
        blockPlan.DEFAULT_MAX_BLOCK_MB * MiB,
      );
      for (const b of bs) {
        const from = b.start.map((s, d) =>
          meta.dimensionNames[d] === info.timeDim ? s - run.archiveStart + run.sourceStart : s,
        );
        const raw = await v.read(from, b.count);
        lap(PHASES[4]);
        const conv = values.toArchive(raw, src, dst, name);
        lap(PHASES[5]);
        const parts = [];
        read.forEachChunkIn(meta.chunks, b.start, b.count, (p) => parts.push(p));
        const encoded = parts.map((p) => [
          keys.chunkKey(meta.zarrFormat, meta.path, p.index),
          array.encodeChunk(
            meta,
            box.extractBox(conv.data, b.count, p.inBox, p.count, meta.dtype, false),
            p.count,
          ),
        ]);
        lap(PHASES[6]);
        await Promise.all(encoded.map(([k, e]) => store.set(k, e)));
        lap(PHASES[7]);
      }
    }
    const st = statSync(f);
    await state.writeMarker(store, {
      input: path.resolve(f),
      size: st.size,
      mtimeMs: st.mtimeMs,
      runs: [[run.archiveStart, run.archiveStart + run.count]],
      written: new Date().toISOString(),
    });
    lap(PHASES[8]);
    await ds.close();
    lap(PHASES[9]);
    perFile.push(ms);
  }
  await template(spec.archive);
  const real = [];
  for (const f of spec.inputs) {
    const t = performance.now();
    await writeRegion(f, spec.archive, cfg);
    real.push(performance.now() - t);
  }
  rmSync(spec.archive, { recursive: true, force: true });
  return { bootMs, importMs, firstOpenMs, templateMs, perFile, writeRegionMs: real };
}

async function runBreakdown(fill) {
  const { w } = fill;
  const spec = {
    dist: path.resolve(path.dirname(CLI), ".."),
    inputs: fill.inputs,
    archive: path.join(OUT, "breakdown.zarr"),
    chunking: w.chunking,
    end: w.end,
    freq: w.freq,
  };
  console.error("bench: timing zarrify's per-file steps in one process...");
  warmCache(fill.inputs);
  const r = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), "--breakdown-child", JSON.stringify(spec)],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) return { problem: r.stderr.trim().split("\n").slice(-3).join(" | ") };
  return JSON.parse(r.stdout);
}

function breakdownLines(b, w) {
  const lines = ["", "## Where zarrify's time goes", ""];
  if (b.problem) {
    lines.push(`(the breakdown failed: ${b.problem})`);
    return lines;
  }
  const steady = b.perFile.slice(1);
  const first = b.perFile[0];
  const total = (ms) => PHASES.reduce((n, k) => n + (ms[k] ?? 0), 0);
  const steadyMedian = median(steady.map(total));
  lines.push(
    `The steps of \`writeRegion\` timed one by one in one process (same build, same modules; \`--no-breakdown\` skips this), over the ${w.files} files. Steady state = files 2..${w.files}; the first file pays for WebAssembly compilation and JIT warm-up, once per process.`,
  );
  lines.push("");
  lines.push("| step | first file ms | steady median ms | steady min ms | share of steady |");
  lines.push("|---|---|---|---|---|");
  for (const k of PHASES) {
    const xs = steady.map((ms) => ms[k] ?? 0);
    const med = median(xs);
    lines.push(
      `| ${k} | ${(first[k] ?? 0).toFixed(1)} | ${med.toFixed(1)} | ${Math.min(...xs).toFixed(1)} | ${((100 * med) / steadyMedian).toFixed(0)} % |`,
    );
  }
  lines.push(
    `| **per file** | ${total(first).toFixed(0)} | ${steadyMedian.toFixed(1)} | ${Math.min(...steady.map(total)).toFixed(1)} | ${fmtMB(w.bytes / w.files / (steadyMedian / 1000))} MB/s per process |`,
  );
  const real = b.writeRegionMs;
  lines.push("");
  lines.push(
    `- \`writeRegion\` itself on the same files, same process: first ${real[0].toFixed(0)} ms, then median ${median(real.slice(1)).toFixed(1)} ms per file (the steps above sum to ${steadyMedian.toFixed(1)}).`,
  );
  lines.push(
    `- once per process: Node start ${b.bootMs.toFixed(0)} ms, importing zarrify's modules ${b.importMs.toFixed(0)} ms, first HDF5 open (h5wasm instantiation) ${b.firstOpenMs.toFixed(0)} ms, then the first file ${(total(first) - steadyMedian).toFixed(0)} ms slower than the steady state. \`run\` pays this in its own process (for the template: ${b.templateMs.toFixed(0)} ms with h5wasm warm) and again in every worker.`,
  );
  return lines;
}

// ---------------------------------------------------------------- report

const fmtX = (x) => (x === undefined ? "?" : `${x.toFixed(2)}×`);

function report(fill, race, breakdown, info, opts) {
  const lines = [];
  const { check, goal, finish } = checklist();
  const { w } = fill;
  lines.push("# zarrify region-writing benchmark");
  lines.push("");
  lines.push(
    `${machineLine()}; load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; the bench took ${info.seconds.toFixed(0)} s.`,
  );
  lines.push(versionLine(info));
  lines.push("");
  lines.push(
    `Task: fill a Zarr v2 template from ${w.files} NetCDF-4 files (\`bench/make_series.py\`), each ${w.steps} step(s) of float32 \`t2m(time, lat=${w.nlat}, lon=${w.nlon})\` every ${w.stepHours} h (deflate 4 + shuffle, chunks 1×${w.nlat}×${w.nlon}; ${fmtMB(w.bytes / w.files)} MB per file uncompressed, ${fmtMB(fill.diskBytes / w.files)} MB on disk), ${w.nt} steps ${START} .. ${w.end}. Archive chunks ${w.chunks.join("×")} (time chunk = steps per file, so every region is whole chunks), Blosc zstd 3 + byte shuffle, consolidated metadata.`,
  );
  lines.push(
    `zarrify: \`zarrify run FILES OUT --global-start ${START} --global-end ${w.end} --freq ${w.freq} --chunking ${w.chunking} --compression blosc:zstd:3 --zarr-format 2 --jobs J\` (template from the first file, then all files planned together on J worker threads). xarray: \`bench/xarray_regions.py\`: template \`to_zarr(compute=False)\` over the full time axis, then per file \`open_dataset(f).drop_vars(lat, lon).to_zarr(region={"time": slice(a, b)})\` from a \`multiprocessing.Pool(J)\`.`,
  );
  lines.push(
    "Wall time, CPU time (user + sys, workers included) and peak RSS from GNU `time` around each whole command (process start, template and writes; inputs in the page cache); wall and CPU are medians of the runs, RSS the maximum. MB/s = uncompressed MB (10^6 B) of t2m / wall s. *others* = CPU cores busy with other processes during the run (from /proc/stat): this machine is shared, and a busy neighbour takes away what a second job could gain.",
  );
  lines.push("");
  lines.push(
    "| tool | jobs | wall s (median) | files/s | MB/s | peak RSS MiB | CPU s | others (cores) |",
  );
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const c of fill.configs) {
    if (c.failed || c.wall === undefined) {
      lines.push(`| ${c.tool} | ${c.jobs} | failed | | | | | |`);
      continue;
    }
    lines.push(
      `| ${c.tool} | ${c.jobs} | ${c.wall.toFixed(2)} | ${(w.files / c.wall).toFixed(1)} | ${(w.bytes / 1e6 / c.wall).toFixed(0)} | ${fmtRss(c)} | ${c.cpu.toFixed(1)} | ${c.others.toFixed(2)} |`,
    );
  }
  if (fill.configs.some((c) => c.rssFromTree)) rssFootnote(lines, "the worker processes");
  const get = (tool, jobs) =>
    fill.configs.find((c) => c.tool === tool && c.jobs === jobs && c.wall !== undefined);
  const ceiling = fill.ceilings.length ? median(fill.ceilings) : undefined;
  lines.push("");
  const [j1, j2] = [Math.min(...opts.jobs), Math.max(...opts.jobs)];
  const speedups = [];
  for (const tool of ["zarrify", "xarray"]) {
    const a = get(tool, j1);
    const b = get(tool, j2);
    if (a && b && j1 !== j2) {
      speedups.push({ tool, x: a.wall / b.wall });
      lines.push(`- ${tool}: speed-up ${j1} → ${j2} jobs ${fmtX(a.wall / b.wall)}`);
    }
  }
  for (const j of opts.jobs) {
    const z = get("zarrify", j);
    const x = get("xarray", j);
    if (z && x) lines.push(`- ${j} job(s): zarrify ${fmtX(x.wall / z.wall)} as fast as xarray`);
  }
  const busyRuns = fill.configs.flatMap((c) => c.runs).filter((m) => m.others > NOISY_CORES);
  if (busyRuns.length) {
    lines.push(
      `- **noisy:** in ${busyRuns.length} of ${fill.configs.reduce((n, c) => n + c.runs.length, 0)} runs other processes kept more than ${NOISY_CORES} of the 2 cores busy (see *Runs*); those runs measure the neighbours as much as the tools`,
    );
  }
  lines.push(
    `- what 2 processes could get from this machine (a CPU-bound loop, 2 copies vs 1, before each round): ${fill.ceilings.map(fmtX).join(", ") || "?"} (median ${fmtX(ceiling)})`,
  );

  if (race) {
    lines.push("");
    lines.push("## The race: regions that share chunks");
    lines.push("");
    lines.push(
      `${race.w.files} files of one daily step each (${race.w.nlat}×${race.w.nlon}), archive time chunks of ${RACE.timeChunk}: every chunk is shared by ${RACE.timeChunk} files. ${RACE.jobs} concurrent writers: \`zarrify create-template\` then ${RACE.jobs} concurrent \`zarrify write-region\` processes (shared chunks merged under compare-and-swap) vs xarray \`to_zarr(region=..., safe_chunks=False)\` from a \`Pool(${RACE.jobs})\` (zarr-python read-modify-write, no lock). Lost = time steps holding no data afterwards (all NaN, read with xarray); zarrify's own \`validate --json\` must agree.`,
    );
    lines.push("");
    lines.push(
      "| round | zarrify steps lost | xarray steps lost | zarrify wall s | xarray wall s |",
    );
    lines.push("|---|---|---|---|---|");
    race.rounds.forEach((r, i) => {
      const cell = (t) =>
        !r[t] ? "–" : r[t].failed ? "failed" : `${r[t].lost.all_nan ?? "?"} of ${race.w.nt}`;
      const wall = (t) => (!r[t] || r[t].failed ? "–" : r[t].wall.toFixed(2));
      lines.push(
        `| ${i + 1} | ${cell("zarrify")} | ${cell("xarray")} | ${wall("zarrify")} | ${wall("xarray")} |`,
      );
    });
  }

  if (breakdown) lines.push(...breakdownLines(breakdown, w));

  lines.push("");
  lines.push("## Runs");
  lines.push(
    `- inputs: ${path.relative(ROOT, w.dir)}/, ${w.files} files, ${fmtMB(fill.diskBytes)} MB on disk, ${fmtMB(w.bytes)} MB uncompressed`,
  );
  for (const c of fill.configs) {
    if (c.failed) {
      lines.push(`- ${c.tool} --jobs ${c.jobs}: FAILED ${c.failed}`);
      continue;
    }
    const runs = c.runs
      .map((m) => {
        const inner =
          m.inner?.templateS !== undefined
            ? ` (template ${m.inner.templateS.toFixed(2)} + writes ${m.inner.writeS.toFixed(2)})`
            : m.inner?.runS !== undefined
              ? ` (${m.inner.runS.toFixed(1)} by its own clock)`
              : "";
        return `${m.wall.toFixed(2)} s${inner}/CPU ${m.cpu.toFixed(1)} s/${(m.rss / MiB).toFixed(0)} MiB/others ${m.others.toFixed(2)}`;
      })
      .join(", ");
    lines.push(`- ${c.tool} --jobs ${c.jobs}: ${runs}`);
  }

  // checks: correctness first (FAIL), then goals (MISS)
  for (const c of fill.configs) {
    const name = `${c.tool} --jobs ${c.jobs}`;
    if (c.failed) {
      check(false, `${name} ran and wrote every file (${c.failed})`);
      continue;
    }
    const v = c.verify;
    check(
      v.ok,
      `${name}: archive opens in xarray equal to the ${w.files} inputs concatenated${v.ok ? "" : `: ${v.differences.slice(0, 3).join("; ")}`}`,
    );
    check(
      !c.encodingProblems.length,
      `${name}: chunks ${w.chunks.join("×")}, blosc zstd 3 shuffle, <f4${c.encodingProblems.length ? `: ${c.encodingProblems.join(", ")}` : ""}`,
    );
  }
  if (race) {
    race.rounds.forEach((r, i) => {
      const z = r.zarrify;
      if (z) {
        if (z.failed) check(false, `race round ${i + 1}: zarrify ran (${z.failed})`);
        else {
          const vOk = z.validate && !z.validate.problem && z.validate.missingSteps === 0;
          check(
            z.lost.all_nan === 0 && z.lost.differ === 0 && vOk,
            `race round ${i + 1}: zarrify lost no step (${z.lost.all_nan ?? "?"} without data, ${z.lost.differ ?? "?"} differing from the inputs; validate: ${z.validate.problem ?? `${z.validate.missingSteps} missing`})`,
          );
        }
      }
      const x = r.xarray;
      if (x?.failed) check(false, `race round ${i + 1}: xarray ran (${x.failed})`);
    });
  }
  const zs = speedups.find((s) => s.tool === "zarrify");
  goal(
    zs ? zs.x >= GOAL_SPEEDUP : null,
    `zarrify speed-up ${j1} → ${j2} jobs ≥ ${GOAL_SPEEDUP}× (${zs ? fmtX(zs.x) : "needs zarrify at both job counts"}; machine's 2-process ceiling ${fmtX(ceiling)})`,
  );
  for (const j of opts.jobs) {
    const z = get("zarrify", j);
    const x = get("xarray", j);
    goal(
      z && x ? x.wall / z.wall >= GOAL_VS_XARRAY : null,
      `zarrify ≥ ${GOAL_VS_XARRAY}× as fast as xarray at ${j} job(s) (${z && x ? `${fmtX(x.wall / z.wall)}: ${z.wall.toFixed(2)} s vs ${x.wall.toFixed(2)} s` : "needs both tools"})`,
    );
  }
  return finish(lines);
}

// ---------------------------------------------------------------- main

async function main() {
  if (process.argv[2] === "--breakdown-child") {
    console.log(JSON.stringify(await breakdownChild(JSON.parse(process.argv[3]))));
    return;
  }
  const started = performance.now();
  const opts = parseArgs(process.argv.slice(2));
  preflight({
    modules: "xarray, dask, zarr, numcodecs, netCDF4, pandas",
    needCli: opts.only !== "xarray",
    cliHint: ", or use --only xarray",
  });
  const tools = opts.only ? [opts.only] : ["xarray", "zarrify"];
  const fill = await runFill(opts, tools);
  const race = opts.race ? await runRace(opts, tools) : undefined;
  const breakdown =
    opts.breakdown && tools.includes("zarrify") ? await runBreakdown(fill) : undefined;
  const info = { ...versions(), seconds: (performance.now() - started) / 1000 };
  const { text, failed, missed } = report(fill, race, breakdown, info, opts);
  publish("results-regions.md", text);
  process.exitCode = failed || (missed && opts.goals) ? 1 : 0;
}

await main();
