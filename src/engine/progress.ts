/**
 * Progress reporting: a bar on a TTY, periodic plain lines on stderr otherwise (CI logs, files,
 * pipes), nothing for library callers who did not ask.
 *
 * Plain lines are written whatever the verbosity: long work must not look hung in a log. They
 * come at most every ZARRIFY_PROGRESS_INTERVAL_MS (default 10 s) and at most every 10 % — the
 * rarer of the two — so a long job logs about ten lines and a short one none.
 */
import { createRequire } from "node:module";

type CliProgress = typeof import("cli-progress");

export interface ProgressUpdate {
  doneBytes: number;
  totalBytes: number;
  doneTasks: number;
  totalTasks: number;
}

export type ProgressListener = (update: ProgressUpdate) => void;

export interface ProgressReporter {
  update: ProgressListener;
  stop(): void;
}

const MiB = 1024 * 1024;
const DEFAULT_INTERVAL_MS = 10_000;
/** Percent of the work between two plain lines, at least. */
const STEP_PERCENT = 10;

/** The interval between plain lines: ZARRIFY_PROGRESS_INTERVAL_MS, else 10 s. */
export function progressIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.ZARRIFY_PROGRESS_INTERVAL_MS;
  const ms = text === undefined || text.trim() === "" ? Number.NaN : Number(text);
  return Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_INTERVAL_MS;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? s.toFixed(1) : s.toFixed(0);
}

function barReporter(label: string, taskName: string): ProgressReporter {
  // Loaded only for a bar: runs without a terminal never need it.
  const cliProgress = createRequire(import.meta.url)("cli-progress") as CliProgress;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {doneMiB}/{totalMiB} MiB | {rate} MiB/s | {tasks} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let begun = false;
  return {
    update(u) {
      // cli-progress owns the {value}/{total} tokens (bytes here), so ours are named apart.
      const payload = {
        doneMiB: (u.doneBytes / MiB).toFixed(0),
        totalMiB: (u.totalBytes / MiB).toFixed(0),
        rate: (u.doneBytes / MiB / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(0),
        tasks: `${u.doneTasks}/${u.totalTasks} ${taskName}`,
      };
      if (!begun) {
        bar.start(Math.max(1, u.totalBytes), u.doneBytes, payload);
        begun = true;
      } else bar.update(u.doneBytes, payload);
    },
    stop() {
      if (begun) bar.stop();
    },
  };
}

export interface PlainOptions {
  intervalMs?: number;
  write?: (line: string) => void;
  now?: () => number;
}

/** `convert: 45% (90.0/200.0 MiB, 3/8 blocks, 12 s, ETA 15 s)` lines, throttled as above. */
export function plainReporter(
  label: string,
  taskName: string,
  o: PlainOptions = {},
): ProgressReporter {
  const interval = o.intervalMs ?? progressIntervalMs();
  const write = o.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = o.now ?? Date.now;
  const started = now();
  let lastAt = started;
  let lastPercent = 0;
  let printed = false;
  let finished = false;
  return {
    update(u) {
      if (finished) return;
      const fraction = u.totalBytes > 0 ? Math.min(1, u.doneBytes / u.totalBytes) : 1;
      const percent = 100 * fraction;
      const done = u.doneTasks >= u.totalTasks;
      const t = now();
      // The closing 100 % line only follows earlier lines: a short job stays quiet.
      if (done ? !printed : t - lastAt < interval || percent - lastPercent < STEP_PERCENT) return;
      finished = done;
      lastAt = t;
      lastPercent = percent;
      printed = true;
      const elapsed = t - started;
      const eta =
        fraction > 0 && !done ? `, ETA ${seconds((elapsed * (1 - fraction)) / fraction)} s` : "";
      write(
        `${label}: ${percent.toFixed(0)}% (${(u.doneBytes / MiB).toFixed(1)}/${(u.totalBytes / MiB).toFixed(1)} MiB, ${u.doneTasks}/${u.totalTasks} ${taskName}, ${seconds(elapsed)} s${eta})`,
      );
    },
    stop() {},
  };
}

/**
 * A bar on a terminal, throttled plain lines elsewhere.
 * `taskName` says what a task is: "blocks" of a file, "files" of a run.
 */
export function progressReporter(
  label: string,
  tty: boolean,
  taskName = "blocks",
): ProgressReporter {
  return tty ? barReporter(label, taskName) : plainReporter(label, taskName);
}

/**
 * The listener a `progress` option asks for: `true` → a reporter for this verb (the CLI),
 * a function → that function (library callers), otherwise none.
 */
export function progressFor(
  progress: boolean | ProgressListener | undefined,
  label: string,
  taskName = "blocks",
): { update?: ProgressListener; stop(): void } {
  if (typeof progress === "function") return { update: progress, stop() {} };
  if (progress !== true) return { stop() {} };
  return progressReporter(label, process.stderr.isTTY === true, taskName);
}

/**
 * Progress over files written one after the other (multi-file convert): each file's own progress
 * scaled by its size, so the line moves within a long file, not only between files.
 */
export function sequenceProgress(
  update: ProgressListener | undefined,
  sizes: readonly number[],
): { forFile(i: number): ProgressListener | undefined; fileDone(i: number): void } {
  const total = sizes.reduce((a, b) => a + b, 0);
  const before = (i: number) => sizes.slice(0, i).reduce((a, b) => a + b, 0);
  const report = (bytes: number, files: number) =>
    update?.({ doneBytes: bytes, totalBytes: total, doneTasks: files, totalTasks: sizes.length });
  return {
    forFile: (i) =>
      update &&
      ((u) => {
        const fraction = u.totalBytes > 0 ? u.doneBytes / u.totalBytes : 1;
        report(before(i) + sizes[i] * fraction, i);
      }),
    fileDone: (i) => report(before(i + 1), i + 1),
  };
}
