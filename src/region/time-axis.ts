/**
 * Time axes compared by instant, not by stored number: a file may count "hours since 1990" while
 * the archive counts "days since 2020", and both must land on the same steps. Instants are exact
 * integer microseconds in the axis's calendar (cftime.dateToOrdinal), so equality is exact.
 */
import { type Calendar, normalizeCalendar } from "../dataset/cftime/calendar.js";
import { type CFDatetime, formatDate } from "../dataset/cftime/date.js";
import { decodeInstants } from "../dataset/cftime/encoding.js";
import { ordinalToDate } from "../dataset/cftime/instant.js";
import type { Attrs, DataArray } from "../dataset/types.js";
import { RegionError } from "../errors.js";
import { hint, opt } from "../hint.js";

export interface TimeAxis {
  units: string;
  calendar: Calendar;
  dates: CFDatetime[];
  /** Microseconds since 1970-01-01 of the calendar, one per step. */
  instants: bigint[];
}

/** CF time units, '<unit> since <date>': what makes a coordinate a time axis. */
export function hasTimeUnits(attrs: Attrs): boolean {
  return typeof attrs.units === "string" && /\bsince\b/i.test(attrs.units);
}

export function timeAxisOf(values: DataArray, attrs: Attrs, where: string): TimeAxis {
  const units = attrs.units;
  if (typeof units !== "string" || !hasTimeUnits(attrs)) {
    throw new RegionError(
      `${where} has no CF time units ('<unit> since <date>'), so its times cannot be placed`,
      {
        hint: hint`give the time variable a units attribute, or set the region by hand with ${opt("region")}`,
      },
    );
  }
  if (Array.isArray(values)) throw new RegionError(`${where} holds strings, not times`);
  const calendarAttr = attrs.calendar;
  const calendar = normalizeCalendar(typeof calendarAttr === "string" ? calendarAttr : undefined);
  const instants = decodeInstants(values, units, calendar);
  // Dates are for messages and new axes: built on first use, not for every step of a long axis.
  let dates: CFDatetime[] | undefined;
  return {
    units,
    calendar,
    instants,
    get dates() {
      dates ??= instants.map((t) => ordinalToDate(t, calendar));
      return dates;
    },
  };
}

/** Calendars that agree on every date a file can hold here (xarray treats these as one). */
function calendarFamily(c: Calendar): string {
  return c === "standard" || c === "proleptic_gregorian" ? "gregorian" : c;
}

export function sameCalendar(a: Calendar, b: Calendar): boolean {
  return calendarFamily(a) === calendarFamily(b);
}

export function describeDates(dates: readonly CFDatetime[], max = 5): string {
  const shown = dates.slice(0, max).map(formatDate).join(", ");
  return dates.length > max ? `${shown} and ${dates.length - max} more` : shown;
}
