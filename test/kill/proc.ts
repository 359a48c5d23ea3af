/**
 * The CLI as the kill matrix starts it: a child process in its own process group (so a SIGKILL
 * takes whatever it started with it, as a scheduler's or the OOM killer's would), output kept for
 * the report, and a timeout that turns a hung command into a failure instead of a hung matrix.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cliBin } from "../helpers/paths.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  timedOut: boolean;
}

export interface Started {
  child: ChildProcess;
  done: Promise<Exit>;
  /** SIGKILL to the whole process group. */
  kill(): void;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Started {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cliBin, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  const done = new Promise<Exit>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        seconds: (performance.now() - t0) / 1000,
        timedOut,
      });
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({
        code: -1,
        signal: null,
        stdout,
        stderr: `${stderr}\nspawn failed: ${err.message}`,
        seconds: 0,
        timedOut,
      });
    });
  });
  return { child, done, kill };
}

/**
 * Other sessions rebuild dist/ on this machine: a CLI started while its modules are rewritten
 * fails before it does anything, with one of these. Such a start is not a result.
 */
export const MODULE_LOAD =
  /ERR_MODULE_NOT_FOUND|Cannot find module|SyntaxError: |does not provide an export/;

export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs?: number,
): Promise<Exit> {
  const e = await startCli(args, env, timeoutMs).done;
  if (e.code === 0 || !MODULE_LOAD.test(e.stderr)) return e;
  await sleep(2000);
  return startCli(args, env, timeoutMs).done;
}

/** One line for a report: the command's exit and the last line of its stderr. */
export function describeExit(args: string[], e: Exit): string {
  const last = e.stderr.trim().split("\n").slice(-2).join(" | ");
  const how = e.timedOut ? "timed out" : e.signal ? `killed by ${e.signal}` : `exit ${e.code}`;
  return `\`zarrify ${args.slice(0, 2).join(" ")} …\` ${how}${last ? `: ${last.slice(0, 300)}` : ""}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
