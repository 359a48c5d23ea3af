// What the benchmark drivers (run.mjs, regions.mjs, packing.mjs, multifile.mjs) share: where
// things are, option parsing, the standard input and series of inputs, timing child processes,
// the codec limit, checks with the Python reference tools and the pieces of their reports. Each
// driver keeps what it alone measures and prints.
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
import { createServer as createNetServer } from "node:net";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "..");
export const OUT = path.join(HERE, "out");
export const PY = "/usr/bin/python3";
const GNU_TIME = "/usr/bin/time";
// ZARRIFY_BENCH_CLI benchmarks another build (e.g. an installed package's bin.js).
export const CLI = process.env.ZARRIFY_BENCH_CLI
  ? path.resolve(process.env.ZARRIFY_BENCH_CLI)
  : path.join(ROOT, "dist", "cli", "bin.js");
export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;
// USER_HZ of /proc/stat; 100 on every Linux this runs on.
const CLK_TCK = 100;

// The standard case of run.mjs, whose input packing.mjs reuses: t2m(nt, 721, 1440) from
// make_input.py, converted to chunks 24×180×360.
export const NLAT = 721;
export const NLON = 1440;
export const CHUNKING = "time:24,lat:180,lon:360";
export const EXPECTED_CHUNKS = [24, 180, 360];

export function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(1);
}

// ---------------------------------------------------------------- options

export function positiveInt(v, flag) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) die(`${flag} needs a positive integer, got ${v}`);
  return n;
}

export function oneTool(v) {
  if (!["xarray", "zarrify"].includes(v)) die("--only must be xarray or zarrify");
  return v;
}

/**
 * Options over defaults. spec maps a flag to [key, how]: how is a function (value, flag) =>
 * option, parsing the argument that follows the flag, or a constant the flag sets on its own.
 */
export function parseOptions(argv, usage, defaults, spec) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") {
      console.log(usage);
      process.exit(0);
    }
    if (!Object.hasOwn(spec, a)) die(`unknown option ${a}\n${usage}`);
    const [key, how] = spec[a];
    if (typeof how !== "function") o[key] = how;
    else {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      o[key] = how(argv[++i], a);
    }
  }
  return o;
}

// ---------------------------------------------------------------- preflight

const XARRAY_STACK = "xarray, dask, zarr, numcodecs, netCDF4";

/** Dies unless GNU time, the Python modules and (when needCli) the built CLI are there. */
export function preflight({ modules = XARRAY_STACK, needCli = true, cliHint = "" } = {}) {
  if (!existsSync(GNU_TIME)) die(`${GNU_TIME} is missing: apt-get install time`);
  const probe = spawnSync(PY, ["-c", `import ${modules}`], { encoding: "utf8" });
  if (probe.status !== 0) {
    die(
      `${PY} lacks xarray/dask/zarr/numcodecs/netCDF4 (apt-get install python3-xarray python3-dask python3-zarr python3-netcdf4):\n${probe.stderr}`,
    );
  }
  if (needCli && !existsSync(CLI)) {
    die(
      `the zarrify CLI is not built (${path.relative(ROOT, CLI)} is missing): run \`npm run build\` first${cliHint}`,
    );
  }
}

/** zarrify's version and a line of the Python modules' versions (sys and numpy always). */
export function versions(modules = XARRAY_STACK) {
  const mods = modules.split(", ");
  const shown = [...mods, "numpy"].map((m) => `${m} {${m}.__version__}`).join(", ");
  const py = spawnSync(
    PY,
    [
      "-c",
      `import sys, ${mods.join(", ")}, numpy; print(f'python {sys.version.split()[0]}, ${shown}')`,
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

/** A TCP port on 127.0.0.1 nothing listens on now, for a server a bench starts (redis, moto). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- inputs

export const rawBytes = (nt) => nt * NLAT * NLON * 4;

/** bench/out/t2m_nt<nt>.nc, generated by make_input.py the first time. */
export function ensureInput(nt) {
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

// A series of NetCDF-4 files from make_series.py, as regions.mjs and multifile.mjs use them.
export const SERIES_START = "2020-01-01";

/** bench/out/series-<files>x<steps>-<nlat>x<nlon>/, where ensureSeries caches a series. */
export const seriesDir = (files, steps, nlat, nlon) =>
  path.join(OUT, `series-${files}x${steps}-${nlat}x${nlon}`);

/**
 * The w.files files (w.steps steps of w.nlat×w.nlon every w.stepHours hours from start) in
 * w.dir, generated by make_series.py the first time (w.bytes, uncompressed, for the log). Their
 * paths and their summed size on disk.
 */
export function ensureSeries(w, start = SERIES_START) {
  mkdirSync(OUT, { recursive: true });
  const paths = Array.from({ length: w.files }, (_, i) =>
    path.join(w.dir, `part_${String(i).padStart(4, "0")}.nc`),
  );
  if (paths.every((p) => existsSync(p))) {
    console.error(`bench: reusing ${path.relative(ROOT, w.dir)}`);
  } else {
    console.error(
      `bench: generating ${path.relative(ROOT, w.dir)} (${w.files} files, ${fmtMB(w.bytes)} MB uncompressed)...`,
    );
    const r = spawnSync(
      PY,
      [
        path.join(HERE, "make_series.py"),
        w.dir,
        "--files",
        String(w.files),
        "--steps",
        String(w.steps),
        "--nlat",
        String(w.nlat),
        "--nlon",
        String(w.nlon),
        "--step-hours",
        String(w.stepHours),
        "--start",
        start,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    if (r.status !== 0) die(`make_series.py failed for ${w.dir}`);
  }
  return { paths, diskBytes: paths.reduce((n, p) => n + statSync(p).size, 0) };
}

/**
 * A series of `files` files of `steps` steps each (a file per day) on an nlat×nlon grid, with the
 * time axis and chunking a template over them gets: what regions.mjs and queue.mjs fill.
 */
export function workload(files, steps, nlat, nlon, timeChunk, spatialChunk) {
  const stepHours = 24 / steps;
  const nt = files * steps;
  const end = new Date(Date.parse(`${SERIES_START}T00:00:00Z`) + (nt - 1) * stepHours * 3600e3);
  const clat = Math.min(nlat, spatialChunk[0]);
  const clon = Math.min(nlon, spatialChunk[1]);
  return {
    files,
    steps,
    nlat,
    nlon,
    nt,
    stepHours,
    freq: stepHours === 24 ? "1D" : `${stepHours}H`,
    end: end.toISOString().slice(0, 16),
    chunks: [timeChunk, clat, clon],
    chunking: `time:${timeChunk},lat:${clat},lon:${clon}`,
    expectedChunkFiles: Math.ceil(nt / timeChunk) * Math.ceil(nlat / clat) * Math.ceil(nlon / clon),
    bytes: nt * nlat * nlon * 4,
    dir: seriesDir(files, steps, nlat, nlon),
  };
}

/** The template's time axis and encoding of a workload, the same for every verb that makes it. */
export function templateArgs(w) {
  return [
    "--global-start",
    SERIES_START,
    "--global-end",
    w.end,
    "--freq",
    w.freq,
    "--chunking",
    w.chunking,
    "--compression",
    "blosc:zstd:3",
    "--zarr-format",
    "2",
  ];
}

// Every run starts with its inputs in the page cache, whatever ran before. A file larger than
// half the RAM would evict itself: all runs on it are equally cold instead.
export function warmCache(files) {
  const buf = Buffer.allocUnsafe(8 * MiB);
  for (const file of [files].flat()) {
    if (statSync(file).size > totalmem() / 2) continue;
    const fd = openSync(file, "r");
    try {
      while (readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

// ---------------------------------------------------------------- measuring

function cpuBusyTicks() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1);
  const t = f.map(Number);
  // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
  const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - t[3] - t[4];
}

// GNU time reports wall, peak RSS of the process it waits for (threads included: dask's threaded
// scheduler, Node worker_threads) and the CPU time of it and its reaped children. Child
// processes' RSS is not summed by %M, so the tree's RSS is also sampled from /proc every 100 ms
// and the larger is reported (marked * in the tables). The machine's busy time minus ours, over
// the wall time, is what else ran meanwhile ("others").
export async function measure(cmd) {
  const timeFile = path.join(OUT, `.time-${process.pid}.txt`);
  rmSync(timeFile, { force: true });
  const busy0 = cpuBusyTicks();
  const child = spawn(GNU_TIME, ["-f", "%e %M %U %S", "-o", timeFile, ...cmd], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stdout.on("data", (d) => {
    stdout = (stdout + d).slice(-8000);
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
  const busy = (cpuBusyTicks() - busy0) / CLK_TCK;
  const timing = existsSync(timeFile) ? readFileSync(timeFile, "utf8") : "";
  rmSync(timeFile, { force: true });
  if (code !== 0) return { ok: false, code, stderr, stdout };
  // The last line; GNU time puts "Command exited with non-zero status" lines before it.
  const [wall, maxKb, user, sys] = timing.trim().split(/\s+/).slice(-4).map(Number);
  const timeRss = maxKb * 1024;
  const cpu = user + sys;
  return {
    ok: true,
    wall,
    cpu,
    others: wall > 0 ? Math.max(0, busy - cpu) / wall : 0,
    rss: Math.max(timeRss, treePeak),
    rssFromTree: treePeak > timeRss && maxProcs > 1,
    stdout,
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

// What two processes can get out of this machine right now: the same CPU-bound loop run once,
// then twice at the same time. 2.0 on two idle cores; less when something else is running.
const SPIN = "let x=0;for(let i=0;i<2e8;i++)x=(x*1664525+1013904223)|0;if(x===42)console.log(x)";

/** 2 × the wall of one spin loop / the wall of two at once; undefined when one failed. */
export async function parallelCeiling() {
  const one = await measure([process.execPath, "-e", SPIN]);
  const two = await measure([
    "/bin/sh",
    "-c",
    `"$0" -e '${SPIN}' & "$0" -e '${SPIN}' & wait`,
    process.execPath,
  ]);
  if (!one.ok || !two.ok) return undefined;
  return (2 * one.wall) / two.wall;
}

/** Why a measured command failed: its exit code and the last lines it wrote. */
export const failure = (m, lines = 5) =>
  `exit ${m.code}: ${(m.stderr || m.stdout).trim().split("\n").slice(-lines).join(" | ")}`;

/**
 * One timed run of cmd (name and round for the log), its output removed first and its inputs in
 * the page cache. The measurement, or undefined with r.failed set when the command failed.
 */
export async function timedRun(r, name, round, cmd, output, inputs) {
  rmSync(output, { recursive: true, force: true });
  warmCache(inputs);
  console.error(`bench: ${name} run ${round}...`);
  const m = await measure(cmd);
  if (m.ok) return m;
  r.failed = failure(m);
  console.error(`bench: ${name} failed: ${r.failed}`);
  return undefined;
}

/** Over r.runs: median wall and CPU time, maximum RSS. */
export function summarize(r) {
  r.wall = median(r.runs.map((m) => m.wall));
  r.cpu = median(r.runs.map((m) => m.cpu));
  r.others = median(r.runs.map((m) => m.others));
  r.rss = Math.max(...r.runs.map((m) => m.rss));
  r.rssFromTree = r.runs.some((m) => m.rssFromTree);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function duBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? duBytes(p) : statSync(p).size;
  }
  return total;
}

/**
 * codec_limit.py once (one round) on input: its JSON, or {failed}. chunks: the output chunks to
 * compress; procs: pool processes (default: codec_limit.py's, all cores).
 */
export function codecLimit(input, { chunks = EXPECTED_CHUNKS, procs } = {}) {
  const r = spawnSync(
    PY,
    [
      path.join(HERE, "codec_limit.py"),
      input,
      "--chunks",
      chunks.join(","),
      "--repeat",
      "1",
      ...(procs === undefined ? [] : ["--procs", String(procs)]),
    ],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  if (r.status !== 0)
    return { failed: `exit ${r.status}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}` };
  return JSON.parse(r.stdout);
}

// ---------------------------------------------------------------- verifying

/** A Python checker's JSON verdict; a crash becomes a failed one. */
export function runJson(args) {
  return runJsonWith([PY], args);
}

/**
 * runJson with another Python, given as a command prefix (SID_PY: today's stack in the sid
 * chroot, which runs from the work tree).
 */
export function runJsonWith(python, args) {
  const r = spawnSync(python[0], [...python.slice(1), ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    ...(python === SID_PY ? { cwd: ROOT } : {}),
  });
  if (r.status !== 0) {
    const last = r.stderr.trim().split("\n").pop();
    return { ok: false, differences: [`${path.basename(args[0])} crashed: ${last}`] };
  }
  return JSON.parse(r.stdout);
}

/** xarray must read the archive as it reads the source file(s). */
export function compareXarray(inputs, output, ...extra) {
  const script = path.join(ROOT, "test", "interop", "compare_xarray.py");
  return runJson([script, ...[inputs].flat(), output, ...extra]);
}

// Today's reference stack (xarray 2026 + zarr-python 3): the Debian sid chroot that
// scripts/sid-chroot.sh builds and caches; paths under /tmp and the work tree are the same inside.
// Zarr v3 archives must be read with it (Debian 12's zarr 2.13 cannot).
export const SID_SCRIPT = path.join(ROOT, "scripts", "sid-chroot.sh");
export const SID_PY = ["bash", SID_SCRIPT, "run", "python3"];

/** Whether the sid chroot is built (scripts/sid-chroot.sh build makes it). */
export const sidReady = () =>
  spawnSync("bash", [SID_SCRIPT, "path"], { stdio: "ignore" }).status === 0;

/** compareXarray with today's stack: what a Zarr v3 archive must be checked with. */
export function compareXarraySid(inputs, output, ...extra) {
  const script = path.join(ROOT, "test", "interop", "compare_xarray.py");
  return runJsonWith(SID_PY, [script, ...[inputs].flat(), output, ...extra]);
}

/** What differs from float32 t2m in the given chunks, Blosc zstd 3 + byte shuffle. */
export function encodingProblems(a, chunks) {
  const problems = [];
  if (JSON.stringify(a.chunks) !== JSON.stringify(chunks))
    problems.push(`chunks ${JSON.stringify(a.chunks)}`);
  const c = a.compressor ?? {};
  if (c.id !== "blosc" || c.cname !== "zstd" || c.clevel !== 3 || c.shuffle !== 1) {
    problems.push(`compressor ${JSON.stringify(a.compressor)}`);
  }
  if (a.dtype !== "<f4") problems.push(`dtype ${a.dtype}`);
  return problems;
}

/** encodingProblems of t2m as zarr-python reads the archive's consolidated metadata. */
export function verifyEncoding(output, chunks) {
  const r = spawnSync(PY, [path.join(ROOT, "test", "interop", "zarr_v2_info.py"), output], {
    encoding: "utf8",
  });
  if (r.status !== 0) return [`zarr_v2_info.py failed: ${r.stderr.trim()}`];
  const a = JSON.parse(r.stdout).arrays.t2m;
  if (!a) return ["no t2m array in .zmetadata"];
  return encodingProblems(a, chunks);
}

// ---------------------------------------------------------------- report

export const fmtMB = (b) => (b / 1e6).toFixed(0);
export const fmtRss = (r) => `${(r.rss / MiB).toFixed(0)}${r.rssFromTree ? "*" : ""}`;
export const fmtRun = (m) => `${m.wall.toFixed(2)} s/${(m.rss / MiB).toFixed(0)} MiB`;

/** "Run <when> on <cpu> (<n> cores), <ram> GiB RAM"; the caller ends the sentence. */
export const machineLine = () =>
  `Run ${new Date().toISOString()} on ${cpus()[0]?.model ?? "?"} (${cpus().length} cores), ${(totalmem() / GiB).toFixed(1)} GiB RAM`;

export const versionLine = (info, ...more) =>
  `${[`Node ${process.version}`, `zarrify ${info.zarrify}`, info.python, ...more].join("; ")}.`;

/** The footnote to a table's RSS marked *. */
export function rssFootnote(lines, over = "several processes") {
  lines.push("");
  lines.push(
    `\\* summed over ${over} (sampled from /proc), larger than any single process's peak.`,
  );
}

/** PASS/FAIL checks and PASS/MISS goals (SKIP when ok is null), ending a report. */
export function checklist() {
  const items = [];
  const mark = (bad) => (ok, text) =>
    items.push(`${ok === null ? "SKIP" : ok ? "PASS" : bad}: ${text}`);
  return {
    check: mark("FAIL"),
    goal: mark("MISS"),
    /** The report's text with the checks appended, and whether any failed or missed. */
    finish(lines) {
      lines.push("", "## Checks", "");
      for (const c of items) lines.push(`    ${c}`);
      lines.push("");
      return {
        text: lines.join("\n"),
        failed: items.some((c) => c.startsWith("FAIL")),
        missed: items.some((c) => c.startsWith("MISS")),
      };
    },
  };
}

/** Writes bench/<file> (overwritten) and prints it. */
export function publish(file, text) {
  writeFileSync(path.join(HERE, file), text);
  console.log(text);
}
