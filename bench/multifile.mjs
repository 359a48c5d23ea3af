#!/usr/bin/env node
// Multi-file convert, zarrify vs xarray, in the same run: N daily NetCDF-4 files of one time step
// each (bench/make_series.py) into one Zarr v2 archive, chunks 24×180×360, Blosc zstd 3 + byte
// shuffle. zarrify: `zarrify convert FILES OUT` (all cores); xarray: `xr.open_mfdataset(FILES)`
// rechunked to 24 steps, then `to_zarr` (bench/xarray_mfconvert.py). Both timed as child
// processes with peak RSS, both outputs verified against the inputs concatenated along time, and
// zarrify's bytes written (its own -v summary) compared with the archive's chunk files. Beside
// them the codec limit (codec_limit.py) on one file holding the same N steps.
//
//   npm run bench:multifile -- [--files N] [--repeat N] [--only xarray|zarrify] [--no-goals]
//
// Writes bench/results-multifile.md (overwritten) and prints it. Exit 1 when a tool fails or a
// verification fails, or (unless --no-goals) a goal is missed.
import { existsSync, readdirSync, statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import {
  CHUNKING,
  CLI,
  checklist,
  codecLimit,
  compareXarray,
  duBytes,
  EXPECTED_CHUNKS,
  ensureSeries,
  fmtMB,
  fmtRss,
  HERE,
  MiB,
  machineLine,
  median,
  NLAT,
  NLON,
  OUT,
  oneTool,
  PY,
  parseOptions,
  positiveInt,
  preflight,
  publish,
  ROOT,
  rawBytes,
  rssFootnote,
  runJson,
  SERIES_START,
  seriesDir,
  summarize,
  timedRun,
  verifyEncoding,
  versionLine,
  versions,
  warmCache,
} from "./lib.mjs";

// Goals (issue): zarrify's wall ≤ 0.5× xarray's; bytes it writes ≤ 1.1× the archive's chunk files.
const GOAL_WALL = 0.5;
const GOAL_BYTES = 1.1;
// Cores used by other processes above which a run is flagged as disturbed.
const NOISY_CORES = 0.25;

const USAGE = `usage: npm run bench:multifile -- [options]
  --files N         daily input files of one step each (default 32)
  --repeat N        runs per tool (default 3); the median wall time is reported
  --only TOOL       xarray | zarrify: run one tool only (goals that need both are skipped)
  --xarray-args S   extra arguments for xarray_mfconvert.py, e.g. "--combine nested --minimal"
                    (its other configurations; see bench/README.md)
  --no-codec-limit  do not run codec_limit.py
  --no-goals        report goals as PASS/MISS but exit 0 when only a goal is missed
  -h, --help        this text`;

function parseArgs(argv) {
  const defaults = {
    files: 32,
    repeat: 3,
    only: null,
    xarrayArgs: [],
    codecLimit: true,
    goals: true,
  };
  return parseOptions(argv, USAGE, defaults, {
    "--files": ["files", positiveInt],
    "--repeat": ["repeat", positiveInt],
    "--only": ["only", oneTool],
    "--xarray-args": ["xarrayArgs", (v) => v.split(/\s+/).filter(Boolean)],
    "--no-codec-limit": ["codecLimit", false],
    "--no-goals": ["goals", false],
  });
}

// ---------------------------------------------------------------- workload

/** files × steps daily steps of t2m on the 0.25° grid, as make_series.py writes them. */
function series(files, steps) {
  return {
    files,
    steps,
    nlat: NLAT,
    nlon: NLON,
    stepHours: 24,
    bytes: rawBytes(files * steps),
    dir: seriesDir(files, steps, NLAT, NLON),
  };
}

// zarrify's t2m chunks: 24 steps, or all of them when there are fewer (it never makes a chunk
// longer than its dimension); xarray's: 24 steps whatever the length.
const zarrifyChunks = (nt) => [Math.min(nt, EXPECTED_CHUNKS[0]), ...EXPECTED_CHUNKS.slice(1)];
const chunksOf = (tool, nt) => (tool === "zarrify" ? zarrifyChunks(nt) : EXPECTED_CHUNKS);

const t2mChunkFiles = (nt) =>
  [nt, NLAT, NLON].reduce((n, len, d) => n * Math.ceil(len / EXPECTED_CHUNKS[d]), 1);

// ---------------------------------------------------------------- commands

const TOOLS = {
  zarrify: (inputs, output) => [
    process.execPath,
    CLI,
    "convert",
    ...inputs,
    output,
    "--zarr-format",
    "2",
    "--compression",
    "blosc:zstd:3",
    "--chunking",
    CHUNKING,
    "-v",
  ],
  xarray: (inputs, output, extra) => [
    PY,
    path.join(HERE, "xarray_mfconvert.py"),
    output,
    ...inputs,
    "--time-chunk",
    String(EXPECTED_CHUNKS[0]),
    ...extra,
  ],
};

const ZARRIFY_SUMMARY =
  /convert: (\d+) file\(s\): (\d+) chunks \((\d+) shared, (\d+) conflicts redone\), ([\d.]+) MiB in ([\d.]+) s/;

/** What the tool says it did: zarrify's -v summary line, xarray_mfconvert.py's JSON line. */
function claimed(tool, m, nFiles) {
  if (tool === "zarrify") {
    const hit = ZARRIFY_SUMMARY.exec(m.stderr);
    if (!hit) return { problem: `no summary line in its log: ${m.stderr.trim().slice(-200)}` };
    const [files, chunks, shared, conflicts, mib, seconds] = hit.slice(1).map(Number);
    if (files !== nFiles) return { problem: `converted ${files} of ${nFiles} files` };
    return { chunks, shared, conflicts, written: mib * MiB, seconds };
  }
  try {
    const j = JSON.parse(m.stdout.trim().split("\n").pop());
    if (j.files !== nFiles) return { problem: `opened ${j.files} of ${nFiles} files` };
    return { openS: j.open_s, writeS: j.write_s, config: j.config };
  } catch {
    return { problem: `no JSON summary in its output: ${m.stdout.trim().slice(-200)}` };
  }
}

/**
 * The archive's size: du (every file: metadata, zarrify's markers) and its chunk files (every
 * file not starting with "." under an array directory, which does not either), all arrays' and
 * t2m's alone.
 */
function archiveSizes(archive) {
  const s = { du: 0, chunks: 0, t2m: 0, t2mFiles: 0 };
  if (!existsSync(archive)) return s;
  s.du = duBytes(archive);
  const walk = (dir, array) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, array ?? e.name);
      else if (array !== undefined) {
        const size = statSync(p).size;
        s.chunks += size;
        if (array === "t2m") {
          s.t2m += size;
          s.t2mFiles++;
        }
      }
    }
  };
  walk(archive, undefined);
  return s;
}

// ---------------------------------------------------------------- running

async function runBench(opts, tools) {
  const w = series(opts.files, 1);
  const { paths: inputs, diskBytes } = ensureSeries(w, SERIES_START);
  const res = { w, inputs, diskBytes, tools: {}, limits: [], xarrayArgs: opts.xarrayArgs };
  // The codec limit's input: the same N steps in one file (make_series.py --files 1 --steps N
  // writes the same values, chunks and filters), so the same source chunks to inflate and the
  // same output chunks to compress as the conversions.
  let limitInput;
  if (opts.codecLimit) {
    const one = series(1, opts.files);
    limitInput = ensureSeries(one, SERIES_START).paths[0];
    res.limitInput = limitInput;
  }
  for (const t of tools) {
    res.tools[t] = { runs: [], failed: null, output: path.join(OUT, `multifile-${t}.zarr`) };
  }
  // Interleave the tools and the codec limit so slow drift (noisy neighbours) hits all alike.
  for (let i = 0; i < opts.repeat; i++) {
    const round = `${i + 1}/${opts.repeat}`;
    for (const t of tools) {
      const r = res.tools[t];
      if (r.failed) continue;
      const cmd = TOOLS[t](inputs, r.output, opts.xarrayArgs);
      const m = await timedRun(r, t, round, cmd, r.output, inputs);
      if (!m) continue;
      const said = claimed(t, m, inputs.length);
      const sizes = archiveSizes(r.output);
      const want = t2mChunkFiles(w.files);
      if (said.problem || sizes.t2mFiles !== want) {
        // Cheap per-run check; the last run of each is verified value by value below.
        r.failed = `run ${round}: ${said.problem ?? "ok"}, ${sizes.t2mFiles} of ${want} t2m chunks on disk`;
        console.error(`bench: ${t} wrong: ${r.failed}`);
        continue;
      }
      m.inner = said;
      m.sizes = sizes;
      const bytes =
        t === "zarrify"
          ? `, wrote ${(said.written / MiB).toFixed(1)} MiB for ${(sizes.chunks / MiB).toFixed(1)} MiB of chunks`
          : "";
      console.error(
        `bench:   ${m.wall.toFixed(2)} s, CPU ${m.cpu.toFixed(1)} s, ${(m.rss / MiB).toFixed(0)} MiB, others ${m.others.toFixed(2)} cores${bytes}`,
      );
      r.runs.push(m);
    }
    if (limitInput && !res.limitFailed) {
      warmCache(limitInput);
      console.error(`bench: codec limit run ${round}...`);
      const l = codecLimit(limitInput, { chunks: zarrifyChunks(w.files) });
      if (l.failed) {
        res.limitFailed = l.failed;
        console.error(`bench: codec_limit.py failed: ${l.failed}`);
      } else {
        console.error(
          `bench:   ${l.limit_s.toFixed(2)} s (inflate ${l.inflate_s.toFixed(2)} s + compress ${l.compress_s.toFixed(2)} s)`,
        );
        res.limits.push(l);
      }
    }
  }
  if (res.limits.length && !res.limitFailed) {
    const ls = res.limits;
    res.limit = {
      ...ls[0],
      runs: ls.map((l) => l.limit_s),
      inflate_s: median(ls.map((l) => l.inflate_s)),
      compress_s: median(ls.map((l) => l.compress_s)),
      limit_s: median(ls.map((l) => l.limit_s)),
    };
  }
  for (const t of tools) {
    const r = res.tools[t];
    if (r.failed || !r.runs.length) continue;
    summarize(r);
    console.error(`bench: verifying ${t}'s archive against the ${inputs.length} inputs...`);
    r.verify = compareXarray(inputs, r.output, "--concat-dim", "time");
    r.encodingProblems = verifyEncoding(r.output, chunksOf(t, w.files));
  }
  const z = res.tools.zarrify;
  const x = res.tools.xarray;
  if (z?.verify && x?.verify) {
    console.error("bench: comparing zarrify's archive with xarray's...");
    res.equal = runJson([path.join(HERE, "compare_outputs.py"), z.output, x.output]);
  }
  return res;
}

// ---------------------------------------------------------------- report

const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const mib = (b) => (b / MiB).toFixed(1);
const ran = (r) => r && !r.failed && r.wall !== undefined;

/** open_mfdataset's call and the scheduler, as xarray_mfconvert.py reports its configuration. */
function xarrayWhat(x) {
  const c = x?.runs[0]?.inner.config;
  if (!c) return "`xr.open_mfdataset(FILES, …)`";
  const kw = [`combine="${c.combine}"`];
  if (c.combine === "nested") kw.push('concat_dim="time"');
  kw.push(`parallel=${c.parallel ? "True" : "False"}`);
  if (c.chunks === "empty") kw.push("chunks={}");
  if (c.minimal) kw.push('data_vars="minimal", coords="minimal", compat="override"');
  return `\`xr.open_mfdataset(FILES, ${kw.join(", ")})\` (one dask chunk per file) on dask's ${c.scheduler === "sync" ? "synchronous" : "threaded"} scheduler`;
}

function report(res, info) {
  const lines = [];
  const { check, goal, finish } = checklist();
  const { w, tools } = res;
  const z = tools.zarrify;
  const x = tools.xarray;
  const cores = cpus().length;
  lines.push("# zarrify multi-file convert benchmark");
  lines.push("");
  lines.push(
    `${machineLine()}; load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; the bench took ${info.seconds.toFixed(0)} s.`,
  );
  lines.push(versionLine(info));
  lines.push("");
  lines.push(
    `Task: ${w.files} daily NetCDF-4 files (\`bench/make_series.py\`, one time step each from ${SERIES_START}) of float32 \`t2m(time, lat=${NLAT}, lon=${NLON})\` (deflate 4 + shuffle, chunks 1×${NLAT}×${NLON}; ${fmtMB(w.bytes / w.files)} MB per file uncompressed, ${fmtMB(res.diskBytes / w.files)} MB on disk) → one Zarr v2 archive of ${w.files} steps, chunks ${EXPECTED_CHUNKS.join("×")} (${t2mChunkFiles(w.files)} t2m chunks, each shared by up to ${Math.min(w.files, EXPECTED_CHUNKS[0])} files; with fewer than ${EXPECTED_CHUNKS[0]} files zarrify's time chunk is the file count, xarray's stays ${EXPECTED_CHUNKS[0]}), Blosc zstd level 3 + byte shuffle, consolidated metadata.`,
  );
  lines.push(
    `zarrify: \`zarrify convert FILES OUT --zarr-format 2 --compression blosc:zstd:3 --chunking ${CHUNKING} -v\` (jobs: all ${cores} cores). xarray: \`bench/xarray_mfconvert.py OUT FILES --time-chunk ${EXPECTED_CHUNKS[0]}${res.xarrayArgs.map((a) => ` ${a}`).join("")}\`: ${xarrayWhat(x)}, \`.chunk({"time": ${EXPECTED_CHUNKS[0]}})\`, \`to_zarr(encoding=…)\`${res.xarrayArgs.length ? "" : " (its default; no other configuration was measurably faster, see bench/README.md)"}.`,
  );
  lines.push(
    "Wall time, CPU time (user + sys) and peak RSS from GNU `time` around each whole command (process start included; inputs in the page cache, output deleted first); wall and CPU are medians of the runs, RSS the maximum. MB/s = uncompressed MB (10^6 B) of t2m / wall s. *others* = CPU cores busy with other processes during the run (from /proc/stat).",
  );
  if (res.limit) {
    const l = res.limit;
    const warm = Math.min(l.source_chunks, 2 * l.procs);
    lines.push(
      `Codec limit (\`bench/codec_limit.py\`, once per round, interleaved with the conversions, median): run on \`${path.relative(ROOT, res.limitInput)}\`, one file holding the same ${w.files} steps (\`make_series.py --files 1 --steps ${w.files}\`: the same values, chunks and filters), because the tool reads one file and, on a file of one chunk, its warm-up pass leaves that chunk in libhdf5's chunk cache, so per-file runs would time no inflation at all. On a pool of ${l.procs} fork()ed single-threaded processes: (1) every source chunk read with netCDF4 (libhdf5 read + zlib inflate + unshuffle) + (2) every output chunk of zarrify's archive (${zarrifyChunks(w.files).join("×")}, edge chunks padded as stored) compressed with numcodecs' c-blosc zstd 3 + shuffle; limit = (1) + (2). Not scaled: the same chunks in and out as the conversions. Not included: opening ${w.files} files, writing, metadata. Up to ${warm} of the ${l.source_chunks} source chunks may come from the chunk cache of the warm-up pass (as in \`npm run bench\`).`,
    );
  }
  lines.push("");
  lines.push(
    "| configuration | wall s (median) | files/s | MB/s | peak RSS MiB | CPU s | others (cores) | zarrify ÷ this |",
  );
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const [t, r] of Object.entries(tools)) {
    const label = t === "zarrify" ? "zarrify convert" : "xarray open_mfdataset + to_zarr";
    if (!ran(r)) {
      lines.push(`| ${label} | failed | | | | | | |`);
      continue;
    }
    const rel =
      t !== "zarrify" && ran(z) ? `wall ${ratio(z.wall, r.wall)}, RSS ${ratio(z.rss, r.rss)}` : "";
    lines.push(
      `| ${label} | ${r.wall.toFixed(2)} | ${(w.files / r.wall).toFixed(1)} | ${(w.bytes / 1e6 / r.wall).toFixed(0)} | ${fmtRss(r)} | ${r.cpu.toFixed(1)} | ${r.others.toFixed(2)} | ${rel} |`,
    );
  }
  if (res.limit) {
    const l = res.limit;
    const rel = ran(z) ? `wall ${ratio(z.wall, l.limit_s)}` : "";
    lines.push(
      `| codec limit: native inflate ${l.inflate_s.toFixed(2)} s + blosc ${l.compress_s.toFixed(2)} s, ${l.procs} processes, same ${w.files} steps in one file | ${l.limit_s.toFixed(2)} | | ${(w.bytes / 1e6 / l.limit_s).toFixed(0)} | | | | ${rel} |`,
    );
  }
  if (Object.values(tools).some((r) => r.rssFromTree)) rssFootnote(lines);
  lines.push("");
  if (ran(z) && ran(x)) {
    lines.push(
      `- zarrify ${ratio(x.wall, z.wall)} as fast as xarray (${z.wall.toFixed(2)} s vs ${x.wall.toFixed(2)} s)`,
    );
  }
  const allRuns = Object.values(tools).flatMap((r) => r.runs);
  const busy = allRuns.filter((m) => m.others > NOISY_CORES);
  if (busy.length) {
    lines.push(
      `- **noisy:** in ${busy.length} of ${allRuns.length} runs other processes kept more than ${NOISY_CORES} of the ${cores} cores busy (see *Runs*); those runs measure the neighbours as much as the tools`,
    );
  }

  // bytes written
  let worstBytes;
  if (z?.runs.length) {
    lines.push("");
    lines.push("## Bytes written by zarrify");
    lines.push("");
    lines.push(
      `*written*: the MiB in zarrify's own final \`-v\` line (\`convert: N file(s): C chunks (M shared, K conflicts redone), X MiB in S s\`, to 0.1 MiB): the bytes of the chunks it stored, counting each store again when a shared chunk is written more than once. *chunk files*: the sizes of every chunk file of the archive it left (all arrays; t2m's alone beside), *du*: every file of the archive (metadata and zarrify's per-file markers too). written ÷ chunk files = 1.00 when every chunk is stored once.`,
    );
    lines.push("");
    lines.push(
      "| run | written MiB | chunk files MiB (t2m) | du MiB | written ÷ chunk files | chunks (shared, conflicts redone) |",
    );
    lines.push("|---|---|---|---|---|---|");
    z.runs.forEach((m, i) => {
      const { inner: c, sizes: s } = m;
      const q = c.written / s.chunks;
      worstBytes = Math.max(worstBytes ?? 0, q);
      lines.push(
        `| ${i + 1} | ${mib(c.written)} | ${mib(s.chunks)} (${mib(s.t2m)}) | ${mib(s.du)} | ${q.toFixed(3)} | ${c.chunks} (${c.shared}, ${c.conflicts}) |`,
      );
    });
  }

  lines.push("");
  lines.push("## Runs");
  lines.push(
    `- inputs: ${path.relative(ROOT, w.dir)}/, ${w.files} files, ${fmtMB(res.diskBytes)} MB on disk, ${fmtMB(w.bytes)} MB uncompressed`,
  );
  for (const [t, r] of Object.entries(tools)) {
    if (r.failed) {
      lines.push(`- ${t}: FAILED ${r.failed}`);
      continue;
    }
    const runs = r.runs
      .map((m) => {
        const own =
          t === "zarrify"
            ? ` (${m.inner.seconds.toFixed(2)} by its own clock)`
            : ` (open ${m.inner.openS.toFixed(2)} + write ${m.inner.writeS.toFixed(2)})`;
        return `${m.wall.toFixed(2)} s${own}/CPU ${m.cpu.toFixed(1)} s/${(m.rss / MiB).toFixed(0)} MiB/others ${m.others.toFixed(2)}`;
      })
      .join(", ");
    const last = r.runs.at(-1)?.sizes;
    lines.push(
      `- ${t}: ${runs}${last ? `; archive ${fmtMB(last.du)} MB on disk, ${fmtMB(last.chunks)} MB of chunk files` : ""}`,
    );
  }
  if (res.limitFailed) lines.push(`- codec limit: FAILED ${res.limitFailed}`);
  else if (res.limit) {
    const l = res.limit;
    const mb = w.bytes / 1e6;
    lines.push(
      `- codec limit: ${l.runs.map((s) => `${s.toFixed(2)} s`).join(", ")}; inflate ${l.source_chunks} source chunks in ${l.inflate_s.toFixed(3)} s (${(mb / l.inflate_s).toFixed(0)} MB/s), compress ${l.output_chunks} output chunks ${l.output_chunk_shape.join("×")} (${fmtMB(l.output_chunk_bytes)} MB with padding → ${fmtMB(l.compressed_bytes)} MB) in ${l.compress_s.toFixed(3)} s (${(mb / l.compress_s).toFixed(0)} MB/s of t2m); libhdf5 ${l.versions.libhdf5}, c-blosc ${l.versions.blosc}`,
    );
  }

  // checks: correctness first (FAIL), then goals (MISS)
  for (const [t, r] of Object.entries(tools)) {
    if (r.failed) {
      check(false, `${t} ran and converted every file (${r.failed})`);
      continue;
    }
    const v = r.verify;
    check(
      v.ok,
      `${t}: archive opens in xarray equal to the ${w.files} inputs concatenated along time${v.ok ? "" : `: ${v.differences.slice(0, 3).join("; ")}`}`,
    );
    check(
      !r.encodingProblems.length,
      `${t}: chunks ${chunksOf(t, w.files).join("×")}, blosc zstd 3 shuffle, <f4${r.encodingProblems.length ? `: ${r.encodingProblems.join(", ")}` : ""}`,
    );
  }
  if (res.equal) {
    const e = res.equal;
    check(
      e.ok,
      `zarrify's and xarray's archives hold identical data${e.ok ? "" : `: ${e.differences.slice(0, 3).join("; ")}`}`,
    );
  }
  if (res.limitFailed) check(false, `codec_limit.py ran (${res.limitFailed})`);
  const both = ran(z) && ran(x);
  goal(
    both ? z.wall <= GOAL_WALL * x.wall : null,
    `zarrify wall ≤ ${GOAL_WALL}× xarray's${both ? ` (${z.wall.toFixed(2)} s vs ${x.wall.toFixed(2)} s: ${ratio(z.wall, x.wall)})` : " (needs both tools)"}`,
  );
  goal(
    worstBytes === undefined || z?.failed ? null : worstBytes <= GOAL_BYTES,
    `zarrify bytes written ≤ ${GOAL_BYTES}× the archive's chunk files, every run${worstBytes === undefined || z?.failed ? " (needs zarrify)" : ` (at most ${worstBytes.toFixed(3)}×)`}`,
  );
  return finish(lines);
}

// ---------------------------------------------------------------- main

async function main() {
  const started = performance.now();
  const opts = parseArgs(process.argv.slice(2));
  preflight({ needCli: opts.only !== "xarray", cliHint: ", or use --only xarray" });
  const tools = opts.only ? [opts.only] : ["xarray", "zarrify"];
  const res = await runBench(opts, tools);
  const info = { ...versions(), seconds: (performance.now() - started) / 1000 };
  const { text, failed, missed } = report(res, info);
  publish("results-multifile.md", text);
  process.exitCode = failed || (missed && opts.goals) ? 1 : 0;
}

await main();
