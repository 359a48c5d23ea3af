/**
 * `queue status` and `queue retry-failed`: what an archive's queue holds, and failures put back.
 */
import { hint, verb } from "../hint.js";
import { ArchiveQueue, type FinishSummary } from "./archive-queue.js";
import { probe, queueServer } from "./connection.js";
import { QueueError } from "./errors.js";
import { archiveLocation } from "./names.js";

export interface FailedJob {
  file: string;
  reason: string;
  hint?: string;
  kind?: string;
  attempts: number;
  failedAt: string | null;
}

export interface QueueStatus {
  archive: string;
  queue: string;
  server: string;
  /** Waiting to be taken (including paused and prioritized). */
  waiting: number;
  active: number;
  /** Failed an attempt, waiting for its retry (backoff). */
  delayed: number;
  completed: number;
  failed: number;
  total: number;
  failures: FailedJob[];
  /** Workers connected to the queue now. */
  workers: number;
  /** Files per second over the last completed jobs; null before two completed. */
  filesPerSecond: number | null;
  /** Seconds until the waiting, delayed and active jobs are done at that rate. */
  etaSeconds: number | null;
  generation: number;
  /** The last finishing step (validate), when one ran; `current` if for this generation. */
  finished: (FinishSummary & { current: boolean }) | null;
  /** How many finishing steps ran in all. */
  finishes: number;
  /** Nothing left to run and the finishing step of this generation done. */
  done: boolean;
}

async function openExisting(archive: string, url?: string): Promise<ArchiveQueue> {
  const server = queueServer(url);
  await probe(server);
  const q = new ArchiveQueue(server, archiveLocation(archive));
  if (!(await q.registered())) {
    await q.close();
    throw new QueueError(`no queue for ${archive} on ${server.display}`, {
      hint: hint`submit its files first with ${verb("queue submit")} (queue ${server.display})`,
    });
  }
  return q;
}

const RATE_WINDOW = 200;

export async function queueStatus(archive: string, url?: string): Promise<QueueStatus> {
  const q = await openExisting(archive, url);
  try {
    const c = await q.files.getJobCounts(
      "waiting",
      "paused",
      "prioritized",
      "waiting-children",
      "active",
      "delayed",
      "completed",
      "failed",
    );
    const waiting = c.waiting + c.paused + c.prioritized + c["waiting-children"];
    const failedJobs = await q.files.getFailed(0, -1);
    const failures = failedJobs
      .filter((j) => j !== undefined)
      .map((j) => ({
        file: j.data.file,
        reason: j.data.error?.message ?? j.failedReason,
        hint: j.data.error?.hint,
        kind: j.data.error?.kind,
        attempts: j.attemptsMade,
        failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
      }))
      .sort((a, b) => a.file.localeCompare(b.file));
    const recent = (await q.files.getCompleted(0, RATE_WINDOW - 1)).filter(
      (j) => j?.finishedOn !== undefined,
    );
    let filesPerSecond: number | null = null;
    if (recent.length >= 2) {
      const ends = recent.map((j) => j.finishedOn as number);
      const starts = recent.map((j) => j.processedOn ?? (j.finishedOn as number));
      const span = (Math.max(...ends) - Math.min(...starts)) / 1000;
      if (span > 0) filesPerSecond = recent.length / span;
    }
    const left = waiting + c.delayed + c.active;
    const generation = await q.generation();
    const summary = await q.summary();
    const finished = summary ? { ...summary, current: summary.generation === generation } : null;
    return {
      archive: q.archive,
      queue: q.name,
      server: q.server.display,
      waiting,
      active: c.active,
      delayed: c.delayed,
      completed: c.completed,
      failed: c.failed,
      total: left + c.completed + c.failed,
      failures,
      workers: (await q.files.getWorkers()).length,
      filesPerSecond,
      etaSeconds: left === 0 ? 0 : filesPerSecond ? left / filesPerSecond : null,
      generation,
      finished,
      finishes: await q.finishes(),
      done: left === 0 && finished?.current === true,
    };
  } finally {
    await q.close();
  }
}

function duration(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function formatQueueStatus(s: QueueStatus): string {
  const lines = [
    `queue ${s.queue} for ${s.archive} on ${s.server}`,
    `  ${s.completed} of ${s.total} files done, ${s.failed} failed, ${s.active} active, ${s.waiting} waiting, ${s.delayed} waiting to retry; ${s.workers} worker(s) connected`,
  ];
  if (s.filesPerSecond !== null) {
    const eta =
      s.etaSeconds === null
        ? ""
        : s.etaSeconds === 0
          ? ", nothing left"
          : `, about ${duration(s.etaSeconds)} left`;
    lines.push(`  throughput ${s.filesPerSecond.toFixed(2)} files/s${eta}`);
  }
  for (const f of s.failures) {
    lines.push(`  failed: ${f.file}: ${f.reason}${f.hint ? ` (hint: ${f.hint})` : ""}`);
  }
  if (s.failures.length > 0)
    lines.push("  fix the files, then: zarrify queue retry-failed ARCHIVE");
  if (s.finished) {
    const f = s.finished;
    const what = f.complete
      ? `complete, ${f.steps} steps`
      : `${f.missingSteps} of ${f.steps} steps missing${f.missing.length > 0 ? ` (${f.missing.map((m) => (m.first === m.last ? m.first : `${m.first} .. ${m.last}`)).join(", ")})` : ""}`;
    lines.push(
      `  finished${f.current ? "" : " (an earlier round; more files came since)"} at ${f.finishedAt}: validate: ${what}`,
    );
  } else if (s.completed + s.failed === s.total && s.total > 0) {
    lines.push("  all files done; the finishing step (validate) runs on a worker next");
  }
  return lines.join("\n");
}

export interface RetryResult {
  archive: string;
  queue: string;
  retried: number;
  files: string[];
}

/** Puts every failed job back in the queue with its attempts reset. */
export async function retryFailed(archive: string, url?: string): Promise<RetryResult> {
  const q = await openExisting(archive, url);
  try {
    const failed = (await q.files.getFailed(0, -1)).filter((j) => j !== undefined);
    const files: string[] = [];
    for (const job of failed) {
      const { error: _dropped, ...data } = job.data;
      await job.updateData(data);
      await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
      files.push(job.data.file);
    }
    if (failed.length > 0) await q.bumpGeneration();
    return { archive: q.archive, queue: q.name, retried: failed.length, files: files.sort() };
  } finally {
    await q.close();
  }
}
