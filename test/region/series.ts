/** Test-time series of NetCDF files (make_series.py) and helpers around region archives. */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { cliBin, python, repoRoot } from "../helpers/paths.js";

export interface SeriesOptions {
  start?: string;
  stepHours?: number;
  nlat?: number;
  nlon?: number;
  format?: string;
  mixedUnits?: boolean;
  nan?: boolean;
  prefix?: string;
  latShift?: number;
}

/** Writes files holding `sizes[i]` consecutive steps each; returns their paths in time order. */
export function makeSeries(dir: string, sizes: number[], o: SeriesOptions = {}): string[] {
  const args = [join(repoRoot, "test/region/make_series.py"), dir, "--sizes", sizes.join(",")];
  if (o.start) args.push("--start", o.start);
  if (o.stepHours) args.push("--step-hours", String(o.stepHours));
  if (o.nlat) args.push("--nlat", String(o.nlat));
  if (o.nlon) args.push("--nlon", String(o.nlon));
  if (o.format) args.push("--format", o.format);
  if (o.mixedUnits) args.push("--mixed-units");
  if (o.nan) args.push("--nan");
  if (o.prefix) args.push("--prefix", o.prefix);
  if (o.latShift) args.push("--lat-shift", String(o.latShift));
  return JSON.parse(execFileSync(python, args, { encoding: "utf8" }));
}

/** Every file of a directory tree with its SHA-256: "unchanged" means equal maps. */
export function treeHashes(root: string, skip: (rel: string) => boolean = () => false) {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const rel = relative(root, p);
      if (skip(rel)) continue;
      if (e.isDirectory()) walk(p);
      else out[rel] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  if (statSync(root).isDirectory()) walk(root);
  return out;
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The built CLI as a separate OS process, without blocking the test's event loop; `env` is added
 * to this process's environment.
 */
export function cliProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The time range of the race tests' 40 one-step files, as create-template and run take it. */
export const RACE_RANGE = [
  "--global-start",
  "2020-01-01",
  "--global-end",
  "2020-02-09",
  "--freq",
  "1D",
];

/**
 * The race: a template over the 40 days of a 40-file one-step series (2020-01-01 on), laid out by
 * `templateArgs` (chunking, shards, format), then 8 write-region processes at a time, each file
 * its own, in time order so neighbours run together (every chunk or shard is shared by the files
 * running at once). `env` reaches every process (an object store's endpoint).
 */
export async function raceWriteRegion(
  files: string[],
  archive: string,
  templateArgs: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const t = await cliProcess(
    ["create-template", files[0], archive, ...RACE_RANGE, ...templateArgs],
    env,
  );
  if (t.code !== 0) throw new Error(`create-template failed: ${t.stderr}`);
  const queue = [...files];
  const failures: string[] = [];
  const lane = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      const r = await cliProcess(["write-region", f, archive], env);
      if (r.code !== 0) failures.push(`${f}: exit ${r.code}: ${r.stderr}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  if (failures.length > 0) throw new Error(`write-region failed:\n${failures.join("\n")}`);
}

/** compare_xarray.py: xarray opening the archive equals xarray concatenating the files. */
export function compareConcat(
  files: string[],
  archive: string,
): { ok: boolean; differences: string[] } {
  const out = execFileSync(
    python,
    [join(repoRoot, "test/interop/compare_xarray.py"), ...files, archive, "--concat-dim", "time"],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(out);
}
