/**
 * The CF calendars and their day arithmetic. Calendars (case-insensitive): standard = gregorian
 * (Julian before 1582-10-15, no year 0), proleptic_gregorian (year 0 exists, as ISO 8601 and
 * cftime), julian (no year 0), noleap = 365_day, all_leap = 366_day, 360_day (all with a year 0).
 * A missing calendar means standard. In calendars without a year 0, 1 BC is year -1, and a
 * reference in year 0 is an error (as in cftime).
 *
 * Day numbers are plain integers counting days from 1970-01-01 of the same calendar. An unknown
 * calendar name comes from a file, so it is an InputError; an invalid date comes from a user, so
 * it is a ConfigError. Callers add the file name.
 *
 * The exported functions taking a `Calendar` (not `Calendar | string`) are for the other cftime
 * modules, which have normalised the name once already.
 */
import { ConfigError, InputError } from "../../errors.js";
import { type CFDatetime, pad } from "./date.js";

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

const CUM_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
const CUM_DAYS_LEAP = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366];
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Historical years (no year 0) to astronomical ones (1 BC = 0) and back. */
export const toAstronomical = (year: number) => (year < 0 ? year + 1 : year);
export const fromAstronomical = (year: number) => (year <= 0 ? year - 1 : year);
export const hasYearZero = (cal: Calendar) => cal !== "standard" && cal !== "julian";

export function mod(a: number, b: number): number {
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

export function monthLength(year: number, month: number, cal: Calendar): number {
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

export function dayNumber(date: CFDatetime, cal: Calendar): number {
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

export function dateOfDay(n: number, cal: Calendar): CFDatetime {
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

/** Why `d` is not a date of the calendar, or undefined when it is one. */
export function invalidDateReason(d: CFDatetime, calendar: Calendar | string): string | undefined {
  return invalidReason(d, normalizeCalendar(calendar));
}

export function invalidReason(d: CFDatetime, cal: Calendar): string | undefined {
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

export function assertValid(d: CFDatetime, cal: Calendar, what: () => string): void {
  const reason = invalidReason(d, cal);
  if (reason !== undefined) throw new ConfigError(`${what()}: ${reason}`);
}
