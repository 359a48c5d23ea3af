#!/usr/bin/env node
// zarrify vs xarray+dask: the same NetCDF -> Zarr v2 conversion (chunks
// time:24,lat:180,lon:360, blosc zstd level 3 with byte shuffle), timed as
// child processes, peak RSS measured the same way for all, outputs verified
// against the source so a fast but wrong result cannot pass. xarray runs in
// several configurations (--xarray; the fastest in this run is the reference),
// and codec_limit.py measures, in the same rounds on the same file, what native
// inflate + blosc on all cores would take (the codec limit).
//
//   npm run bench -- [--repeat N] [--only xarray|zarrify] [--nt 48]
//                    [--xarray aligned,output] [--no-codec-limit] [--no-goals]
//                    [--big] [--big-nt 1000] [--big-repeat 1] [--big-xarray]
//
// Writes bench/results.md (overwritten) and prints it. Exit 1 when a tool
// fails or a verification fails, or (unless --no-goals) a goal is missed.
import { statSync } from "node:fs";
import path from "node:path";
import {
  CHUNKING,
  CLI,
  checklist,
  codecLimit,
  compareXarray,
  die,
  duBytes,
  EXPECTED_CHUNKS,
  ensureInput,
  fmtMB,
  fmtRss,
  fmtRun,
  GiB,
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
  summarize,
  timedRun,
  verifyEncoding,
  versionLine,
  versions,
  warmCache,
} from "./lib.mjs";

const USAGE = `usage: npm run bench -- [options]
  --repeat N        runs per tool for the ~200 MB case (default 3); the median wall time is reported
  --only TOOL       xarray | zarrify: run one tool only
  --nt N            time steps of the standard case (default 48, ~200 MB)
  --xarray LIST     xarray configurations, comma-separated, each CHUNKS[:sync] with CHUNKS one of
                    aligned (chunks={"time": 24}), output (dask chunks = output chunks), time48,
                    whole (chunks={}); ":sync" = dask's synchronous scheduler instead of threads
                    (default aligned,output). The fastest is the reference of the goals.
  --no-codec-limit  do not run codec_limit.py
  --no-goals        report goals as PASS/MISS but exit 0 when only a goal is missed
  --big             also convert a ~4 GB file (zarrify only; goal: peak RSS < 1 GiB)
  --big-nt N        time steps of the big case (default 1000, ~4.15 GB)
  --big-repeat N    runs per tool for the big case (default 1)
  --big-xarray      run xarray on the big case too (the first --xarray configuration)
  -h, --help        this text`;

function parseArgs(argv) {
  const defaults = {
    repeat: 3,
    only: null,
    nt: 48,
    big: false,
    bigNt: 1000,
    bigRepeat: 1,
    bigXarray: false,
    xarray: ["aligned", "output"],
    codecLimit: true,
    goals: true,
  };
  const o = parseOptions(argv, USAGE, defaults, {
    "--repeat": ["repeat", positiveInt],
    "--only": ["only", oneTool],
    "--nt": ["nt", positiveInt],
    "--big": ["big", true],
    "--big-nt": ["bigNt", positiveInt],
    "--big-repeat": ["bigRepeat", positiveInt],
    "--big-xarray": ["bigXarray", true],
    "--xarray": ["xarray", xarrayConfigs],
    "--no-codec-limit": ["codecLimit", false],
    "--no-goals": ["goals", false],
  });
  if (o.bigXarray) o.big = true;
  return o;
}

// ---------------------------------------------------------------- one case

// xarray_convert.py --chunks values, and how the report names them.
const XARRAY_CHUNKS = {
  aligned:
    'dask chunks aligned with the source (`chunks={"time": 24}`: 24 whole source chunks per task)',
  output: "dask chunks = output chunks (decompresses each source chunk 20×)",
  time48: 'one dask chunk (`chunks={"time": 48}`, the whole file)',
  whole: "dask chunks = source chunks (`chunks={}`), rechunked to 24 steps",
};

function xarrayConfigs(v, flag) {
  const list = v.split(",").filter(Boolean);
  for (const c of list) {
    const [chunks, sched, more] = c.split(":");
    if (!Object.hasOwn(XARRAY_CHUNKS, chunks) || (sched !== undefined && sched !== "sync") || more)
      die(
        `${flag}: unknown xarray configuration ${c} (CHUNKS[:sync], CHUNKS one of ${Object.keys(XARRAY_CHUNKS).join(", ")})`,
      );
  }
  if (!list.length) die(`${flag} needs at least one configuration`);
  return list;
}

// Tool keys: "zarrify" and "xarray:<chunks>[:sync]".
const isXarray = (t) => t.startsWith("xarray:");

function toolLabel(t) {
  if (!isXarray(t)) return "zarrify";
  const [, chunks, sched] = t.split(":");
  return `xarray, ${XARRAY_CHUNKS[chunks]}${sched === "sync" ? ", synchronous scheduler" : ""}`;
}

function toolCmd(t, input, output) {
  if (isXarray(t)) {
    const [, chunks, sched] = t.split(":");
    return [
      PY,
      path.join(HERE, "xarray_convert.py"),
      input,
      output,
      "--chunks",
      chunks,
      "--scheduler",
      sched === "sync" ? "sync" : "threads",
    ];
  }
  return [
    process.execPath,
    CLI,
    "convert",
    input,
    output,
    "--zarr-format",
    "2",
    "--compression",
    "blosc:zstd:3",
    "--chunking",
    CHUNKING,
  ];
}

async function runCase(label, nt, tools, repeat, withLimit) {
  const input = ensureInput(nt);
  const res = { label, nt, input, bytes: rawBytes(nt), inputSize: statSync(input).size, tools: {} };
  for (const t of tools) {
    const file = `${label}-${t.replaceAll(":", "-")}.zarr`;
    res.tools[t] = { runs: [], failed: null, output: path.join(OUT, file) };
  }
  const limits = [];
  // Interleave the tools so slow drift (thermal, noisy neighbours) hits both alike.
  for (let i = 0; i < repeat; i++) {
    for (const t of tools) {
      const r = res.tools[t];
      if (r.failed) continue;
      const name = `${label} ${t}`;
      const m = await timedRun(
        r,
        name,
        `${i + 1}/${repeat}`,
        toolCmd(t, input, r.output),
        r.output,
        input,
      );
      if (!m) continue;
      console.error(`bench:   ${m.wall.toFixed(2)} s, ${(m.rss / MiB).toFixed(0)} MiB`);
      r.runs.push(m);
    }
    if (withLimit && !res.limitFailed) {
      warmCache(input);
      console.error(`bench: ${label} codec limit run ${i + 1}/${repeat}...`);
      const l = codecLimit(input);
      if (l.failed) {
        res.limitFailed = l.failed;
        console.error(`bench: codec_limit.py failed: ${l.failed}`);
      } else {
        console.error(
          `bench:   ${l.limit_s.toFixed(2)} s (inflate ${l.inflate_s.toFixed(2)} s + compress ${l.compress_s.toFixed(2)} s)`,
        );
        limits.push(l);
      }
    }
  }
  if (limits.length && !res.limitFailed) {
    res.limit = {
      ...limits[0],
      runs: limits.map((l) => l.limit_s),
      inflate_s: median(limits.map((l) => l.inflate_s)),
      compress_s: median(limits.map((l) => l.compress_s)),
      limit_s: median(limits.map((l) => l.limit_s)),
    };
  }
  for (const t of tools) {
    const r = res.tools[t];
    if (r.failed || !r.runs.length) continue;
    summarize(r);
    r.outSize = duBytes(r.output);
    console.error(`bench: verifying ${t} output against the source...`);
    r.verify = compareXarray(input, r.output);
    r.encodingProblems = verifyEncoding(r.output, EXPECTED_CHUNKS);
  }
  const z = res.tools.zarrify;
  if (z?.verify) {
    for (const t of tools.filter(isXarray)) {
      const x = res.tools[t];
      if (!x.verify) continue;
      console.error(`bench: comparing zarrify's output with ${t}'s...`);
      x.equalToZarrify = runJson([path.join(HERE, "compare_outputs.py"), z.output, x.output]);
    }
  }
  return res;
}

// ---------------------------------------------------------------- report

/** The fastest xarray configuration that ran in case c: [key, result], or []. */
function bestXarray(c) {
  const ran = Object.entries(c.tools).filter(([t, r]) => isXarray(t) && r.wall !== undefined);
  ran.sort((p, q) => p[1].wall - q[1].wall);
  return ran[0] ?? [];
}

const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

function report(cases, info) {
  const lines = [];
  const { check, goal, finish } = checklist();
  lines.push("# zarrify benchmark");
  lines.push("");
  lines.push(`${machineLine()}.`);
  lines.push(versionLine(info));
  lines.push("");
  lines.push(
    `Task: NetCDF-4 float32 \`t2m(time, lat=${NLAT}, lon=${NLON})\` (deflate 4 + shuffle, chunks 1×${NLAT}×${NLON}, from \`bench/make_input.py\`) → Zarr v2, chunks ${EXPECTED_CHUNKS.join("×")}, Blosc zstd level 3 + byte shuffle, consolidated metadata.`,
  );
  lines.push(
    "zarrify: `zarrify convert IN OUT --zarr-format 2 --compression blosc:zstd:3 --chunking " +
      CHUNKING +
      "`. xarray: `xr.open_dataset(IN, chunks=…).to_zarr(OUT, encoding=…)` with dask's threaded scheduler unless said otherwise (`bench/xarray_convert.py --chunks …`); the fastest xarray configuration of the run is the reference of the goals.",
  );
  lines.push(
    'Wall time and peak RSS from GNU `time -f "%e %M"` around each child process (input in the page cache); wall is the median of the runs, RSS the maximum. MB/s = uncompressed MB (10^6 B) of t2m / wall s.',
  );
  lines.push(
    "Codec limit (`bench/codec_limit.py`, once per round, interleaved with the conversions, median): on a pool of as many fork()ed single-threaded processes as cores, (1) every source chunk read with netCDF4 (libhdf5 read + zlib inflate + unshuffle, one chunk per task) + (2) every output chunk (edge chunks padded to full size, as stored) compressed with numcodecs' c-blosc zstd 3 + shuffle, one chunk per task; each phase timed in the parent from the first task to the last result, limit = (1) + (2). No file writing, no metadata: what a converter that inflates and compresses each chunk once, natively, on all cores, cannot beat.",
  );
  lines.push("");
  lines.push("| case | configuration | wall s (median) | peak RSS MiB | MB/s | zarrify ÷ this |");
  lines.push("|---|---|---|---|---|---|");
  for (const c of cases) {
    const caseName = `${fmtMB(c.bytes)} MB (nt=${c.nt})`;
    const z = c.tools.zarrify;
    const [bestKey] = bestXarray(c);
    // zarrify first, then the xarray configurations in --xarray order.
    const rows = Object.entries(c.tools).sort(([p], [q]) => (q === "zarrify") - (p === "zarrify"));
    for (const [t, r] of rows) {
      let label = toolLabel(t);
      if (t === bestKey) label = `**${label}** (fastest xarray: the reference)`;
      if (r.failed || r.wall === undefined) {
        lines.push(`| ${caseName} | ${label} | failed | | | |`);
        continue;
      }
      let rel = "";
      if (t !== "zarrify" && z?.wall !== undefined) {
        rel = `wall ${ratio(z.wall, r.wall)}, RSS ${ratio(z.rss, r.rss)}`;
      }
      lines.push(
        `| ${caseName} | ${label} | ${r.wall.toFixed(2)} | ${fmtRss(r)} | ${(c.bytes / 1e6 / r.wall).toFixed(0)} | ${rel} |`,
      );
    }
    if (c.limit) {
      const l = c.limit;
      const rel = z?.wall !== undefined ? `wall ${ratio(z.wall, l.limit_s)}` : "";
      lines.push(
        `| ${caseName} | codec limit: native inflate ${l.inflate_s.toFixed(2)} s + blosc ${l.compress_s.toFixed(2)} s, ${l.procs} processes | ${l.limit_s.toFixed(2)} | | ${(c.bytes / 1e6 / l.limit_s).toFixed(0)} | ${rel} |`,
      );
    }
  }
  if (cases.some((c) => Object.values(c.tools).some((r) => r.rssFromTree))) rssFootnote(lines);

  for (const c of cases) {
    const l = c.limit;
    if (!l) continue;
    const mb = c.bytes / 1e6;
    lines.push("");
    lines.push(
      `Codec limit, ${c.label}: inflate ${l.source_chunks} source chunks ${l.source_chunk_shape.join("×")} (${JSON.stringify(l.source_filters)}) in ${l.inflate_s.toFixed(3)} s = ${(mb / l.inflate_s).toFixed(0)} MB/s on ${l.procs} processes (${(mb / l.inflate_s / l.procs).toFixed(0)} MB/s per process); compress ${l.output_chunks} output chunks ${l.output_chunk_shape.join("×")} (${fmtMB(l.output_chunk_bytes)} MB with padding → ${fmtMB(l.compressed_bytes)} MB) in ${l.compress_s.toFixed(3)} s = ${(mb / l.compress_s).toFixed(0)} MB/s of t2m, ${(l.output_chunk_bytes / 1e6 / l.compress_s).toFixed(0)} MB/s of chunk bytes (${(l.output_chunk_bytes / 1e6 / l.compress_s / l.procs).toFixed(0)} per process); total ${l.limit_s.toFixed(3)} s (rounds: ${l.runs.map((x) => x.toFixed(2)).join(", ")} s). libhdf5 ${l.versions.libhdf5}, libnetcdf ${l.versions.libnetcdf}, c-blosc ${l.versions.blosc}.`,
    );
  }

  lines.push("");
  lines.push("## Runs");
  for (const c of cases) {
    lines.push(
      `- ${c.label}: input ${path.relative(ROOT, c.input)}, ${fmtMB(c.inputSize)} MB on disk (${(c.bytes / c.inputSize).toFixed(2)}× deflate ratio)`,
    );
    for (const [t, r] of Object.entries(c.tools)) {
      if (r.failed) {
        lines.push(`  - ${t}: FAILED ${r.failed}`);
        continue;
      }
      lines.push(
        `  - ${t}: ${r.runs.map(fmtRun).join(", ")}; output ${fmtMB(r.outSize)} MB (${(c.bytes / r.outSize).toFixed(2)}× ratio)`,
      );
    }
    if (c.limitFailed) lines.push(`  - codec limit: FAILED ${c.limitFailed}`);
    else if (c.limit)
      lines.push(`  - codec limit: ${c.limit.runs.map((x) => `${x.toFixed(2)} s`).join(", ")}`);
  }

  for (const c of cases) {
    const z = c.tools.zarrify;
    for (const [t, r] of Object.entries(c.tools)) {
      if (r.failed) {
        check(false, `${c.label}: ${t} ran (${r.failed})`);
        continue;
      }
      const v = r.verify;
      check(
        v.ok,
        `${c.label}: ${t} output opens in xarray like the source${v.ok ? ` (${v.mode})` : `: ${v.differences.slice(0, 3).join("; ")}`}`,
      );
      check(
        !r.encodingProblems.length,
        `${c.label}: ${t} output is chunked ${EXPECTED_CHUNKS.join("×")}, blosc zstd 3 shuffle, <f4${r.encodingProblems.length ? `: ${r.encodingProblems.join(", ")}` : ""}`,
      );
      if (r.equalToZarrify) {
        const e = r.equalToZarrify;
        check(
          e.ok,
          `${c.label}: zarrify and ${t} outputs hold identical data${e.ok ? "" : `: ${e.differences.slice(0, 3).join("; ")}`}`,
        );
      }
    }
    if (c.limitFailed) check(false, `${c.label}: codec_limit.py ran (${c.limitFailed})`);
    if (c.label === "standard") {
      const [bk, x] = bestXarray(c);
      const both = x !== undefined && z?.wall !== undefined;
      const vs = both
        ? ` (${z.wall.toFixed(2)} s vs ${x.wall.toFixed(2)} s, ${bk}: ${ratio(z.wall, x.wall)})`
        : " (needs both tools)";
      goal(
        both ? z.wall <= 0.5 * x.wall : null,
        `${c.label}: zarrify wall ≤ 0.5× xarray's best${vs}`,
      );
      const l = c.limit;
      goal(
        l && z?.wall !== undefined ? z.wall <= 1.5 * l.limit_s : null,
        `${c.label}: zarrify wall ≤ 1.5× the codec limit${l && z?.wall !== undefined ? ` (${z.wall.toFixed(2)} s vs ${l.limit_s.toFixed(2)} s: ${ratio(z.wall, l.limit_s)})` : " (needs zarrify and the codec limit)"}`,
      );
      goal(
        both ? z.rss <= 1.0 * x.rss : null,
        `${c.label}: zarrify peak RSS ≤ 1.0× xarray's best${both ? ` (${(z.rss / MiB).toFixed(0)} vs ${(x.rss / MiB).toFixed(0)} MiB: ${ratio(z.rss, x.rss)})` : " (needs both tools)"}`,
      );
    }
    if (c.label === "big" && z?.rss !== undefined) {
      goal(
        z.rss < GiB,
        `big: zarrify peak RSS < 1 GiB (${(z.rss / MiB).toFixed(0)} MiB, ${z.wall.toFixed(1)} s)`,
      );
    }
  }
  return finish(lines);
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  preflight({ needCli: opts.only !== "xarray", cliHint: ", or use --only xarray" });
  const xs = opts.xarray.map((c) => `xarray:${c}`);
  const tools =
    opts.only === "xarray" ? xs : opts.only === "zarrify" ? ["zarrify"] : [...xs, "zarrify"];
  const cases = [await runCase("standard", opts.nt, tools, opts.repeat, opts.codecLimit)];
  if (opts.big) {
    const bigX = opts.only === "zarrify" ? [] : opts.bigXarray || opts.only ? [xs[0]] : [];
    const bigTools = opts.only === "xarray" ? bigX : [...bigX, "zarrify"];
    cases.push(await runCase("big", opts.bigNt, bigTools, opts.bigRepeat, false));
  }
  const { text, failed, missed } = report(cases, versions());
  publish("results.md", text);
  process.exitCode = failed || (missed && opts.goals) ? 1 : 0;
}

await main();
