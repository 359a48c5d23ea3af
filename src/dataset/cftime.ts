/**
 * CF time: "<unit> since <reference>" units, the CF calendars, and the conversions between stored
 * numbers and calendar dates. This is the only module that parses time units; everything else asks
 * it.
 *
 * The oracle is cftime 1.6.2 (what xarray 2023.01 decodes non-standard calendars with, and falls
 * back to for standard ones outside 1678–2262). decodeTimes/encodeTimes reproduce num2date/date2num
 * exactly, including num2date's long-double scaling and its "snap to the whole second when within
 * 1 µs" rule, so a time decoded here is the time xarray shows.
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
 * Calendars (case-insensitive): standard = gregorian (Julian before 1582-10-15, no year 0),
 * proleptic_gregorian (year 0 exists, as ISO 8601 and cftime), julian (no year 0), noleap = 365_day,
 * all_leap = 366_day, 360_day (all with a year 0). A missing calendar means standard. In calendars
 * without a year 0, 1 BC is year -1, and a reference in year 0 is an error (as in cftime).
 *
 * Exactness: days are plain integers; instants within a day are integer microseconds; sums beyond
 * 2^53 µs (about 285 years) switch to BigInt, so 1-second steps over millennia stay exact.
 *
 * Errors: problems with units or calendars (which come from files) are InputErrors; invalid dates,
 * frequencies and ranges (which come from users) are ConfigErrors. Callers add the file name.
 */
import { ConfigError, InputError } from "../errors.js";
import type { NumericArray } from "./types.js";

/** A calendar date and time of day, interpreted in a Calendar given alongside it. */
export interface CFDatetime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
}

export type Calendar =
  | "standard"
  | "proleptic_gregorian"
  | "julian"
  | "noleap"
  | "all_leap"
  | "360_day";

const CALENDAR_ALIASES: Record<string, Calendar> = {
  standard: "standard",
  gregorian: "standard",
  proleptic_gregorian: "proleptic_gregorian",
  julian: "julian",
  noleap: "noleap",
  "365_day": "noleap",
  all_leap: "all_leap",
  "366_day": "all_leap",
  "360_day": "360_day",
};

/** Every accepted calendar name, synonyms included. */
export const CALENDAR_NAMES: readonly string[] = Object.keys(CALENDAR_ALIASES);

/** Canonical calendar for a CF `calendar` attribute value; missing or empty means "standard". */
export function normalizeCalendar(name?: string | null): Calendar {
  if (name === undefined || name === null) return "standard";
  // NetCDF-3 writers pad char attributes with NULs.
  const key = name.replace(/\0+$/, "").trim().toLowerCase();
  if (key === "") return "standard";
  const calendar = CALENDAR_ALIASES[key];
  if (calendar === undefined) {
    throw new InputError(
      `unknown calendar '${name}'; valid calendars: ${CALENDAR_NAMES.join(", ")}`,
      {
        hint: "fix the variable's calendar attribute (names are case-insensitive)",
      },
    );
  }
  return calendar;
}

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

const US_PER_DAY = 86_400_000_000;
const US_PER_DAY_N = 86_400_000_000n;
const TWO_POW_52 = 2 ** 52;

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic: day numbers count days from 1970-01-01 of the same calendar.

const CUM_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
const CUM_DAYS_LEAP = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366];
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Historical years (no year 0) to astronomical ones (1 BC = 0) and back. */
const toAstronomical = (year: number) => (year < 0 ? year + 1 : year);
const fromAstronomical = (year: number) => (year <= 0 ? year - 1 : year);
const hasYearZero = (cal: Calendar) => cal !== "standard" && cal !== "julian";

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function gregorianLeap(astronomicalYear: number): boolean {
  const y = astronomicalYear;
  return mod(y, 4) === 0 && (mod(y, 100) !== 0 || mod(y, 400) === 0);
}

export function isLeapYear(year: number, calendar: Calendar | string): boolean {
  return leap(year, normalizeCalendar(calendar));
}

function leap(year: number, cal: Calendar): boolean {
  switch (cal) {
    case "proleptic_gregorian":
      return gregorianLeap(year);
    case "julian":
      return mod(toAstronomical(year), 4) === 0;
    case "standard":
      return year > 1581 ? gregorianLeap(year) : mod(toAstronomical(year), 4) === 0;
    case "all_leap":
      return true;
    default:
      return false;
  }
}

export function daysInMonth(year: number, month: number, calendar: Calendar | string): number {
  return monthLength(year, month, normalizeCalendar(calendar));
}

function monthLength(year: number, month: number, cal: Calendar): number {
  if (cal === "360_day") return 30;
  if (month === 2 && leap(year, cal)) return 29;
  return MONTH_DAYS[month - 1];
}

/** Days from proleptic Gregorian 1970-01-01 (H. Hinnant's days_from_civil). */
function gregorianDays(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Fills out.year/month/day (astronomical year) from proleptic Gregorian day number `days`. */
function gregorianFromDays(days: number, out: CFDatetime): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  out.day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  out.month = mp < 10 ? mp + 3 : mp - 9;
  out.year = yoe + era * 400 + (out.month <= 2 ? 1 : 0);
}

function julianDaysUnshifted(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const cycle = Math.floor(y / 4);
  const yoc = y - cycle * 4;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return cycle * 1461 + yoc * 365 + doy;
}

// Julian 1582-10-05 and Gregorian 1582-10-15 are the same day; that fixes the Julian count's origin.
const JULIAN_SHIFT = gregorianDays(1582, 10, 15) - julianDaysUnshifted(1582, 10, 5);
const GREGORIAN_START = gregorianDays(1582, 10, 15);
// The julian calendar's own day numbers start at its own 1970-01-01 (Gregorian 1970-01-14).
const JULIAN_1970 = julianDaysUnshifted(1970, 1, 1) + JULIAN_SHIFT;

function julianDays(astronomicalYear: number, month: number, day: number): number {
  return julianDaysUnshifted(astronomicalYear, month, day) + JULIAN_SHIFT;
}

/** Fills out.year/month/day (historical year, no year 0) from a Julian day count. */
function julianFromDays(days: number, out: CFDatetime): void {
  const z = days - JULIAN_SHIFT;
  const cycle = Math.floor(z / 1461);
  const doc = z - cycle * 1461;
  const yoc = Math.min(Math.floor(doc / 365), 3);
  const doy = doc - yoc * 365;
  const mp = Math.floor((5 * doy + 2) / 153);
  out.day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  out.month = mp < 10 ? mp + 3 : mp - 9;
  out.year = fromAstronomical(cycle * 4 + yoc + (out.month <= 2 ? 1 : 0));
}

function fixedYearFromDays(days: number, yearLength: number, out: CFDatetime): void {
  const t = days + 1970 * yearLength;
  out.year = Math.floor(t / yearLength);
  const doy = t - out.year * yearLength;
  if (yearLength === 360) {
    out.month = Math.floor(doy / 30) + 1;
    out.day = (doy % 30) + 1;
    return;
  }
  const cum = yearLength === 366 ? CUM_DAYS_LEAP : CUM_DAYS;
  let month = 1;
  while (cum[month] <= doy) month++;
  out.month = month;
  out.day = doy - cum[month - 1] + 1;
}

/** Day number (days since 1970-01-01 of the same calendar) of a valid date. */
export function dateToDayNumber(date: CFDatetime, calendar: Calendar | string): number {
  return dayNumber(date, normalizeCalendar(calendar));
}

function dayNumber(date: CFDatetime, cal: Calendar): number {
  const { year, month, day } = date;
  switch (cal) {
    case "proleptic_gregorian":
      return gregorianDays(year, month, day);
    case "julian":
      return julianDays(toAstronomical(year), month, day) - JULIAN_1970;
    case "standard":
      return year > 1582 || (year === 1582 && (month > 10 || (month === 10 && day >= 15)))
        ? gregorianDays(year, month, day)
        : julianDays(toAstronomical(year), month, day);
    case "noleap":
      return (year - 1970) * 365 + CUM_DAYS[month - 1] + day - 1;
    case "all_leap":
      return (year - 1970) * 366 + CUM_DAYS_LEAP[month - 1] + day - 1;
    case "360_day":
      return (year - 1970) * 360 + (month - 1) * 30 + day - 1;
  }
}

/** Inverse of dateToDayNumber; the time of day is midnight. */
export function dayNumberToDate(n: number, calendar: Calendar | string): CFDatetime {
  return dateOfDay(n, normalizeCalendar(calendar));
}

function dateOfDay(n: number, cal: Calendar): CFDatetime {
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, microsecond: 0 };
  switch (cal) {
    case "proleptic_gregorian":
      gregorianFromDays(n, out);
      break;
    case "julian":
      julianFromDays(n + JULIAN_1970, out);
      break;
    case "standard":
      if (n >= GREGORIAN_START) gregorianFromDays(n, out);
      else julianFromDays(n, out);
      break;
    case "noleap":
      fixedYearFromDays(n, 365, out);
      break;
    case "all_leap":
      fixedYearFromDays(n, 366, out);
      break;
    case "360_day":
      fixedYearFromDays(n, 360, out);
      break;
  }
  return out;
}

function timeOfDayUs(d: CFDatetime): number {
  return ((d.hour * 60 + d.minute) * 60 + d.second) * 1_000_000 + d.microsecond;
}

function compose(dayNumber: number, timeOfDay: number, cal: Calendar): CFDatetime {
  const date = dateOfDay(dayNumber, cal);
  const seconds = Math.floor(timeOfDay / 1_000_000);
  date.microsecond = timeOfDay - seconds * 1_000_000;
  date.hour = Math.floor(seconds / 3600);
  date.minute = Math.floor((seconds % 3600) / 60);
  date.second = seconds % 60;
  return date;
}

/** `dayNumber`/`timeOfDay` moved by an exact number of microseconds. */
function addMicroseconds(
  dayNumber: number,
  timeOfDay: number,
  us: number | bigint,
  cal: Calendar,
): CFDatetime {
  let days: number;
  let rest: number;
  if (typeof us === "number") {
    days = Math.floor(us / US_PER_DAY);
    // Exact: both operands are integers within a factor of two of each other (Sterbenz).
    rest = us - days * US_PER_DAY;
    if (rest < 0) {
      days -= 1;
      rest += US_PER_DAY;
    } else if (rest >= US_PER_DAY) {
      days += 1;
      rest -= US_PER_DAY;
    }
  } else {
    let q = us / US_PER_DAY_N;
    let r = us - q * US_PER_DAY_N;
    if (r < 0n) {
      q -= 1n;
      r += US_PER_DAY_N;
    }
    days = Number(q);
    rest = Number(r);
  }
  let tod = timeOfDay + rest;
  if (tod >= US_PER_DAY) {
    tod -= US_PER_DAY;
    days += 1;
  }
  return compose(dayNumber + days, tod, cal);
}

/** Why `d` is not a date of the calendar, or undefined when it is one. */
export function invalidDateReason(d: CFDatetime, calendar: Calendar | string): string | undefined {
  return invalidReason(d, normalizeCalendar(calendar));
}

function invalidReason(d: CFDatetime, cal: Calendar): string | undefined {
  for (const key of ["year", "month", "day", "hour", "minute", "second", "microsecond"] as const) {
    if (!Number.isSafeInteger(d[key])) return `${key} ${d[key]} is not an integer`;
  }
  if (d.year === 0 && !hasYearZero(cal)) {
    return `year 0 does not exist in the ${cal} calendar (1 BC is year -1)`;
  }
  if (d.month < 1 || d.month > 12) return `month ${d.month} is not 1-12`;
  const dim = monthLength(d.year, d.month, cal);
  if (d.day < 1 || d.day > dim) {
    return `day ${d.day} is not 1-${dim} in ${d.year}-${pad(d.month, 2)} of the ${cal} calendar`;
  }
  if (cal === "standard" && d.year === 1582 && d.month === 10 && d.day > 4 && d.day < 15) {
    return "1582-10-05 to 1582-10-14 do not exist in the standard calendar (Julian to Gregorian switch)";
  }
  if (d.hour < 0 || d.hour > 23) return `hour ${d.hour} is not 0-23`;
  if (d.minute < 0 || d.minute > 59) return `minute ${d.minute} is not 0-59`;
  if (d.second < 0 || d.second > 59) return `second ${d.second} is not 0-59`;
  if (d.microsecond < 0 || d.microsecond > 999_999) {
    return `microsecond ${d.microsecond} is not 0-999999`;
  }
  return undefined;
}

function assertValid(d: CFDatetime, cal: Calendar, what: () => string): void {
  const reason = invalidReason(d, cal);
  if (reason !== undefined) throw new ConfigError(`${what()}: ${reason}`);
}

/** Microseconds since 1970-01-01T00:00:00 of the same calendar; exact for any date. */
export function dateToOrdinal(date: CFDatetime, calendar: Calendar | string): bigint {
  const cal = normalizeCalendar(calendar);
  assertValid(date, cal, () => `invalid date ${formatDate(date)}`);
  return ordinal(date, cal);
}

function ordinal(date: CFDatetime, cal: Calendar): bigint {
  return BigInt(dayNumber(date, cal)) * US_PER_DAY_N + BigInt(timeOfDayUs(date));
}

/** Inverse of dateToOrdinal. */
export function ordinalToDate(
  microseconds: bigint | number,
  calendar: Calendar | string,
): CFDatetime {
  return addMicroseconds(0, 0, microseconds, normalizeCalendar(calendar));
}

/** Chronological order of two dates of the same calendar: negative, zero or positive. */
export function compareDates(a: CFDatetime, b: CFDatetime): number {
  return (
    a.year - b.year ||
    a.month - b.month ||
    a.day - b.day ||
    a.hour - b.hour ||
    a.minute - b.minute ||
    a.second - b.second ||
    a.microsecond - b.microsecond
  );
}

// ---------------------------------------------------------------------------------------------
// Parsing and formatting

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
    );
  }
  assertValid(parsed.date, cal, () => `invalid date '${text}'`);
  return shiftToUtc(parsed, cal);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** ISO-like text: "2020-01-01T00:00:00", with ".ffffff" only when there are microseconds. */
export function formatDate(d: CFDatetime): string {
  const year = d.year < 0 ? `-${pad(-d.year, 4)}` : pad(d.year, 4);
  const fraction = d.microsecond > 0 ? `.${pad(d.microsecond, 6)}` : "";
  return `${year}-${pad(d.month, 2)}-${pad(d.day, 2)}T${pad(d.hour, 2)}:${pad(d.minute, 2)}:${pad(d.second, 2)}${fraction}`;
}

// ---------------------------------------------------------------------------------------------
// Decoding and encoding

const F64 = new Float64Array(1);
const F64_BITS = new BigUint64Array(F64.buffer);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Round n / 2^shift to an integer, ties to even (n >= 0). */
function shiftRoundEven(n: bigint, shift: number): bigint {
  const s = BigInt(shift);
  const q = n >> s;
  const r = n - (q << s);
  const half = 1n << (s - 1n);
  return r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
}

function asNumberIfSafe(n: bigint): number | bigint {
  return n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : n;
}

/**
 * cftime's scaling of a float time value to integer microseconds: value * factor in x87 long
 * double (64-bit significand, ties to even), np.rint, then floor/ceil when the result is 1 µs off a
 * whole second (units coarser than milliseconds only). Undefined when outside int64.
 */
function scaleFloat(value: number, factor: number, snap: boolean): number | bigint | undefined {
  const p = value * factor;
  if (Number.isInteger(p) && Math.abs(p) < TWO_POW_52) {
    // The exact product is within 1/4 of p, so rounding in any precision gives p; only the
    // snap rule needs to know on which side of p the long double fell.
    if (!snap) return p;
    const m = mod(p, 1_000_000);
    if (m !== 1 && m !== 999_999) return p;
  }
  if (!Number.isFinite(value)) return undefined;
  if (value === 0) return 0;
  F64[0] = value;
  const bits = F64_BITS[0];
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  let significand = (biased === 0 ? fraction : fraction | (1n << 52n)) * BigInt(factor);
  let exponent = biased === 0 ? -1074 : biased - 1075;
  const excess = bitLength(significand) - 64;
  if (excess > 0) {
    significand = shiftRoundEven(significand, excess);
    exponent += excess;
  }
  let nearest: bigint;
  let floorMag: bigint;
  let ceilMag: bigint;
  if (exponent >= 0) {
    nearest = floorMag = ceilMag = significand << BigInt(exponent);
  } else if (exponent < -200) {
    nearest = floorMag = 0n;
    ceilMag = 1n;
  } else {
    const k = BigInt(-exponent);
    floorMag = significand >> k;
    const exact = floorMag << k === significand;
    ceilMag = exact ? floorMag : floorMag + 1n;
    nearest = shiftRoundEven(significand, -exponent);
  }
  // The long double itself must fit int64 (cftime's OverflowError test happens before rounding).
  const magnitudeLimit = negative ? -INT64_MIN : INT64_MAX;
  if (floorMag > magnitudeLimit || (floorMag === magnitudeLimit && ceilMag !== floorMag)) {
    return undefined;
  }
  let result = negative ? -nearest : nearest;
  if (snap) {
    const m = ((result % 1_000_000n) + 1_000_000n) % 1_000_000n;
    if (m === 1n) result = negative ? -ceilMag : floorMag;
    else if (m === 999_999n) result = negative ? -floorMag : ceilMag;
  }
  return asNumberIfSafe(result);
}

function scaleInteger(value: number | bigint, factor: number): number | bigint | undefined {
  if (typeof value === "number") {
    const p = value * factor;
    if (Number.isSafeInteger(p)) return p;
  }
  const p = BigInt(value) * BigInt(factor);
  return p > INT64_MAX || p < INT64_MIN ? undefined : asNumberIfSafe(p);
}

const INTEGER_ARRAYS = [
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
];

/**
 * Dates for stored time values, as cftime.num2date(values, units, calendar) gives them. Integer
 * typed arrays are scaled exactly; floats (number[], Float32Array, Float64Array) follow cftime's
 * float rules. Mask fill values first: NaN, infinities and values beyond ±2^63 µs are an error.
 */
export function decodeTimes(
  values: ArrayLike<number> | NumericArray,
  units: string,
  calendar?: Calendar | string | null,
): CFDatetime[] {
  const { parsed, offsets } = decodeOffsets(values, units, calendar);
  const cal = parsed.calendar;
  const refDay = dayNumber(parsed.reference, cal);
  const refTime = timeOfDayUs(parsed.reference);
  return offsets.map((us) => addMicroseconds(refDay, refTime, us, cal));
}

/**
 * The instants (dateToOrdinal: microseconds since 1970-01-01 of the calendar) of stored time
 * values: decodeTimes without building a date per value, for comparing long axes (a ten-year
 * hourly axis decodes in a few ms instead of hundreds). Same rules and errors as decodeTimes.
 */
export function decodeInstants(
  values: ArrayLike<number> | NumericArray,
  units: string,
  calendar?: Calendar | string | null,
): bigint[] {
  const { parsed, offsets } = decodeOffsets(values, units, calendar);
  const origin =
    BigInt(dayNumber(parsed.reference, parsed.calendar)) * US_PER_DAY_N +
    BigInt(timeOfDayUs(parsed.reference));
  return offsets.map((us) => origin + BigInt(us));
}

/** Each value's offset from the reference in microseconds, by cftime's rules. */
function decodeOffsets(
  values: ArrayLike<number> | NumericArray,
  units: string,
  calendar?: Calendar | string | null,
): { parsed: CFTimeUnits; offsets: (number | bigint)[] } {
  const parsed = parseUnits(units, calendar);
  const factor = UNIT_MICROSECONDS[parsed.unit];
  const snap = parsed.unit !== "microseconds" && parsed.unit !== "milliseconds";
  const integers = INTEGER_ARRAYS.some((type) => values instanceof type);
  const source = values as ArrayLike<number | bigint>;
  const offsets = new Array<number | bigint>(source.length);
  for (let i = 0; i < source.length; i++) {
    const v = source[i];
    const us =
      integers || typeof v === "bigint"
        ? scaleInteger(v, factor)
        : scaleFloat(v as number, factor, snap);
    if (us === undefined) {
      throw new InputError(
        `time value ${v} at index ${i} ('${units}') cannot be decoded: ${Number.isFinite(Number(v)) ? "it is beyond ±292,000 years in microseconds" : "not a number"}`,
        { hint: "mask _FillValue/missing_value before decoding times" },
      );
    }
    offsets[i] = us;
  }
  return { parsed, offsets };
}

/** Correctly rounded a / b (Python's int / int), for b > 0. */
function divideRounded(a: bigint, b: bigint): number {
  const negative = a < 0n;
  const mag = negative ? -a : a;
  const shift = Math.max(0, 66 - (bitLength(mag) - bitLength(b)));
  const scaled = mag << BigInt(shift);
  let q = scaled / b;
  // A sticky low bit keeps Number()'s round-to-nearest-even honest about the discarded remainder.
  if (q * b !== scaled) q |= 1n;
  const result = Number(q) / 2 ** shift;
  return negative ? -result : result;
}

/**
 * Stored values for dates, as cftime.date2num(dates, units, calendar): whole multiples of the unit
 * are integers, anything else is the correctly rounded quotient. Invalid dates are a ConfigError.
 */
export function encodeTimes(
  dates: readonly CFDatetime[],
  units: string,
  calendar?: Calendar | string | null,
): number[] {
  const parsed = parseUnits(units, calendar);
  const cal = parsed.calendar;
  const refDay = dayNumber(parsed.reference, cal);
  const refTime = timeOfDayUs(parsed.reference);
  const factor = UNIT_MICROSECONDS[parsed.unit];
  const out = new Array<number>(dates.length);
  for (let i = 0; i < dates.length; i++) {
    const d = dates[i];
    assertValid(d, cal, () => `cannot encode date ${i} (${formatDate(d)}) in the ${cal} calendar`);
    const days = dayNumber(d, cal) - refDay;
    const time = timeOfDayUs(d) - refTime;
    if (Math.abs(days) < 100_000) {
      const us = days * US_PER_DAY + time;
      // Both are exact integers below 2^53, so this is the correctly rounded quotient.
      out[i] = us / factor;
    } else {
      const us = BigInt(days) * US_PER_DAY_N + BigInt(time);
      const f = BigInt(factor);
      out[i] = us % f === 0n ? Number(us / f) : divideRounded(us, f);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Frequencies (pandas/xarray offset aliases)

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
