#!/usr/bin/env node
// CF packing to 16-bit integers, zarrify vs xarray, in the same run: archive size against
// unpacked float32 and against xarray's packed output of the same data, and write speed.
// Input: bench/run.mjs's ~200 MB float32 t2m(48, 721, 1440) (bench/make_input.py, cached in
// bench/out/). Every run: Zarr v2, chunks 24×180×360, Blosc zstd 3 + byte shuffle, a child
// process under GNU time (wall, peak RSS). Runs, interleaved, --repeat times each:
//   zarrify float32 · zarrify int16 (range scanned from the data) · zarrify int16 (manual range)
//   · xarray int16 with the scale_factor/add_offset of zarrify's manual-range output · xarray float32
// Verified: float32 outputs read in xarray exactly like the source; packed outputs decode within
// scale/2 (+ 2 float32 ulps) with NaN where the source has NaN; zarrify's and xarray's packed
// integers agree except at rounding ties (xarray packs in float32 arithmetic, zarrify in float64).
//
//   npm run bench:packing -- [--repeat N] [--nt 48] [--range 180:340] [--no-xarray-f32]
//
// Writes bench/results-packing.md (overwritten) and prints it. Exit 1 when a run fails or a
// verification fails.
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import {
  CHUNKING,
  CLI,
  checklist,
  compareXarray,
  die,
  duBytes,
  EXPECTED_CHUNKS,
  encodingProblems,
  ensureInput,
  fmtMB,
  fmtRss,
  fmtRun,
  HERE,
  MiB,
  machineLine,
  NLAT,
  NLON,
  OUT,
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
  versionLine,
  versions,
} from "./lib.mjs";

const VAR = "t2m";
const BITS = 16;

const USAGE = `usage: npm run bench:packing -- [options]
  --repeat N        runs of each configuration (default 3); the median wall time is reported
  --nt N            time steps of the input (default 48, ~200 MB; shared with npm run bench)
  --range MIN:MAX   the manual packing range of ${VAR} (default 180:340)
  --no-xarray-f32   skip xarray's unpacked float32 run
  -h, --help        this text`;

function parseRange(v) {
  const [min, max] = v.split(":").map(Number);
  if (!(Number.isFinite(min) && Number.isFinite(max) && min < max))
    die(`--range needs MIN:MAX with MIN < MAX, got ${v}`);
  return { min, max };
}

function parseArgs(argv) {
  const defaults = { repeat: 3, nt: 48, range: { min: 180, max: 340 }, xarrayF32: true };
  return parseOptions(argv, USAGE, defaults, {
    "--repeat": ["repeat", positiveInt],
    "--nt": ["nt", positiveInt],
    "--range": ["range", parseRange],
    "--no-xarray-f32": ["xarrayF32", false],
  });
}

// The zstd each side compresses with: it, not the packing, decides the last few % of size.
function zstdVersions() {
  let bundled = "?";
  try {
    const h = readFileSync(
      path.join(ROOT, "node_modules", "zstd-napi", "deps", "zstd", "lib", "zstd.h"),
      "utf8",
    );
    const part = (k) => new RegExp(`#define ZSTD_VERSION_${k}\\s+(\\d+)`).exec(h)?.[1] ?? "?";
    bundled = `${part("MAJOR")}.${part("MINOR")}.${part("RELEASE")}`;
  } catch {
    // not an npm layout we know
  }
  const r = spawnSync(
    PY,
    [
      "-c",
      "import ctypes, ctypes.util; n = ctypes.CDLL(ctypes.util.find_library('zstd')).ZSTD_versionNumber(); print(f'{n // 10000}.{n // 100 % 100}.{n % 100}')",
    ],
    { encoding: "utf8" },
  );
  const system = r.status === 0 ? r.stdout.trim() : "?";
  return `zstd ${bundled} (zstd-napi, zarrify) / ${system} (system libzstd, numcodecs)`;
}

// ---------------------------------------------------------------- the runs

const zarrifyConvert = (input, output, extra) => [
  process.execPath,
  CLI,
  "convert",
  input,
  output,
  "--zarr-format",
  "2",
  "--chunking",
  CHUNKING,
  "--compression",
  "blosc:zstd:3",
  ...extra,
];

function configurations(opts) {
  const manual = JSON.stringify({ [VAR]: opts.range });
  const list = [
    {
      id: "zarrify-f32",
      tool: "zarrify",
      what: "float32, unpacked",
      packed: false,
      cmd: (i, o) => zarrifyConvert(i, o, []),
    },
    {
      id: "zarrify-int16-data",
      tool: "zarrify",
      what: "int16, range from the data (+1%)",
      packed: true,
      cmd: (i, o) => zarrifyConvert(i, o, ["--packing", "--packing-bits", String(BITS)]),
    },
    {
      id: "zarrify-int16-manual",
      tool: "zarrify",
      what: `int16, manual range [${opts.range.min}, ${opts.range.max}]`,
      packed: true,
      cmd: (i, o) =>
        zarrifyConvert(i, o, [
          "--packing",
          "--packing-bits",
          String(BITS),
          "--packing-manual-ranges",
          manual,
        ]),
    },
    {
      id: "xarray-int16",
      tool: "xarray",
      what: "int16, zarrify's manual-range scale/offset",
      packed: true,
      // The scale and offset come from zarrify's manual-range output: same integers expected.
      needs: "zarrify-int16-manual",
      cmd: (i, o, p) => [
        PY,
        path.join(HERE, "xarray_pack.py"),
        "pack",
        i,
        o,
        "--var",
        VAR,
        "--scale",
        String(p.scale),
        "--offset",
        String(p.offset),
      ],
    },
  ];
  if (opts.xarrayF32) {
    list.push({
      id: "xarray-f32",
      tool: "xarray",
      what: "float32, unpacked",
      packed: false,
      // The dask chunks this bench was published with (= output chunks, each source chunk
      // inflated 20 times, as xarray_pack.py still reads); `npm run bench` now also has aligned ones.
      cmd: (i, o) => [PY, path.join(HERE, "xarray_convert.py"), i, o, "--chunks", "output"],
    });
  }
  for (const c of list) c.output = path.join(OUT, `packing-${c.id}.zarr`);
  return list;
}

/** scale_factor/add_offset as the archive stores them (JSON numbers: float32 values, exactly). */
function packParams(archive) {
  const attrs = JSON.parse(readFileSync(path.join(archive, VAR, ".zattrs"), "utf8"));
  const { scale_factor: scale, add_offset: offset } = attrs;
  if (typeof scale !== "number" || typeof offset !== "number") return undefined;
  return { scale, offset };
}

function zarray(archive) {
  return JSON.parse(readFileSync(path.join(archive, VAR, ".zarray"), "utf8"));
}

// ---------------------------------------------------------------- verifying

function verify(input, conf) {
  if (conf.packed) {
    return runJson([
      path.join(HERE, "xarray_pack.py"),
      "check",
      input,
      conf.output,
      "--var",
      VAR,
      "--bits",
      String(BITS),
    ]);
  }
  // Unpacked: xarray must read the archive exactly as the source (values, attributes, encoding).
  const v = compareXarray(input, conf.output);
  const problems = encodingProblems(zarray(conf.output), EXPECTED_CHUNKS);
  return { ...v, ok: v.ok && !problems.length, differences: [...v.differences, ...problems] };
}

// ---------------------------------------------------------------- report

const fmtMB1 = (b) => (b / 1e6).toFixed(1);

function report(ctx) {
  const { opts, input, confs, res, info, cmp, elapsed } = ctx;
  const bytes = rawBytes(opts.nt);
  const lines = [];
  const { check, finish } = checklist();
  lines.push("# zarrify packing benchmark");
  lines.push("");
  lines.push(
    `${machineLine()}; load average ${ctx.load.toFixed(2)} before the runs, ${ctx.loadAfter.toFixed(2)} after (1-minute; other work on the machine skews wall times); the whole bench took ${elapsed.toFixed(0)} s.`,
  );
  lines.push(versionLine(info, info.zstd));
  lines.push("");
  lines.push(
    `Input: NetCDF-4 float32 \`${VAR}(time=${opts.nt}, lat=${NLAT}, lon=${NLON})\`, ${fmtMB(bytes)} MB uncompressed (\`bench/make_input.py\`, shared with \`npm run bench\`), values ${ctx.dataRange}. Every output: Zarr v2, chunks ${EXPECTED_CHUNKS.join("×")}, Blosc zstd level 3 + byte shuffle, consolidated metadata. Packed: int16, \`_FillValue\` -32768, float32 \`scale_factor\`/\`add_offset\`.`,
  );
  lines.push(
    `zarrify: \`zarrify convert IN OUT --zarr-format 2 --chunking ${CHUNKING} --compression blosc:zstd:3\` plus \`--packing --packing-bits 16\` (range scanned from the data in an extra read pass, widened by 1%) or plus \`--packing-manual-ranges '${JSON.stringify({ [VAR]: opts.range })}'\` (no scan). xarray: \`open_dataset(chunks=…).to_zarr(encoding=…)\`, dask threaded scheduler; packed with \`{"dtype": "int16", "scale_factor", "add_offset", "_FillValue": -32768}\` taking zarrify's manual-range scale/offset (\`bench/xarray_pack.py\`), unpacked as in \`bench/xarray_convert.py\`.`,
  );
  lines.push(
    `Each run a child process under GNU \`time -f "%e %M"\`, input in the page cache, configurations interleaved, ${opts.repeat} run(s) each; wall: median, RSS: maximum. MB/s = uncompressed MB (10^6 B) of input / wall s. Size: every file of the archive (coordinates and metadata included).`,
  );
  lines.push("");
  lines.push(
    "| tool | stored as | archive MB | size vs zarrify float32 | wall s (median) | MB/s | peak RSS MiB |",
  );
  lines.push("|---|---|---|---|---|---|---|");
  const base = res["zarrify-f32"];
  for (const c of confs) {
    const r = res[c.id];
    if (r.failed || r.wall === undefined) {
      lines.push(`| ${c.tool} | ${c.what} | failed | | | | |`);
      continue;
    }
    const vsBase = base?.size ? `${(r.size / base.size).toFixed(3)}×` : "";
    lines.push(
      `| ${c.tool} | ${c.what} | ${fmtMB1(r.size)} | ${vsBase} | ${r.wall.toFixed(2)} | ${(bytes / 1e6 / r.wall).toFixed(0)} | ${fmtRss(r)} |`,
    );
  }
  if (confs.some((c) => res[c.id].rssFromTree)) rssFootnote(lines);

  const zm = res["zarrify-int16-manual"];
  const zd = res["zarrify-int16-data"];
  const xp = res["xarray-int16"];
  const xf = res["xarray-f32"];
  const ok = (r) => r && !r.failed && r.wall !== undefined;
  lines.push("");
  lines.push("## zarrify vs xarray");
  lines.push("");
  if (ok(zm) && ok(xp)) {
    lines.push(
      `- packed int16, same scale/offset: zarrify archive ${fmtMB1(zm.size)} MB vs xarray ${fmtMB1(xp.size)} MB (${(zm.size / xp.size).toFixed(3)}×); wall ${zm.wall.toFixed(2)} s vs ${xp.wall.toFixed(2)} s (zarrify ${(xp.wall / zm.wall).toFixed(1)}× faster); peak RSS ${(zm.rss / MiB).toFixed(0)} vs ${(xp.rss / MiB).toFixed(0)} MiB.`,
    );
  }
  if (ok(zd) && ok(xp)) {
    lines.push(
      `- zarrify with the range scanned from the data (extra read pass): wall ${zd.wall.toFixed(2)} s, ${(xp.wall / zd.wall).toFixed(1)}× faster than xarray's packed write (which needs the scale/offset given).`,
    );
  }
  if (ok(base) && ok(xf)) {
    lines.push(
      `- unpacked float32: zarrify ${fmtMB1(base.size)} MB, ${base.wall.toFixed(2)} s vs xarray ${fmtMB1(xf.size)} MB, ${xf.wall.toFixed(2)} s (zarrify ${(xf.wall / base.wall).toFixed(1)}× faster).`,
    );
  }
  if (ok(base) && ok(zm)) {
    lines.push(
      `- packing cost in zarrify: ${zm.wall.toFixed(2)} s packed (manual range) vs ${base.wall.toFixed(2)} s float32 (${(zm.wall / base.wall).toFixed(2)}×); the data-range scan adds ${ok(zd) ? (zd.wall - zm.wall).toFixed(2) : "?"} s.`,
    );
  }
  if (cmp?.total !== undefined) {
    lines.push(
      `- packed integers, zarrify vs xarray (manual-range scale/offset): ${cmp.differing} of ${cmp.total} differ (${((100 * cmp.differing) / cmp.total).toFixed(3)}%), by at most ${cmp.max_diff}; ${cmp.differing_not_near_tie} of them away from a rounding tie. xarray 2023.01 computes (v − add_offset) / scale_factor in float32 for float32 data, zarrify in float64; both round half to even, so they part only where the quotient is within float32 rounding of a half-integer (exact float64 ties in the data: ${cmp.exact_ties_float64}, of them differing: ${cmp.differing_at_exact_ties_float64}).`,
    );
    lines.push(
      `- where the size difference comes from: ${VAR}'s chunks are ${fmtMB1(cmp.chunk_bytes_a)} MB (zarrify) vs ${fmtMB1(cmp.chunk_bytes_b)} MB (xarray); zarrify's integers decoded and compressed again by numcodecs' Blosc (xarray's compressor): ${fmtMB1(cmp.chunk_bytes_a_recompressed)} MB (${(cmp.chunk_bytes_a_recompressed / cmp.chunk_bytes_b).toFixed(4)}× xarray's). Same integers, same Blosc framing; what differs is the zstd library (zarrify: the one bundled with zstd-napi; numcodecs: the system's libblosc/libzstd).`,
    );
  }

  lines.push("");
  lines.push("## Runs");
  lines.push("");
  lines.push(
    `Input ${path.relative(ROOT, input)}: ${fmtMB(statSync(input).size)} MB on disk (NetCDF-4 deflate 4 + shuffle, ${(bytes / statSync(input).size).toFixed(2)}× ratio).`,
  );
  lines.push("");
  for (const c of confs) {
    const r = res[c.id];
    if (r.failed) {
      lines.push(`- ${c.tool}, ${c.what}: FAILED ${r.failed}`);
      continue;
    }
    const runs = r.runs.map(fmtRun).join(", ");
    let extra = "";
    if (r.params) {
      const h = 2 ** (BITS - 1) - 1;
      extra = `; scale_factor ${r.params.scale}, add_offset ${r.params.offset} (range [${(r.params.offset - h * r.params.scale).toFixed(3)}, ${(r.params.offset + h * r.params.scale).toFixed(3)}])`;
    }
    if (r.verify?.max_err !== undefined) {
      extra += `; max |decoded − source| ${r.verify.max_err.toPrecision(4)} ≤ ${r.verify.bound.toPrecision(4)} (decoded as ${r.verify.decoded_dtype})`;
    }
    lines.push(
      `- ${c.tool}, ${c.what}: ${runs}; \`${path.relative(ROOT, c.output)}\` ${fmtMB1(r.size)} MB (${(bytes / r.size).toFixed(2)}× vs raw)${extra}`,
    );
  }

  for (const c of confs) {
    const r = res[c.id];
    if (r.failed) {
      check(false, `${c.id} ran (${r.failed})`);
      continue;
    }
    const v = r.verify;
    const what = c.packed
      ? `decodes within scale/2 + 2 ulp of the source, NaN where the source has NaN, int16/-32768/${EXPECTED_CHUNKS.join("×")}/blosc zstd 3`
      : `opens in xarray exactly like the source, <f4/${EXPECTED_CHUNKS.join("×")}/blosc zstd 3`;
    check(v.ok, `${c.id} ${what}${v.ok ? "" : `: ${v.differences.slice(0, 3).join("; ")}`}`);
    if (r.paramsChanged) check(false, `${c.id}: scale_factor/add_offset changed between runs`);
  }
  if (cmp) {
    check(
      cmp.ok,
      `zarrify-int16-manual and xarray-int16 hold the same integers except ±1 at rounding ties${cmp.ok ? ` (${cmp.differing} differ)` : `: ${cmp.differences.slice(0, 3).join("; ")}`}`,
    );
  }
  return finish(lines);
}

// ---------------------------------------------------------------- main

function sourceRange(input) {
  const r = spawnSync(
    PY,
    [
      "-c",
      `import sys, numpy as np, netCDF4\nv = netCDF4.Dataset(sys.argv[1])[sys.argv[2]]\nlo, hi = np.inf, -np.inf\nfor i in range(0, v.shape[0], 24):\n    x = np.ma.filled(v[i:i + 24].astype(np.float64), np.nan)\n    lo, hi = min(lo, np.nanmin(x)), max(hi, np.nanmax(x))\nprint(f"{lo:.3f} {hi:.3f}")`,
      input,
      VAR,
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) return "(range unknown)";
  const [lo, hi] = r.stdout.trim().split(" ");
  return `in [${lo}, ${hi}]`;
}

async function main() {
  const started = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  preflight();
  const input = ensureInput(opts.nt);
  const load = loadavg()[0];
  const confs = configurations(opts);
  const res = Object.fromEntries(confs.map((c) => [c.id, { runs: [], failed: null }]));
  // Interleaved so slow drift (thermal, noisy neighbours) hits every configuration alike.
  for (let i = 0; i < opts.repeat; i++) {
    for (const c of confs) {
      const r = res[c.id];
      if (r.failed) continue;
      let params;
      if (c.needs) {
        params = res[c.needs].params;
        if (!params) {
          r.failed = `needs the scale_factor/add_offset of ${c.needs}, which has none`;
          continue;
        }
      }
      const cmd = c.cmd(input, c.output, params);
      const m = await timedRun(r, c.id, `${i + 1}/${opts.repeat}`, cmd, c.output, input);
      if (!m) continue;
      console.error(`bench:   ${m.wall.toFixed(2)} s, ${(m.rss / MiB).toFixed(0)} MiB`);
      r.runs.push(m);
      if (c.packed) {
        const p = packParams(c.output);
        if (!p) {
          r.failed = `no numeric scale_factor/add_offset in ${VAR}/.zattrs`;
          continue;
        }
        if (r.params && (r.params.scale !== p.scale || r.params.offset !== p.offset))
          r.paramsChanged = true;
        r.params = p;
      }
    }
  }
  for (const c of confs) {
    const r = res[c.id];
    if (r.failed || !r.runs.length) continue;
    summarize(r);
    r.size = duBytes(c.output);
    console.error(`bench: verifying ${c.id} against the source...`);
    r.verify = verify(input, c);
  }
  let cmp;
  const zm = confs.find((c) => c.id === "zarrify-int16-manual");
  const xp = confs.find((c) => c.id === "xarray-int16");
  if (res[zm.id].verify && res[xp.id].verify) {
    console.error("bench: comparing zarrify's packed integers with xarray's...");
    cmp = runJson([
      path.join(HERE, "xarray_pack.py"),
      "compare",
      input,
      zm.output,
      xp.output,
      "--var",
      VAR,
    ]);
  }
  const loadAfter = loadavg()[0];
  const dataRange = sourceRange(input);
  const elapsed = (Date.now() - started) / 1000;
  const { text, failed } = report({
    opts,
    input,
    confs,
    res,
    info: { ...versions("xarray, dask, zarr, numcodecs"), zstd: zstdVersions() },
    cmp,
    elapsed,
    load,
    loadAfter,
    dataRange,
  });
  publish("results-packing.md", text);
  process.exitCode = failed ? 1 : 0;
}

await main();
