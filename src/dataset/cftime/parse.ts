/**
 * The text forms of CF time: "<unit> since <reference>" units, and dates users give. This is the
 * only place that parses time units; everything else asks it.
 *
 * Units: microseconds, milliseconds, seconds, minutes, hours, days, singular or plural, with
 * cftime's abbreviations (case-insensitive: "microsec(s)", "millisec(s)", "msec(s)", "ms",
 * "sec(s)", "s", "min(s)", "hr(s)", "h", "d"). "months" (exactly 30 days) only with 360_day and
 * "common_years" (365 days) only with
 * noleap, as in cftime; in any other calendar they are an error rather than udunits' 30.436851
 * day month, because xarray refuses them too and a date nobody else would show is worse than none.
 * "weeks" (7 days) is accepted as an extension (udunits has it; cftime and xarray do not).
 *
 * Reference dates: YYYY[-MM[-DD[( |T)hh[:mm[:ss[.fff]]]]]] with an optional zone: Z, UTC, GMT,
 * ±h, ±hh, ±h:mm, ±hh:mm, ±hhmm. Where cftime 1.6.2 silently ignores part of the string this module
 * follows udunits/CF (and xarray's pandas path for standard calendars) instead:
 *  - a one-digit zone hour ("1964-03-12 12:09:00 -9:00") is applied; cftime drops it;
 *  - a bare hour ("1900-01-01T06") means 06:00; cftime drops it;
 *  - "1900" and "1900-02" mean the first day; cftime errors;
 *  - trailing text that is not a zone ("1-1-1970", "jan 1899") is an error; cftime drops it
 *    ("seconds since 1-1-1970" is 0001-01-19 to cftime, 1970-01-01 to pandas).
 *
 * Units come from files, so their errors are InputErrors; dates from users are ConfigErrors.
 */
import { ConfigError, InputError } from "../../errors.js";
import {
  assertValid,
  type Calendar,
  dayNumber,
  invalidReason,
  normalizeCalendar,
} from "./calendar.js";
import type { CFDatetime } from "./date.js";
import { addMicroseconds, timeOfDayUs } from "./instant.js";

export type TimeUnit =
  | "microseconds"
  | "milliseconds"
  | "seconds"
  | "minutes"
  | "hours"
  | "days"
  | "weeks"
  | "months"
  | "common_years";

/** Microseconds per unit. months/common_years are cftime's fixed 30 and 365 days. */
export const UNIT_MICROSECONDS: Readonly<Record<TimeUnit, number>> = {
  microseconds: 1,
  milliseconds: 1_000,
  seconds: 1_000_000,
  minutes: 60_000_000,
  hours: 3_600_000_000,
  days: 86_400_000_000,
  weeks: 7 * 86_400_000_000,
  months: 30 * 86_400_000_000,
  common_years: 365 * 86_400_000_000,
};

const UNIT_ALIASES: Record<string, TimeUnit> = {};
for (const [unit, words] of [
  ["microseconds", ["microseconds", "microsecond", "microsec", "microsecs"]],
  ["milliseconds", ["milliseconds", "millisecond", "millisec", "millisecs", "msec", "msecs", "ms"]],
  ["seconds", ["seconds", "second", "sec", "secs", "s"]],
  ["minutes", ["minutes", "minute", "min", "mins"]],
  ["hours", ["hours", "hour", "hr", "hrs", "h"]],
  ["days", ["days", "day", "d"]],
  ["weeks", ["weeks", "week"]],
  ["months", ["months", "month"]],
  ["common_years", ["common_years", "common_year"]],
] as const) {
  for (const word of words) UNIT_ALIASES[word] = unit;
}

export interface CFTimeUnits {
  unit: TimeUnit;
  /** The reference instant, already moved to UTC when the units carry a zone offset. */
  reference: CFDatetime;
  /** The zone offset written in the units, in minutes east of UTC (0 when none). */
  utcOffsetMinutes: number;
  calendar: Calendar;
}

const DATE_PATTERN =
  /^([+-]?\d+)(?:-(\d{1,2})(?:-(\d{1,2})(?:(?:\s*T\s*|\s+)(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?)?)?)?)?(\s*)(?:(Z|UTC|GMT)|([+-])(\d{1,2})(?::?(\d{2}))?)?$/i;

interface ParsedDate {
  date: CFDatetime;
  utcOffsetMinutes: number;
}

function parseDateString(text: string): ParsedDate | undefined {
  const m = DATE_PATTERN.exec(text.trim());
  if (m === null) return undefined;
  const int = (s: string | undefined, fallback: number) => (s === undefined ? fallback : Number(s));
  const date: CFDatetime = {
    year: Number(m[1]),
    month: int(m[2], 1),
    day: int(m[3], 1),
    hour: int(m[4], 0),
    minute: int(m[5], 0),
    second: int(m[6], 0),
    // cftime's own rule, float rounding included: int(float("0.<digits>") * 1e6).
    microsecond: m[7] === undefined ? 0 : Math.trunc(Number(`0.${m[7]}`) * 1e6),
  };
  let utcOffsetMinutes = 0;
  if (m[10] !== undefined) {
    // "1-1-1970" must not read as 0001-01-01 at UTC-19:70: a zone right after a date needs a space.
    if (m[4] === undefined && m[8] === "") return undefined;
    const hours = Number(m[11]);
    const minutes = int(m[12], 0);
    if (hours > 23 || minutes > 59) return undefined;
    utcOffsetMinutes = (m[10] === "-" ? -1 : 1) * (hours * 60 + minutes);
  }
  return { date, utcOffsetMinutes };
}

function shiftToUtc(p: ParsedDate, cal: Calendar): CFDatetime {
  if (p.utcOffsetMinutes === 0) return p.date;
  return addMicroseconds(
    dayNumber(p.date, cal),
    timeOfDayUs(p.date),
    -p.utcOffsetMinutes * 60_000_000,
    cal,
  );
}

/** Parse CF time units ("days since 1900-01-01"); the reference is validated in `calendar`. */
export function parseUnits(units: string, calendar?: Calendar | string | null): CFTimeUnits {
  const cal = normalizeCalendar(calendar);
  const m = /^\s*(\S+)\s+since\s+(.*?)\s*$/i.exec(units);
  if (m === null) {
    throw new InputError(
      `time units '${units}' are not of the form '<unit> since <reference date>'`,
      { hint: "CF time units look like 'hours since 1900-01-01 00:00:00'" },
    );
  }
  const unit = UNIT_ALIASES[m[1].toLowerCase()];
  if (unit === undefined) {
    throw new InputError(
      `unknown time unit '${m[1]}' in '${units}'; expected microseconds, milliseconds, seconds, minutes, hours, days or weeks (or cftime's abbreviations: ms, s, sec, min, h, hr, d)`,
    );
  }
  if (unit === "months" && cal !== "360_day") {
    throw new InputError(
      `'${units}': 'months since' is only defined for the 360_day calendar (30-day months, as in cftime); a month of the ${cal} calendar has no fixed length`,
      {
        hint: 'xarray cannot decode these times either; convert the axis to days, or set calendar = "360_day" if that is what the data mean',
      },
    );
  }
  if (unit === "common_years" && cal !== "noleap") {
    throw new InputError(
      `'${units}': 'common_years since' is only defined for the noleap/365_day calendar, not ${cal}`,
    );
  }
  const parsed = parseDateString(m[2]);
  if (parsed === undefined) {
    throw new InputError(
      `cannot read the reference date '${m[2]}' in time units '${units}'; CF expects YYYY-MM-DD[ hh:mm[:ss[.ffffff]]][ ±hh:mm]`,
    );
  }
  const reason = invalidReason(parsed.date, cal);
  if (reason !== undefined) {
    throw new InputError(`invalid reference date in time units '${units}': ${reason}`);
  }
  return {
    unit,
    reference: shiftToUtc(parsed, cal),
    utcOffsetMinutes: parsed.utcOffsetMinutes,
    calendar: cal,
  };
}

/**
 * A user-given date ("2020-01-01", "2020-01-01T06:00", "2020-01-01 06:00:00.5", "2020-03") in
 * `calendar`; a zone offset, if given, is converted to UTC.
 */
export function parseDate(text: string, calendar?: Calendar | string | null): CFDatetime {
  const cal = normalizeCalendar(calendar);
  const parsed = parseDateString(text);
  if (parsed === undefined) {
    throw new ConfigError(
      `cannot read date '${text}'; expected YYYY-MM-DD, optionally with a time: YYYY-MM-DDThh:mm[:ss]`,
      { hint: "write the date as 2020-01-01 or 2020-01-01T06:00" },
    );
  }
  assertValid(parsed.date, cal, () => `invalid date '${text}'`);
  return shiftToUtc(parsed, cal);
}
