/**
 * Instants: a day number plus integer microseconds within the day, and the ordinal (microseconds
 * since 1970-01-01 of the same calendar) that orders and subtracts dates exactly. Sums beyond
 * 2^53 µs (about 285 years) switch to BigInt, so 1-second steps over millennia stay exact.
 */
import { assertValid, type Calendar, dateOfDay, dayNumber, normalizeCalendar } from "./calendar.js";
import { type CFDatetime, formatDate } from "./date.js";

export const US_PER_DAY = 86_400_000_000;
export const US_PER_DAY_N = 86_400_000_000n;

export function timeOfDayUs(d: CFDatetime): number {
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
export function addMicroseconds(
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

/** Microseconds since 1970-01-01T00:00:00 of the same calendar; exact for any date. */
export function dateToOrdinal(date: CFDatetime, calendar: Calendar | string): bigint {
  const cal = normalizeCalendar(calendar);
  assertValid(date, cal, () => `invalid date ${formatDate(date)}`);
  return ordinal(date, cal);
}

export function ordinal(date: CFDatetime, cal: Calendar): bigint {
  return BigInt(dayNumber(date, cal)) * US_PER_DAY_N + BigInt(timeOfDayUs(date));
}

/** Inverse of dateToOrdinal. */
export function ordinalToDate(
  microseconds: bigint | number,
  calendar: Calendar | string,
): CFDatetime {
  return addMicroseconds(0, 0, microseconds, normalizeCalendar(calendar));
}
