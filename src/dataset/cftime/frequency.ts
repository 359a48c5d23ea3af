/**
 * Frequencies, with pandas/xarray offset aliases and semantics: parsing them, stepping a date by
 * one, the dates of a range (xarray.cftime_range), and the frequency of a series of dates. They
 * come from users, so their errors are ConfigErrors.
 */
import { ConfigError } from "../../errors.js";
import {
  assertValid,
  type Calendar,
  dayNumber,
  fromAstronomical,
  hasYearZero,
  monthLength,
  normalizeCalendar,
  toAstronomical,
} from "./calendar.js";
import { type CFDatetime, compareDates, formatDate } from "./date.js";
import { addMicroseconds, ordinal, timeOfDayUs, US_PER_DAY } from "./instant.js";

export type FrequencyUnit = "us" | "ms" | "S" | "min" | "H" | "D" | "W" | "MS" | "M" | "YS" | "Y";

export interface Frequency {
  n: number;
  unit: FrequencyUnit;
}

const FREQUENCY_ALIASES: Record<string, FrequencyUnit> = {
  us: "us",
  U: "us",
  ms: "ms",
  L: "ms",
  S: "S",
  s: "S",
  min: "min",
  T: "min",
  H: "H",
  h: "H",
  D: "D",
  d: "D",
  W: "W",
  w: "W",
  MS: "MS",
  M: "M",
  ME: "M",
  YS: "YS",
  AS: "YS",
  "YS-JAN": "YS",
  "AS-JAN": "YS",
  Y: "Y",
  A: "Y",
  YE: "Y",
  "Y-DEC": "Y",
  "A-DEC": "Y",
  "YE-DEC": "Y",
};

const FIXED_STEP_US: Partial<Record<FrequencyUnit, number>> = {
  us: 1,
  ms: 1_000,
  S: 1_000_000,
  min: 60_000_000,
  H: 3_600_000_000,
  D: US_PER_DAY,
  W: 7 * US_PER_DAY,
};

/**
 * Parse a pandas-style frequency: "15min"/"15T", "1H"/"6h", "1D", "1W" (7 days; unlike pandas,
 * not anchored to Sundays), "MS" (month starts), "M"/"ME" (month ends, as pandas), "YS"/"AS" (year
 * starts), "Y"/"A"/"YE" (year ends), "S", "ms"/"L", "us"/"U". Case matters only where pandas'
 * does: "MS" is month start, "ms" millisecond.
 */
export function parseFrequency(freq: string): Frequency {
  const m = /^\s*(\d+)?\s*([A-Za-z]+(?:-[A-Za-z]+)?)\s*$/.exec(freq);
  const unit = m === null ? undefined : FREQUENCY_ALIASES[m[2]];
  if (m === null || unit === undefined) {
    throw new ConfigError(
      `unknown frequency '${freq}'; expected e.g. 15min, 6H, 1D, 1W, MS (month starts), M (month ends), YS (year starts), Y (year ends)`,
      {
        hint: "a frequency is a unit with an optional count in front, as pandas writes it: 3H, 1D",
      },
    );
  }
  const n = m[1] === undefined ? 1 : Number(m[1]);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new ConfigError(`frequency '${freq}': the multiple must be a positive integer`);
  }
  return { n, unit };
}

function shiftMonths(date: CFDatetime, months: number, end: boolean, cal: Calendar): CFDatetime {
  const yearAxis = hasYearZero(cal) ? date.year : toAstronomical(date.year);
  const index = yearAxis * 12 + (date.month - 1) + months;
  const astronomical = Math.floor(index / 12);
  const year = hasYearZero(cal) ? astronomical : fromAstronomical(astronomical);
  const month = index - astronomical * 12 + 1;
  const day = end ? monthLength(year, month, cal) : 1;
  return { ...date, year, month, day };
}

function onAnchor(date: CFDatetime, unit: FrequencyUnit, cal: Calendar): boolean {
  switch (unit) {
    case "MS":
      return date.day === 1;
    case "M":
      return date.day === monthLength(date.year, date.month, cal);
    case "YS":
      return date.month === 1 && date.day === 1;
    case "Y":
      return date.month === 12 && date.day === monthLength(date.year, 12, cal);
    default:
      return true;
  }
}

function applyFrequency(date: CFDatetime, f: Frequency, times: number, cal: Calendar): CFDatetime {
  let n = f.n * times;
  const step = FIXED_STEP_US[f.unit];
  if (step !== undefined) {
    const us = n * step;
    const exact = Number.isSafeInteger(us) ? us : BigInt(n) * BigInt(step);
    return addMicroseconds(dayNumber(date, cal), timeOfDayUs(date), exact, cal);
  }
  // xarray's cftime offsets: a date off the anchor counts as one step toward it.
  if (f.unit === "MS" || f.unit === "M") {
    const reference = f.unit === "MS" ? 1 : monthLength(date.year, date.month, cal);
    if (n > 0 && date.day < reference) n -= 1;
    else if (n <= 0 && date.day > reference) n += 1;
    return shiftMonths(date, n, f.unit === "M", cal);
  }
  const month = f.unit === "YS" ? 1 : 12;
  const reference = f.unit === "YS" ? 1 : monthLength(date.year, date.month, cal);
  if (n > 0) {
    if (date.month < month || (date.month === month && date.day < reference)) n -= 1;
  } else if (date.month > month || (date.month === month && date.day > reference)) {
    n += 1;
  }
  return shiftMonths(date, n * 12 + (month - date.month), f.unit === "Y", cal);
}

/**
 * `date` moved by `n` times `freq`, with pandas/xarray offset semantics: fixed steps add exact
 * durations; anchored ones (MS, M, YS, Y) move to the n-th anchor, a date off the anchor counting
 * as one step toward it (2020-01-15 + 1 MS = 2020-02-01; 2020-01-15 + 1 M = 2020-01-31). The time
 * of day is kept.
 */
export function addFrequency(
  date: CFDatetime,
  freq: string | Frequency,
  n: number,
  calendar?: Calendar | string | null,
): CFDatetime {
  const cal = normalizeCalendar(calendar);
  const f = typeof freq === "string" ? parseFrequency(freq) : freq;
  if (!Number.isSafeInteger(n)) throw new ConfigError(`frequency multiple ${n} is not an integer`);
  assertValid(date, cal, () => `invalid date ${formatDate(date)}`);
  return applyFrequency(date, f, n, cal);
}

/**
 * Dates from `start` to `end` inclusive at `freq`, as xarray.cftime_range(start, end, freq): an
 * anchored frequency first rolls `start` forward (and `end` back) onto its anchor. `end` is
 * included when it falls on the grid. start after end is a ConfigError.
 */
export function timeRange(
  start: CFDatetime,
  end: CFDatetime,
  freq: string | Frequency,
  calendar?: Calendar | string | null,
): CFDatetime[] {
  const cal = normalizeCalendar(calendar);
  const f = typeof freq === "string" ? parseFrequency(freq) : freq;
  assertValid(start, cal, () => `invalid start date ${formatDate(start)}`);
  assertValid(end, cal, () => `invalid end date ${formatDate(end)}`);
  if (compareDates(start, end) > 0) {
    throw new ConfigError(
      `time range start ${formatDate(start)} is after its end ${formatDate(end)}`,
      { hint: "swap the two dates: the start comes first" },
    );
  }
  const step = FIXED_STEP_US[f.unit];
  if (step !== undefined) {
    const stepUs = BigInt(step) * BigInt(f.n);
    const startDay = dayNumber(start, cal);
    const startTime = timeOfDayUs(start);
    const span = ordinal(end, cal) - ordinal(start, cal);
    const count = Number(span / stepUs) + 1;
    if (count > MAX_RANGE_LENGTH) {
      throw new ConfigError(
        `time range ${formatDate(start)} to ${formatDate(end)} at ${typeof freq === "string" ? freq : `${f.n}${f.unit}`} has ${count} steps, more than ${MAX_RANGE_LENGTH}`,
      );
    }
    const out = new Array<CFDatetime>(count);
    for (let i = 0; i < count; i++) {
      const us = i * Number(stepUs);
      out[i] = addMicroseconds(
        startDay,
        startTime,
        Number.isSafeInteger(us) ? us : BigInt(i) * stepUs,
        cal,
      );
    }
    return out;
  }
  const unit: Frequency = { n: 1, unit: f.unit };
  const first = onAnchor(start, f.unit, cal) ? start : applyFrequency(start, unit, 1, cal);
  const last = onAnchor(end, f.unit, cal) ? end : applyFrequency(end, unit, -1, cal);
  const out: CFDatetime[] = [];
  for (let d = first; compareDates(d, last) <= 0; d = applyFrequency(d, f, 1, cal)) out.push(d);
  return out;
}

/** Larger ranges are almost certainly a wrong frequency, and would not fit in memory as dates. */
export const MAX_RANGE_LENGTH = 100_000_000;

const FIXED_NAMES: [number, string][] = [
  [US_PER_DAY, "D"],
  [3_600_000_000, "H"],
  [60_000_000, "min"],
  [1_000_000, "S"],
  [1_000, "ms"],
  [1, "us"],
];

function constantMonthStep(dates: readonly CFDatetime[], cal: Calendar): number | undefined {
  const index = (d: CFDatetime) =>
    (hasYearZero(cal) ? d.year : toAstronomical(d.year)) * 12 + d.month;
  const step = index(dates[1]) - index(dates[0]);
  if (step <= 0) return undefined;
  for (let i = 1; i < dates.length; i++) {
    if (index(dates[i]) - index(dates[i - 1]) !== step) return undefined;
    if (timeOfDayUs(dates[i]) !== timeOfDayUs(dates[0])) return undefined;
  }
  return step;
}

/**
 * The frequency of a strictly increasing series, or undefined when it has none (or fewer than two
 * dates): month starts → "MS" ("3MS"), year starts → "YS" ("2YS"), month ends → "M", year ends →
 * "Y"; otherwise a constant step → "<n>D", "<n>H", "<n>min", "<n>S", "<n>ms" or "<n>us", in the
 * largest unit that divides it. Anchored forms win where both fit (360_day month starts are also
 * 30D).
 */
export function inferFrequency(
  dates: readonly CFDatetime[],
  calendar?: Calendar | string | null,
): string | undefined {
  const cal = normalizeCalendar(calendar);
  if (dates.length < 2) return undefined;
  for (const anchor of ["YS", "MS", "Y", "M"] as const) {
    if (!dates.every((d) => onAnchor(d, anchor, cal))) continue;
    const months = constantMonthStep(dates, cal);
    if (months === undefined) continue;
    if (anchor === "YS" || anchor === "Y") {
      if (months % 12 !== 0) continue;
      return months === 12 ? anchor : `${months / 12}${anchor}`;
    }
    return months === 1 ? anchor : `${months}${anchor}`;
  }
  const ordinals = dates.map((d) => {
    assertValid(d, cal, () => `invalid date ${formatDate(d)}`);
    return ordinal(d, cal);
  });
  const step = ordinals[1] - ordinals[0];
  if (step <= 0n) return undefined;
  for (let i = 2; i < ordinals.length; i++) {
    if (ordinals[i] - ordinals[i - 1] !== step) return undefined;
  }
  for (const [us, name] of FIXED_NAMES) {
    const size = BigInt(us);
    if (step % size === 0n) return `${step / size}${name}`;
  }
  return undefined;
}
