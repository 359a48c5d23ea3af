/**
 * The built CLI run as a user runs it, watched from outside: peak RSS from GNU time, and, sampled
 * every `pollMs` while it runs, the node process's open descriptors (/proc/PID/fd) and the bytes
 * of zarrify's temporary files. Nothing is read from inside the process, so what is measured is
 * what the user's machine sees.
 */
import { spawn } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cliBin } from "../helpers/paths.js";

export interface Measured {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** GNU time's %M of the node process, MiB. */
  maxRssMiB: number;
  /** Most descriptors open at once in the node process (every thread's share). */
  maxFds: number;
  /** Most bytes of temp files seen at once (`TempUsage.tmp`). */
  peakTempBytes: number;
  /** Largest staging directory seen (`TempUsage.staging`). */
  peakStagingBytes: number;
  samples: number;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  pollMs?: number;
  /** Directories whose temporary files are counted: an archive, its parent, a private TMPDIR. */
  tempRoots?: string[];
  /** Signal sent once `when` says so (checked at every sample). */
  interrupt?: { signal: NodeJS.Signals; when: (m: { ms: number; usage: TempUsage }) => boolean };
}

const RSS_MARK = "@@zarrify-maxrss-kib=";

/** What zarrify leaves only while it runs: its temp files and staging directories. */
export function isTempName(name: string): boolean {
  return /\.zarrify-tmp|\.zarrify-partial-|^zarrify-/.test(name);
}

export interface TempUsage {
  /** Temp files: `*.zarrify-tmp` anywhere, and everything in a private TMPDIR. */
  tmp: number;
  /** The rest of a staging directory (`OUT.zarrify-partial-PID`): the archive being built. */
  staging: number;
}

/** Bytes of temporary files under each root; a root listed in `wholeRoots` counts whole. */
export function tempUsage(roots: readonly string[], wholeRoots: readonly string[] = []): TempUsage {
  const usage: TempUsage = { tmp: 0, staging: 0 };
  const walk = (dir: string, whole: boolean, staging: boolean) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // removed while walking: it was temporary
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        const st = lstatSync(path);
        const inStaging = staging || name.includes(".zarrify-partial-");
        if (st.isDirectory()) walk(path, whole, inStaging);
        else if (whole || name.endsWith(".zarrify-tmp")) usage.tmp += st.size;
        else if (inStaging) usage.staging += st.size;
      } catch {
        // gone between readdir and lstat
      }
    }
  };
  for (const r of roots) walk(r, wholeRoots.includes(r), false);
  return usage;
}

/** Every temporary name under `roots` (for the "nothing left" assertions). */
export function tempLeftovers(roots: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (isTempName(name)) out.push(path);
      else if (lstatSync(path).isDirectory()) walk(path);
    }
  };
  for (const r of roots) walk(r);
  return out;
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** The node process GNU time started (its only child). */
function childOf(pid: number): number | undefined {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return kids ? Number(kids.split(/\s+/)[0]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `zarrify ARGS` under GNU time and samples it until it exits. TMPDIR in `env` is how a test
 * gives it a private temp directory; list that directory in `tempRoots` and `wholeTemp`.
 */
export function measureCli(
  args: string[],
  o: MeasureOptions & { wholeTemp?: string[] } = {},
): Promise<Measured> {
  if (!existsSync(cliBin)) throw new Error(`${cliBin} missing: run \`npm run build\` first`);
  const started = Date.now();
  const child = spawn("/usr/bin/time", ["-f", `${RSS_MARK}%M`, process.execPath, cliBin, ...args], {
    env: { ...process.env, ...o.env },
    cwd: o.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  let maxFds = 0;
  let peakTempBytes = 0;
  let peakStagingBytes = 0;
  let samples = 0;
  let node: number | undefined;
  let interrupted = false;
  const sample = () => {
    node ??= child.pid === undefined ? undefined : childOf(child.pid);
    if (node === undefined) return;
    maxFds = Math.max(maxFds, fdCount(node));
    const ms = Date.now() - started;
    const usage = o.tempRoots ? tempUsage(o.tempRoots, o.wholeTemp) : { tmp: 0, staging: 0 };
    peakTempBytes = Math.max(peakTempBytes, usage.tmp);
    peakStagingBytes = Math.max(peakStagingBytes, usage.staging);
    samples++;
    if (o.interrupt && !interrupted && o.interrupt.when({ ms, usage })) {
      interrupted = true;
      // To node itself, as a terminal's Ctrl-C or a scheduler's kill would reach it.
      process.kill(node, o.interrupt.signal);
    }
  };
  const timer = setInterval(sample, o.pollMs ?? 20);
  const limit = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 300_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearInterval(timer);
      clearTimeout(limit);
      const mark = stderr.lastIndexOf(RSS_MARK);
      const kib = mark >= 0 ? Number(stderr.slice(mark + RSS_MARK.length).trim()) : Number.NaN;
      const err = (mark >= 0 ? stderr.slice(0, mark) : stderr).replace(
        /^Command (terminated by signal|exited with non-zero status) .*\n?/m,
        "",
      );
      resolve({
        code,
        signal,
        stdout,
        stderr: err,
        ms: Date.now() - started,
        maxRssMiB: kib / 1024,
        maxFds,
        peakTempBytes,
        peakStagingBytes,
        samples,
      });
    });
  });
}
