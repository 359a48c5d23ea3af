/** Where the packing advice samples a variable too big to scan whole for its range. */
import { describe, expect, it } from "vitest";
import { sampleRuns } from "../../src/analyze/packing.js";

describe("sampleRuns", () => {
  const covered = (runs: { start: number; length: number }[]) =>
    runs.reduce((n, r) => n + r.length, 0);

  it("takes whole source chunks, evenly spaced, within the budget", () => {
    // 100 steps of 1 KB in source chunks of 10 steps; 30 KB allows three chunks.
    const runs = sampleRuns(100, 1024, 10, 30 * 1024);
    expect(runs).toEqual([
      { start: 0, length: 10 },
      { start: 30, length: 10 },
      { start: 60, length: 10 },
    ]);
  });

  it("clips the last chunk and never takes more than there is", () => {
    expect(sampleRuns(25, 1, 10, 1e9)).toEqual([
      { start: 0, length: 10 },
      { start: 10, length: 10 },
      { start: 20, length: 5 },
    ]);
    expect(sampleRuns(0, 8, 1, 100)).toEqual([]);
  });

  it("falls back to a few short runs when one source chunk exceeds the budget", () => {
    const runs = sampleRuns(7300, 120, 7300, 100 * 1024);
    expect(runs).toHaveLength(8);
    expect(covered(runs) * 120).toBeLessThanOrEqual(100 * 1024);
    expect(runs.every((r, i) => i === 0 || r.start >= runs[i - 1].start + runs[i - 1].length)).toBe(
      true,
    );
  });

  it("reads at least one step even when a step exceeds the budget", () => {
    expect(sampleRuns(10, 1e9, 1, 1e6)).toEqual([{ start: 0, length: 1 }]);
  });
});
