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
