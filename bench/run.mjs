#!/usr/bin/env node
// zarrify vs xarray+dask: the same NetCDF -> Zarr v2 conversion (chunks
// time:24,lat:180,lon:360, blosc zstd level 3 with byte shuffle), timed as
// child processes, peak RSS measured the same way for both, outputs verified
// against the source so a fast but wrong result cannot pass.
//
//   npm run bench -- [--repeat N] [--only xarray|zarrify] [--nt 48]
//                    [--big] [--big-nt 1000] [--big-repeat 1] [--big-xarray]
//
// Writes bench/results.md (overwritten) and prints it. Exit 1 when a tool
// fails, a verification fails or a goal is missed.
import { statSync } from "node:fs";
import path from "node:path";
import {
  CHUNKING,
  CLI,
  checklist,
  compareXarray,
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
} from "./lib.mjs";

const USAGE = `usage: npm run bench -- [options]
  --repeat N        runs per tool for the ~200 MB case (default 3); the median wall time is reported
  --only TOOL       xarray | zarrify: run one tool only
  --nt N            time steps of the standard case (default 48, ~200 MB)
  --big             also convert a ~4 GB file (zarrify only; goal: peak RSS < 1 GiB)
  --big-nt N        time steps of the big case (default 1000, ~4.15 GB)
  --big-repeat N    runs per tool for the big case (default 1)
  --big-xarray      run xarray on the big case too
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
  };
  const o = parseOptions(argv, USAGE, defaults, {
    "--repeat": ["repeat", positiveInt],
    "--only": ["only", oneTool],
    "--nt": ["nt", positiveInt],
    "--big": ["big", true],
    "--big-nt": ["bigNt", positiveInt],
    "--big-repeat": ["bigRepeat", positiveInt],
    "--big-xarray": ["bigXarray", true],
  });
  if (o.bigXarray) o.big = true;
  return o;
}

// ---------------------------------------------------------------- one case

const TOOLS = {
  xarray: (input, output) => [PY, path.join(HERE, "xarray_convert.py"), input, output],
  zarrify: (input, output) => [
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
  ],
};

async function runCase(label, nt, tools, repeat) {
  const input = ensureInput(nt);
  const res = { label, nt, input, bytes: rawBytes(nt), inputSize: statSync(input).size, tools: {} };
  for (const t of tools)
    res.tools[t] = { runs: [], failed: null, output: path.join(OUT, `${label}-${t}.zarr`) };
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
        TOOLS[t](input, r.output),
        r.output,
        input,
      );
      if (!m) continue;
      console.error(`bench:   ${m.wall.toFixed(2)} s, ${(m.rss / MiB).toFixed(0)} MiB`);
      r.runs.push(m);
    }
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
  const [x, z] = [res.tools.xarray, res.tools.zarrify];
  if (x?.verify && z?.verify) {
    console.error("bench: comparing zarrify's output with xarray's...");
    res.outputsEqual = runJson([path.join(HERE, "compare_outputs.py"), z.output, x.output]);
  }
  return res;
}

// ---------------------------------------------------------------- report

function report(cases, info) {
  const lines = [];
  const { check, finish } = checklist();
  lines.push("# zarrify benchmark");
  lines.push("");
  lines.push(`${machineLine()}.`);
  lines.push(versionLine(info));
  lines.push("");
  lines.push(
    `Task: NetCDF-4 float32 \`t2m(time, lat=${NLAT}, lon=${NLON})\` (deflate 4 + shuffle, chunks 1×${NLAT}×${NLON}, from \`bench/make_input.py\`) → Zarr v2, chunks ${EXPECTED_CHUNKS.join("×")}, Blosc zstd level 3 + byte shuffle, consolidated metadata.`,
  );
  lines.push(
    "xarray: `xr.open_dataset(chunks=…).to_zarr(…)` with dask's threaded scheduler (`bench/xarray_convert.py`). zarrify: `zarrify convert IN OUT --zarr-format 2 --compression blosc:zstd:3 --chunking " +
      CHUNKING +
      "`.",
  );
  lines.push(
    'Wall time and peak RSS from GNU `time -f "%e %M"` around each child process (input in the page cache); wall is the median of the runs, RSS the maximum. MB/s = uncompressed MB (10^6 B) of t2m / wall s.',
  );
  lines.push("");
  lines.push("| case | tool | wall s (median) | peak RSS MiB | MB/s | ratio zarrify/xarray |");
  lines.push("|---|---|---|---|---|---|");
  for (const c of cases) {
    const caseName = `${fmtMB(c.bytes)} MB (nt=${c.nt})`;
    const x = c.tools.xarray;
    for (const [t, r] of Object.entries(c.tools)) {
      if (r.failed || r.wall === undefined) {
        lines.push(`| ${caseName} | ${t} | failed | | | |`);
        continue;
      }
      let ratio = "";
      if (t === "zarrify" && x?.wall !== undefined) {
        ratio = `wall ${(r.wall / x.wall).toFixed(2)}×, RSS ${(r.rss / x.rss).toFixed(2)}×`;
      }
      lines.push(
        `| ${caseName} | ${t} | ${r.wall.toFixed(2)} | ${fmtRss(r)} | ${(c.bytes / 1e6 / r.wall).toFixed(0)} | ${ratio} |`,
      );
    }
  }
  if (cases.some((c) => Object.values(c.tools).some((r) => r.rssFromTree))) rssFootnote(lines);

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
  }

  for (const c of cases) {
    const x = c.tools.xarray;
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
    }
    if (c.outputsEqual) {
      check(
        c.outputsEqual.ok,
        `${c.label}: zarrify and xarray outputs hold identical data${c.outputsEqual.ok ? "" : `: ${c.outputsEqual.differences.slice(0, 3).join("; ")}`}`,
      );
    }
    if (c.label === "standard") {
      const both = x?.wall !== undefined && z?.wall !== undefined;
      check(
        both ? z.wall <= 0.5 * x.wall : null,
        `${c.label}: zarrify wall ≤ 0.5× xarray's${both ? ` (${z.wall.toFixed(2)} s vs ${x.wall.toFixed(2)} s)` : " (needs both tools)"}`,
      );
      check(
        both ? z.rss <= 0.5 * x.rss : null,
        `${c.label}: zarrify peak RSS ≤ 0.5× xarray's${both ? ` (${(z.rss / MiB).toFixed(0)} vs ${(x.rss / MiB).toFixed(0)} MiB)` : " (needs both tools)"}`,
      );
    }
    if (c.label === "big" && z?.rss !== undefined) {
      check(
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
  const tools = opts.only ? [opts.only] : ["xarray", "zarrify"];
  const cases = [await runCase("standard", opts.nt, tools, opts.repeat)];
  if (opts.big) {
    const bigTools = opts.only ? [opts.only] : opts.bigXarray ? ["xarray", "zarrify"] : ["zarrify"];
    cases.push(await runCase("big", opts.bigNt, bigTools, opts.bigRepeat));
  }
  const { text, failed } = report(cases, versions());
  publish("results.md", text);
  process.exitCode = failed ? 1 : 0;
}

await main();
