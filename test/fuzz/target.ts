/**
 * One fuzz case: a (mutated) file read the way `zarrify convert` reads it, and the outcome
 * classified. Cases run in a child process (`TargetProcess`), many per child, so a hang or a
 * runaway allocation is caught by the parent's watchdog and memory monitor and costs one restart,
 * not the fuzzer.
 *
 * What a case does, each step the code path convert takes:
 *  1. `openDataset` (sniff, header or object tree), every group of the tree (`children()`), every
 *     dimension and attribute (serialised, as metadata writing does);
 *  2. `planForDataset` with the default config (time axis, CF attributes, chunk shapes);
 *  3. every variable read whole, in blocks of at most BLOCK_BYTES (convert's blocks are ≤ 128 MiB;
 *     smaller here so a case's memory is the reader's, not the block's): through the Dataset
 *     (HDF5: the raw chunk path where it applies), then through the detached description a worker
 *     thread reads (`readers/detached.ts`), then, for HDF5, with the raw path off (h5wasm only);
 *  4. `convertToZarr` into an in-memory store, one job.
 *
 * The case body is child.mjs, which runs the built library (dist/) in plain Node; this module is
 * the parent's side: the child, its watchdog, its memory monitor and the classification.
 *
 * Outcomes: `ok`; `input-error` (an InputError whose message names the file: what a user should
 * see); `bug` (any other exception, or an InputError that does not name the file); `hang` (the
 * watchdog fired); `memory` (peak RSS of the case above the cap, or the child died of OOM).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export type Outcome = "ok" | "input-error" | "bug" | "hang" | "memory";

export interface CaseResult {
  outcome: Outcome;
  /** Where it ended: open, metadata, plan, read, detached, h5wasm, convert. */
  stage?: string;
  /** The error's class and first message line (bugs: plus the top of the stack). */
  message?: string;
  ms: number;
  /** Peak resident set during the case, MiB (VmHWM, reset before each case). */
  peakRssMiB?: number;
  /** Resident set when the case started, MiB: the peak's baseline. */
  startRssMiB?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");

export interface TargetOptions {
  /** Wall-clock limit of one case (default 30 s). */
  timeoutMs?: number;
  /**
   * A case whose peak RSS grew more than this over its start is a memory outcome (default 800
   * MiB: "gigabytes" is what a hostile header must not cost; the largest growth of an
   * unmutated corpus file under 2 MB is 46 MiB).
   */
  memoryCapMiB?: number;
  /** The child is killed past this RSS (default 1500 MiB), before it can hurt the machine. */
  killRssMiB?: number;
  /** A child that ended a case above this RSS is replaced (WASM heaps never shrink). */
  recycleRssMiB?: number;
  /** V8 heap limit of the child (default 512 MiB). */
  heapMiB?: number;
}

/** A child process running cases one at a time; restarted after a hang, OOM or crash. */
export class TargetProcess {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private pending?: (r: CaseResult) => void;
  private stderrTail = "";
  private rssKill = false;
  private monitor?: NodeJS.Timeout;
  readonly opts: Required<TargetOptions>;

  constructor(opts: TargetOptions = {}) {
    this.opts = {
      timeoutMs: opts.timeoutMs ?? 30_000,
      memoryCapMiB: opts.memoryCapMiB ?? 800,
      killRssMiB: opts.killRssMiB ?? 1500,
      recycleRssMiB: opts.recycleRssMiB ?? 500,
      heapMiB: opts.heapMiB ?? 512,
    };
  }

  private start(): ChildProcess {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${this.opts.heapMiB}`, join(here, "child.mjs")],
      { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] },
    );
    let isReady: () => void = () => {};
    this.ready = new Promise((resolve) => {
      isReady = resolve;
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      if (line === "@@ready") isReady();
      if (!line.startsWith("@@result ")) return;
      const r = JSON.parse(line.slice(9)) as CaseResult;
      const resolve = this.pending;
      this.pending = undefined;
      resolve?.(r);
    });
    child.stderr?.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = undefined;
      clearInterval(this.monitor);
      isReady();
      const resolve = this.pending;
      this.pending = undefined;
      if (!resolve) return;
      const oom =
        this.rssKill || /heap out of memory|Cannot allocate|OutOfMemory/i.test(this.stderrTail);
      resolve({
        outcome: oom ? "memory" : "bug",
        stage: "process",
        message: this.rssKill
          ? `killed at ${this.opts.killRssMiB} MiB RSS`
          : `child exited (code ${code}, signal ${signal}): ${this.stderrTail.trim().split("\n").slice(-3).join(" | ")}`,
        ms: 0,
      });
    });
    this.monitor = setInterval(() => {
      const rss = rssOf(child.pid);
      if (rss !== undefined && rss > this.opts.killRssMiB) {
        this.rssKill = true;
        child.kill("SIGKILL");
      }
    }, 50);
    this.child = child;
    return child;
  }

  /** Runs one case; never throws for what the case does. */
  async run(path: string): Promise<CaseResult> {
    const child = this.child ?? this.start();
    // The warm-up case (module loading, the first WASM instance) is not the watched case's time.
    await this.ready;
    if (this.child !== child) {
      return { outcome: "bug", stage: "start", message: `child died: ${this.stderrTail}`, ms: 0 };
    }
    this.stderrTail = "";
    this.rssKill = false;
    const started = Date.now();
    const result = await new Promise<CaseResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        child.kill("SIGKILL");
        resolve({ outcome: "hang", stage: "watchdog", ms: Date.now() - started });
      }, this.opts.timeoutMs);
      this.pending = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      child.stdin?.write(`${JSON.stringify({ path })}\n`);
    });
    if (result.outcome === "hang" || result.stage === "process") await this.stop();
    const { peakRssMiB: peak, startRssMiB: base } = result;
    if (peak !== undefined && base !== undefined && peak > this.opts.recycleRssMiB) {
      await this.stop();
    }
    if (
      result.outcome !== "hang" &&
      peak !== undefined &&
      peak - (base ?? 0) > this.opts.memoryCapMiB
    ) {
      const message = `peak RSS ${peak.toFixed(0)} MiB (from ${(base ?? 0).toFixed(0)}); ${result.message ?? ""}`;
      return { ...result, outcome: "memory", message };
    }
    return result;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    clearInterval(this.monitor);
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}

function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
