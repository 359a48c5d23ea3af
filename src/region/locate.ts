/**
 * Where a file's time steps go in a template's time axis. Pure: instants in, runs out.
 *
 * Every file time must be exactly one archive time. Consecutive file steps that land on
 * consecutive archive steps form one run; a file with a gap (or a file whose steps are a multiple
 * of the archive's) becomes several runs, each written as its own slab.
 */
import { formatDate } from "../dataset/cftime/date.js";
import { RegionError } from "../errors.js";
import { hint, opt } from "../hint.js";
import { describeDates, type TimeAxis } from "./time-axis.js";

export interface RegionRun {
  /** First archive step written. */
  archiveStart: number;
  /** First file step it comes from. */
  sourceStart: number;
  count: number;
}

export interface LocateOptions {
  /** A time repeated within the file: an error (default), or its first occurrence kept. */
  duplicates?: "error" | "first";
}

export function locateRegion(
  file: TimeAxis,
  archive: TimeAxis,
  path: string,
  options: LocateOptions = {},
): RegionRun[] {
  const index = new Map<bigint, number>();
  for (const [i, t] of archive.instants.entries()) index.set(t, i);
  const first = archive.instants[0];
  const last = archive.instants[archive.instants.length - 1];
  const outside: number[] = [];
  const offGrid: number[] = [];
  const positions: number[] = [];
  file.instants.forEach((t, i) => {
    const at = index.get(t);
    if (at !== undefined) positions.push(at);
    else if (first === undefined || t < first || t > last) outside.push(i);
    else offGrid.push(i);
  });
  const range =
    archive.dates.length > 0
      ? `${formatDate(archive.dates[0])} .. ${formatDate(archive.dates[archive.dates.length - 1])}`
      : "(empty)";
  if (outside.length > 0) {
    throw new RegionError(
      `${path}: ${outside.length} time step(s) fall outside the archive (${range}): ${describeDates(outside.map((i) => file.dates[i]))}`,
      {
        hint: hint`recreate the template with a ${opt("globalStart")}/${opt("globalEnd")} that covers this file, or leave the file out`,
      },
    );
  }
  if (offGrid.length > 0) {
    throw new RegionError(
      `${path}: ${offGrid.length} time step(s) are not on the archive's time grid: ${describeDates(offGrid.map((i) => file.dates[i]))}`,
      {
        hint: hint`the template's ${opt("freq")} and ${opt("globalStart")} define the grid; check the file's time units and the template's frequency`,
      },
    );
  }
  const runs: RegionRun[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < positions.length; i++) {
    if (options.duplicates === "first") {
      if (seen.has(positions[i])) continue;
      seen.add(positions[i]);
    }
    const run = runs[runs.length - 1];
    // Compared with the last step kept, not the previous one: a skipped duplicate must not hide
    // a step that goes back.
    const previous = run ? run.archiveStart + run.count - 1 : -1;
    if (positions[i] <= previous) {
      const what = positions[i] === previous ? "repeats" : "goes back to";
      throw new RegionError(
        `${path}: time ${what} ${formatDate(file.dates[i])} at step ${i}; times within a file must increase`,
        { hint: "remove the duplicate or out-of-order steps from the file" },
      );
    }
    if (run && positions[i] === run.archiveStart + run.count && i === run.sourceStart + run.count) {
      run.count++;
    } else {
      runs.push({ archiveStart: positions[i], sourceStart: i, count: 1 });
    }
  }
  return runs;
}
