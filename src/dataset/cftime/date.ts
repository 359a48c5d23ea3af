/**
 * A CF date as plain fields, with the two things that need no calendar: chronological order and
 * the ISO-like text every message and report shows a date in.
 */

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

export function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** ISO-like text: "2020-01-01T00:00:00", with ".ffffff" only when there are microseconds. */
export function formatDate(d: CFDatetime): string {
  const year = d.year < 0 ? `-${pad(-d.year, 4)}` : pad(d.year, 4);
  const fraction = d.microsecond > 0 ? `.${pad(d.microsecond, 6)}` : "";
  return `${year}-${pad(d.month, 2)}-${pad(d.day, 2)}T${pad(d.hour, 2)}:${pad(d.minute, 2)}:${pad(d.second, 2)}${fraction}`;
}
