/**
 * Progress reporting: a bar on a TTY, periodic plain lines otherwise (CI logs, files), nothing
 * for library callers who did not ask.
 */
import cliProgress from "cli-progress";
import type { Logger } from "../log.js";

export interface ProgressUpdate {
  doneBytes: number;
  totalBytes: number;
  doneTasks: number;
  totalTasks: number;
}

export type ProgressListener = (update: ProgressUpdate) => void;

const MiB = 1024 * 1024;

export function progressReporter(
  label: string,
  logger: Logger,
  tty: boolean,
  /** What a task is, for the plain lines: "blocks" of a file, "files" of a run. */
  taskName = "blocks",
): { update: ProgressListener; stop(): void } {
  if (tty) {
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
  let lastLog = 0;
  return {
    update(u) {
      const now = Date.now();
      if (u.doneTasks !== u.totalTasks && now - lastLog < 5000) return;
      lastLog = now;
      const pct = u.totalBytes > 0 ? ((100 * u.doneBytes) / u.totalBytes).toFixed(0) : "100";
      logger.info(
        `${label}: ${pct}% (${(u.doneBytes / MiB).toFixed(1)} of ${(u.totalBytes / MiB).toFixed(1)} MiB, ${u.doneTasks}/${u.totalTasks} ${taskName})`,
      );
    },
    stop() {},
  };
}
