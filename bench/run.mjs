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
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const OUT = path.join(HERE, "out");
const PY = "/usr/bin/python3";
const GNU_TIME = "/usr/bin/time";
// ZARRIFY_BENCH_CLI benchmarks another build (e.g. an installed package's bin.js).
const CLI = process.env.ZARRIFY_BENCH_CLI
  ? path.resolve(process.env.ZARRIFY_BENCH_CLI)
  : path.join(ROOT, "dist", "cli", "bin.js");
const NLAT = 721;
const NLON = 1440;
const CHUNKING = "time:24,lat:180,lon:360";
const EXPECTED_CHUNKS = [24, 180, 360];
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

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
  const o = {
    repeat: 3,
    only: null,
    nt: 48,
    big: false,
    bigNt: 1000,
    bigRepeat: 1,
    bigXarray: false,
  };
  const int = (flag, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) die(`${flag} needs a positive integer, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--repeat") o.repeat = int(a, next());
    else if (a === "--only") {
      o.only = next();
      if (!["xarray", "zarrify"].includes(o.only)) die(`--only must be xarray or zarrify`);
    } else if (a === "--nt") o.nt = int(a, next());
    else if (a === "--big") o.big = true;
    else if (a === "--big-nt") o.bigNt = int(a, next());
    else if (a === "--big-repeat") o.bigRepeat = int(a, next());
    else if (a === "--big-xarray") o.bigXarray = o.big = true;
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else die(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(1);
}

// ---------------------------------------------------------------- preflight

function preflight(opts) {
  if (!existsSync(GNU_TIME)) die(`${GNU_TIME} is missing: apt-get install time`);
  const probe = spawnSync(PY, ["-c", "import xarray, dask, zarr, numcodecs, netCDF4"], {
    encoding: "utf8",
  });
  if (probe.status !== 0) {
    die(
      `${PY} lacks xarray/dask/zarr/numcodecs/netCDF4 (apt-get install python3-xarray python3-dask python3-zarr python3-netcdf4):\n${probe.stderr}`,
    );
  }
  if (opts.only !== "xarray" && !existsSync(CLI)) {
    die(
      `the zarrify CLI is not built (${path.relative(ROOT, CLI)} is missing): run \`npm run build\` first, or use --only xarray`,
    );
  }
}

function versions() {
  const py = spawnSync(
    PY,
    [
      "-c",
      "import sys, xarray, dask, zarr, numcodecs, netCDF4, numpy; print(f'python {sys.version.split()[0]}, xarray {xarray.__version__}, dask {dask.__version__}, zarr {zarr.__version__}, numcodecs {numcodecs.__version__}, netCDF4 {netCDF4.__version__}, numpy {numpy.__version__}')",
    ],
    { encoding: "utf8" },
  );
  let zarrify = "not run";
  if (existsSync(CLI)) {
    const v = spawnSync(process.execPath, [CLI, "--version"], { encoding: "utf8" });
    zarrify = v.status === 0 ? v.stdout.trim() : "unknown (--version failed)";
  }
  // Debian's python3-xarray reports __version__ "999"; ask dpkg instead.
  // Default output: "python3-xarray\t<version>".
  const deb = spawnSync("dpkg-query", ["-W", "python3-xarray"], { encoding: "utf8" });
  const debVersion = deb.status === 0 ? deb.stdout.trim().split("\t")[1] : undefined;
  const python = py.stdout
    .trim()
    .replace("xarray 999", debVersion ? `xarray ${debVersion} (Debian)` : "xarray 999");
  return { python, zarrify };
}

// ---------------------------------------------------------------- inputs

function ensureInput(nt) {
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `t2m_nt${nt}.nc`);
  if (existsSync(file)) {
    console.error(`bench: reusing ${path.relative(ROOT, file)}`);
    return file;
  }
  console.error(
    `bench: generating ${path.relative(ROOT, file)} (${fmtMB(rawBytes(nt))} MB uncompressed)...`,
  );
  const r = spawnSync(PY, [path.join(HERE, "make_input.py"), file, "--nt", String(nt)], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) die(`make_input.py failed for --nt ${nt}`);
  return file;
}

const rawBytes = (nt) => nt * NLAT * NLON * 4;

// Both tools start with the input in the page cache, whatever ran before.
function warmCache(file) {
  if (statSync(file).size > totalmem() / 2) return; // would evict itself: all runs equally cold
  const fd = openSync(file, "r");
  const buf = Buffer.allocUnsafe(8 * MiB);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------- measuring

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

// GNU time's %M is the peak RSS of the process it waits for (threads included:
// dask's threaded scheduler, Node worker_threads). Child *processes* would not
// be summed, so the process tree's RSS is also sampled from /proc every 100 ms
// and the larger of the two is reported (marked * in the table).
async function measure(cmd) {
  const timeFile = path.join(OUT, `.time-${process.pid}.txt`);
  rmSync(timeFile, { force: true });
  const child = spawn(GNU_TIME, ["-f", "%e %M", "-o", timeFile, ...cmd], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stdout.on("data", (d) => {
    stdout = (stdout + d).slice(-4000);
  });
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  let treePeak = 0;
  let maxProcs = 0;
  const timer = setInterval(() => {
    const { rss, procs } = treeRss(child.pid);
    treePeak = Math.max(treePeak, rss);
    maxProcs = Math.max(maxProcs, procs);
  }, 100);
  const code = await new Promise((resolve) => child.on("close", resolve));
  clearInterval(timer);
  const timing = existsSync(timeFile) ? readFileSync(timeFile, "utf8") : "";
  rmSync(timeFile, { force: true });
  if (code !== 0) return { ok: false, code, stderr, stdout };
  // The last line; GNU time puts "Command exited with non-zero status" lines before it.
  const [wall, maxKb] = timing.trim().split(/\s+/).slice(-2).map(Number);
  const timeRss = maxKb * 1024;
  return {
    ok: true,
    wall,
    rss: Math.max(timeRss, treePeak),
    rssFromTree: treePeak > timeRss && maxProcs > 1,
    stderr,
  };
}

// Sum of VmRSS over the descendants of pid (GNU time itself excluded).
function treeRss(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  let rss = 0;
  let procs = 0;
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length) {
    const p = stack.pop();
    stack.push(...(children.get(p) ?? []));
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) {
        rss += Number(m[1]) * 1024;
        procs++;
      }
    } catch {
      // gone
    }
  }
  return { rss, procs };
}

// ---------------------------------------------------------------- verifying

function runJson(args) {
  const r = spawnSync(PY, args, { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0)
    return {
      ok: false,
      differences: [`${path.basename(args[0])} crashed: ${r.stderr.trim().split("\n").pop()}`],
    };
  return JSON.parse(r.stdout);
}

function verifyAgainstSource(input, output) {
  return runJson([path.join(ROOT, "test", "interop", "compare_xarray.py"), input, output]);
}

function verifyEncoding(output) {
  const r = spawnSync(PY, [path.join(ROOT, "test", "interop", "zarr_v2_info.py"), output], {
    encoding: "utf8",
  });
  if (r.status !== 0) return [`zarr_v2_info.py failed: ${r.stderr.trim()}`];
  const a = JSON.parse(r.stdout).arrays.t2m;
  if (!a) return ["no t2m array in .zmetadata"];
  const problems = [];
  if (JSON.stringify(a.chunks) !== JSON.stringify(EXPECTED_CHUNKS))
    problems.push(`chunks ${JSON.stringify(a.chunks)}`);
  const c = a.compressor ?? {};
  if (c.id !== "blosc" || c.cname !== "zstd" || c.clevel !== 3 || c.shuffle !== 1) {
    problems.push(`compressor ${JSON.stringify(a.compressor)}`);
  }
  if (a.dtype !== "<f4") problems.push(`dtype ${a.dtype}`);
  return problems;
}

function duBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? duBytes(p) : statSync(p).size;
  }
  return total;
}

// ---------------------------------------------------------------- one case

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
      rmSync(r.output, { recursive: true, force: true });
      warmCache(input);
      console.error(`bench: ${label} ${t} run ${i + 1}/${repeat}...`);
      const m = await measure(TOOLS[t](input, r.output));
      if (!m.ok) {
        r.failed = `exit ${m.code}: ${(m.stderr || m.stdout).trim().split("\n").slice(-5).join(" | ")}`;
        console.error(`bench: ${t} failed: ${r.failed}`);
        continue;
      }
      console.error(`bench:   ${m.wall.toFixed(2)} s, ${(m.rss / MiB).toFixed(0)} MiB`);
      r.runs.push(m);
    }
  }
  for (const t of tools) {
    const r = res.tools[t];
    if (r.failed || !r.runs.length) continue;
    r.wall = median(r.runs.map((m) => m.wall));
    r.rss = Math.max(...r.runs.map((m) => m.rss));
    r.rssFromTree = r.runs.some((m) => m.rssFromTree);
    r.outSize = duBytes(r.output);
    console.error(`bench: verifying ${t} output against the source...`);
    r.verify = verifyAgainstSource(input, r.output);
    r.encodingProblems = verifyEncoding(r.output);
  }
  const [x, z] = [res.tools.xarray, res.tools.zarrify];
  if (x?.verify && z?.verify) {
    console.error("bench: comparing zarrify's output with xarray's...");
    res.outputsEqual = runJson([path.join(HERE, "compare_outputs.py"), z.output, x.output]);
  }
  return res;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------- report

const fmtMB = (b) => (b / 1e6).toFixed(0);

function report(cases, info) {
  const lines = [];
  const checks = [];
  const check = (ok, text) =>
    checks.push(`${ok === null ? "SKIP" : ok ? "PASS" : "FAIL"}: ${text}`);
  lines.push("# zarrify benchmark");
  lines.push("");
  lines.push(
    `Run ${new Date().toISOString()} on ${cpus()[0]?.model ?? "?"} (${cpus().length} cores), ${(totalmem() / GiB).toFixed(1)} GiB RAM.`,
  );
  lines.push(`Node ${process.version}; zarrify ${info.zarrify}; ${info.python}.`);
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
        `| ${caseName} | ${t} | ${r.wall.toFixed(2)} | ${(r.rss / MiB).toFixed(0)}${r.rssFromTree ? "*" : ""} | ${(c.bytes / 1e6 / r.wall).toFixed(0)} | ${ratio} |`,
      );
    }
  }
  if (cases.some((c) => Object.values(c.tools).some((r) => r.rssFromTree))) {
    lines.push("");
    lines.push(
      "\\* summed over several processes (sampled from /proc), larger than any single process's peak.",
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
      const runs = r.runs
        .map((m) => `${m.wall.toFixed(2)} s/${(m.rss / MiB).toFixed(0)} MiB`)
        .join(", ");
      lines.push(
        `  - ${t}: ${runs}; output ${fmtMB(r.outSize)} MB (${(c.bytes / r.outSize).toFixed(2)}× ratio)`,
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
  lines.push("");
  lines.push("## Checks");
  lines.push("");
  for (const c of checks) lines.push(`    ${c}`);
  lines.push("");
  return { text: lines.join("\n"), failed: checks.some((c) => c.startsWith("FAIL")) };
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  preflight(opts);
  const tools = opts.only ? [opts.only] : ["xarray", "zarrify"];
  const cases = [await runCase("standard", opts.nt, tools, opts.repeat)];
  if (opts.big) {
    const bigTools = opts.only ? [opts.only] : opts.bigXarray ? ["xarray", "zarrify"] : ["zarrify"];
    cases.push(await runCase("big", opts.bigNt, bigTools, opts.bigRepeat));
  }
  const { text, failed } = report(cases, versions());
  writeFileSync(path.join(HERE, "results.md"), text);
  console.log(text);
  process.exitCode = failed ? 1 : 0;
}

await main();
