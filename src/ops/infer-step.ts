/**
 * The archive's time step for `run` without --freq, from the times of every input: a template
 * file may hold one step (daily files of one day each), and even when it holds more, the inputs
 * together are what the archive must hold.
 *
 * Rule: the distinct times of all inputs, sorted; the step is the frequency of the two closest
 * consecutive times (so gaps — files not there yet — do not matter, and month or year steps are
 * recognised: 2020-02-01 → 2020-03-01 is "MS", not "29D"); every input time must then lie on the
 * grid of that step from the earliest time, else the inputs have no regular step and the error
 * names the file whose time is off it.
 */
import type { ZarrifyConfig } from "../config/schema.js";
import { formatDate } from "../dataset/cftime/date.js";
import { inferFrequency, timeRange } from "../dataset/cftime/frequency.js";
import { dateToOrdinal } from "../dataset/cftime/instant.js";
import { ConfigError, InputError } from "../errors.js";
import { hint, opt } from "../hint.js";
import { openDataset } from "../readers/index.js";
import { sameCalendar, type TimeAxis } from "../region/time-axis.js";
import { templateTime } from "./template.js";

interface Owned {
  instant: bigint;
  path: string;
  k: number;
  axis: TimeAxis;
}

async function axesOf(files: readonly string[], config: ZarrifyConfig): Promise<Owned[]> {
  const byInstant = new Map<bigint, Owned>();
  let first: { path: string; axis: TimeAxis } | undefined;
  for (const path of files) {
    const ds = await openDataset(path, { group: config.group });
    try {
      const { axis } = await templateTime(ds, config.timeDim);
      if (first && !sameCalendar(first.axis.calendar, axis.calendar)) {
        throw new InputError(
          `${path}: time is in the ${axis.calendar} calendar, ${first.path}'s in ${first.axis.calendar}`,
          { path, hint: "files written into one archive must share a calendar" },
        );
      }
      first ??= { path, axis };
      axis.instants.forEach((instant, k) => {
        if (!byInstant.has(instant)) byInstant.set(instant, { instant, path, k, axis });
      });
    } finally {
      await ds.close();
    }
  }
  return [...byInstant.values()].sort((a, b) =>
    a.instant < b.instant ? -1 : a.instant > b.instant ? 1 : 0,
  );
}

const dateOf = (o: Owned) => o.axis.dates[o.k];

/** The step of the inputs' times, pandas-style ("1D", "6H", "MS"); errors say what to pass instead. */
export async function inferStepFromInputs(
  files: readonly string[],
  config: ZarrifyConfig,
): Promise<string> {
  const times = await axesOf(files, config);
  if (times.length < 2) {
    const only = times[0];
    throw new ConfigError(
      `run: cannot infer the time step: the ${files.length} input(s) hold ${only ? `a single time, ${formatDate(dateOf(only))} (${only.path})` : "no time step"}`,
      {
        hint: hint`pass the archive's step with ${opt("freq")}, e.g. ${opt("freq", "1D")} for daily files`,
      },
    );
  }
  let closest = 0;
  for (let i = 1; i + 1 < times.length; i++) {
    const gap = times[i + 1].instant - times[i].instant;
    if (gap < times[closest + 1].instant - times[closest].instant) closest = i;
  }
  const a = times[closest];
  const b = times[closest + 1];
  const calendar = a.axis.calendar;
  const freq = inferFrequency([dateOf(a), dateOf(b)], calendar);
  const pair = `${formatDate(dateOf(a))} (${a.path}) and ${formatDate(dateOf(b))} (${b.path})`;
  if (freq === undefined) {
    throw new ConfigError(
      `run: cannot infer the time step from the inputs' closest times ${pair}`,
      {
        hint: hint`pass the archive's step with ${opt("freq")}, e.g. ${opt("freq", "1D")}`,
      },
    );
  }
  const last = times[times.length - 1];
  const grid = new Set(
    timeRange(dateOf(times[0]), dateOf(last), freq, calendar).map((d) =>
      dateToOrdinal(d, calendar),
    ),
  );
  const off = times.find((t) => !grid.has(t.instant));
  if (off) {
    throw new InputError(
      `run: the inputs' times do not form a regular grid: ${off.path} holds ${formatDate(dateOf(off))}, which is not on the ${freq} grid from ${formatDate(dateOf(times[0]))} (${times[0].path}) that the closest times ${pair} give`,
      {
        path: off.path,
        hint: hint`leave the file out or fix its times, or pass ${opt("freq")} with the archive's step`,
      },
    );
  }
  return freq;
}
