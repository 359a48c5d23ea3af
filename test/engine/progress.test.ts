import { describe, expect, it } from "vitest";
import {
  type ProgressUpdate,
  plainReporter,
  progressIntervalMs,
  sequenceProgress,
} from "../../src/engine/progress.js";

const MiB = 1024 * 1024;
const at = (done: number, tasks: number): ProgressUpdate => ({
  doneBytes: done * MiB,
  totalBytes: 200 * MiB,
  doneTasks: tasks,
  totalTasks: 20,
});

function clocked(intervalMs: number) {
  const lines: string[] = [];
  let t = 0;
  const p = plainReporter("convert", "blocks", {
    intervalMs,
    write: (l) => lines.push(l),
    now: () => t,
  });
  return { p, lines, tick: (ms: number) => (t += ms) };
}

describe("plain progress lines (stderr without a TTY)", () => {
  it("come at most every interval and at most every 10 %, with elapsed time and ETA", () => {
    const { p, lines, tick } = clocked(10_000);
    tick(1_000);
    p.update(at(90, 9)); // 45 % but only 1 s: too early
    tick(11_000);
    p.update(at(90, 9)); // 12 s, 45 %: a line
    tick(1_000);
    p.update(at(130, 13)); // 13 s, 20 % more but 1 s since the last line: none
    tick(10_000);
    p.update(at(100, 10)); // 23 s but only 5 % more than the last line: none
    tick(1_000);
    p.update(at(150, 15)); // 24 s, 75 %: a line
    tick(16_000);
    p.update(at(200, 20));
    expect(lines).toEqual([
      "convert: 45% (90.0/200.0 MiB, 9/20 blocks, 12 s, ETA 15 s)",
      "convert: 75% (150.0/200.0 MiB, 15/20 blocks, 24 s, ETA 8.0 s)",
      "convert: 100% (200.0/200.0 MiB, 20/20 blocks, 40 s)",
    ]);
  });

  it("a job that ends before the first line prints nothing at all", () => {
    const { p, lines, tick } = clocked(10_000);
    tick(3_000);
    p.update(at(100, 10));
    tick(3_000);
    p.update(at(200, 20));
    expect(lines).toEqual([]);
  });

  it("with a zero interval, every 10 %", () => {
    const { p, lines, tick } = clocked(0);
    for (let k = 1; k <= 20; k++) {
      tick(100);
      p.update(at(k * 10, k));
    }
    expect(lines.map((l) => l.split(" ")[1])).toEqual([
      "10%",
      "20%",
      "30%",
      "40%",
      "50%",
      "60%",
      "70%",
      "80%",
      "90%",
      "100%",
    ]);
  });
});

describe("progressIntervalMs", () => {
  it("reads ZARRIFY_PROGRESS_INTERVAL_MS, defaulting to 10 s", () => {
    expect(progressIntervalMs({})).toBe(10_000);
    expect(progressIntervalMs({ ZARRIFY_PROGRESS_INTERVAL_MS: "250" })).toBe(250);
    expect(progressIntervalMs({ ZARRIFY_PROGRESS_INTERVAL_MS: "0" })).toBe(0);
    expect(progressIntervalMs({ ZARRIFY_PROGRESS_INTERVAL_MS: "soon" })).toBe(10_000);
    expect(progressIntervalMs({ ZARRIFY_PROGRESS_INTERVAL_MS: "-5" })).toBe(10_000);
  });
});

describe("sequenceProgress", () => {
  it("scales each file's progress by its size, files counted as tasks", () => {
    const seen: ProgressUpdate[] = [];
    const s = sequenceProgress((u) => seen.push(u), [100, 300]);
    s.forFile(0)?.({ doneBytes: 5, totalBytes: 10, doneTasks: 1, totalTasks: 2 });
    s.fileDone(0);
    s.forFile(1)?.({ doneBytes: 1, totalBytes: 3, doneTasks: 1, totalTasks: 3 });
    s.fileDone(1);
    expect(seen.map((u) => [u.doneBytes, u.totalBytes, u.doneTasks, u.totalTasks])).toEqual([
      [50, 400, 0, 2],
      [100, 400, 1, 2],
      [200, 400, 1, 2],
      [400, 400, 2, 2],
    ]);
    expect(sequenceProgress(undefined, [1]).forFile(0)).toBeUndefined();
  });
});
