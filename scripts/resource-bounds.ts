/**
 * The resource measurements of docs/resources.md, as a markdown table: the built CLI run as a
 * user runs it (`npm run build` first), peak RSS from GNU time, open descriptors and temp bytes
 * sampled from outside every 20 ms (test/resources/measure.ts).
 *
 *   npx tsx scripts/resource-bounds.ts [--files 10000] [--jobs 2] [--quick]
 *
 * --files: the largest count of one-step inputs for run and multi-file convert (default 2000);
 * --quick: leaves out the 1.2 GB single files.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  dayAfter2000,
  writeNetcdf4,
  writeRecordFile,
  writeStepFiles,
} from "../test/resources/gen.js";
import { type Measured, measureCli } from "../test/resources/measure.js";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const MAX_FILES = Number(flag("files", "2000"));
const JOBS = flag("jobs", "2");
const QUICK = process.argv.includes("--quick");

const root = mkdtempSync(join(tmpdir(), "zarrify-resources-"));
const tmp = join(root, "tmp");
mkdirSync(tmp);
const rows: string[] = [];

const mib = (bytes: number) => bytes / 2 ** 20;
const show = (n: number, digits = 0) => n.toFixed(digits);

async function measure(label: string, inputs: string, data: string, args: string[]) {
  const work = mkdtempSync(join(root, "case-"));
  const out = join(work, "out.zarr");
  const m: Measured = await measureCli(
    args.map((a) => (a === "OUT" ? out : a)),
    { env: { TMPDIR: tmp }, tempRoots: [work, tmp], wholeTemp: [tmp], timeoutMs: 3_600_000 },
  );
  const left = readdirSync(tmp).length;
  const status = m.code === 0 ? "" : ` (exit ${m.code}: ${m.stderr.trim().split("\n")[0]})`;
  const row = `| ${label}${status} | ${inputs} | ${data} | ${show(m.maxRssMiB)} | ${m.maxFds} | ${show(mib(m.peakTempBytes), 2)} | ${show(mib(m.peakStagingBytes), 1)} | ${show(m.ms / 1000, 1)} |${left ? ` ${left} left in TMPDIR` : ""}`;
  rows.push(row);
  console.error(row);
  rmSync(work, { recursive: true, force: true });
}

const convertOne = (path: string) => [
  "convert",
  path,
  "OUT",
  "--chunking",
  "time:10",
  "--jobs",
  JOBS,
  "--no-progress",
];

async function singleFiles(): Promise<void> {
  const grid = { y: 256, x: 512 };
  const sizes = QUICK ? [80, 800] : [80, 800, 2400];
  for (const steps of sizes) {
    const path = join(root, `records-${steps}.nc`);
    writeRecordFile(path, steps, grid);
    await measure("convert, NetCDF-3 records", "1", `${steps / 2} MiB`, convertOne(path));
    rmSync(path);
  }
  for (const steps of sizes) {
    const path = join(root, `nc4-${steps}.nc`);
    writeNetcdf4(path, steps, grid, 10);
    await measure("convert, NetCDF-4 deflate", "1", `${steps / 2} MiB`, convertOne(path));
    rmSync(path);
  }
}

async function manyFiles(): Promise<void> {
  // 68 KiB a file (above the worker threshold from 500 files on), default chunking.
  const dir = join(root, "steps");
  mkdirSync(dir);
  const files = writeStepFiles(dir, MAX_FILES, { y: 128, x: 136 });
  for (const n of [...new Set([500, 2000, MAX_FILES])].filter((n) => n <= MAX_FILES)) {
    const list = join(root, `files-${n}.txt`);
    writeFileSync(list, `${files.slice(0, n).join("\n")}\n`);
    const data = `${show((n * 68) / 1024, 0)} MiB`;
    await measure("run, one-step NetCDF-3", String(n), data, [
      "run",
      "--files-from",
      list,
      "OUT",
      "--global-start",
      "2000-01-01",
      "--global-end",
      dayAfter2000(n - 1),
      "--freq",
      "1D",
      "--jobs",
      JOBS,
      "--no-progress",
    ]);
    await measure("convert, one-step NetCDF-3", String(n), data, [
      "convert",
      ...files.slice(0, n),
      "OUT",
      "--jobs",
      JOBS,
      "--no-progress",
    ]);
  }
  rmSync(dir, { recursive: true, force: true });
  // 256 KiB a file in chunks of 10 steps: the same blocks whatever the count (memory-count.test).
  const big = join(root, "big-steps");
  mkdirSync(big);
  const bigFiles = writeStepFiles(big, 2000, { y: 256, x: 256 });
  for (const n of [200, 2000]) {
    const list = join(root, `big-${n}.txt`);
    writeFileSync(list, `${bigFiles.slice(0, n).join("\n")}\n`);
    const data = `${show(n / 4, 0)} MiB`;
    const common = ["--chunking", "time:10", "--jobs", JOBS, "--no-progress"];
    await measure("run, 256 KiB steps, chunks of 10", String(n), data, [
      "run",
      "--files-from",
      list,
      "OUT",
      "--global-start",
      "2000-01-01",
      "--global-end",
      dayAfter2000(n - 1),
      "--freq",
      "1D",
      ...common,
    ]);
    await measure("convert, 256 KiB steps, chunks of 10", String(n), data, [
      "convert",
      ...bigFiles.slice(0, n),
      "OUT",
      ...common,
    ]);
  }
  rmSync(big, { recursive: true, force: true });
}

try {
  const started = new Date();
  await singleFiles();
  await manyFiles();
  console.log(
    `Measured ${started.toISOString().slice(0, 16)}Z, --jobs ${JOBS}: \`npx tsx scripts/resource-bounds.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(" ")}` : ""}\`\n`,
  );
  console.log(
    "| case | inputs | data | peak RSS MiB | max fds | peak temp MiB | peak staging MiB | wall s |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(r);
} finally {
  rmSync(root, { recursive: true, force: true });
}
