/** Calendar names and day arithmetic, and the ordinals built on it. */
import { describe, expect, it } from "vitest";
import {
  CALENDAR_NAMES,
  type Calendar,
  dateToDayNumber,
  dayNumberToDate,
  daysInMonth,
  normalizeCalendar,
} from "../../../src/dataset/cftime/calendar.js";
import { type CFDatetime, compareDates, formatDate } from "../../../src/dataset/cftime/date.js";
import { encodeTimes } from "../../../src/dataset/cftime/encoding.js";
import { dateToOrdinal, ordinalToDate } from "../../../src/dataset/cftime/instant.js";
import { ConfigError } from "../../../src/errors.js";
import { seededRandom } from "../../helpers/random.js";
import { CALENDARS, date, tuple } from "./helpers.js";

describe("normalizeCalendar", () => {
  it("lists every calendar name in the unknown-calendar error", () => {
    expect(() => normalizeCalendar("none")).toThrow(CALENDAR_NAMES.join(", "));
    expect(normalizeCalendar(undefined)).toBe("standard");
    expect(normalizeCalendar("")).toBe("standard");
    expect(normalizeCalendar("NOLEAP\0\0")).toBe("noleap");
    expect(normalizeCalendar("366_day")).toBe("all_leap");
  });
});

describe("calendar arithmetic", () => {
  function nextDay(d: CFDatetime, cal: Calendar): CFDatetime {
    if (cal === "standard" && d.year === 1582 && d.month === 10 && d.day === 4) {
      return { ...d, day: 15 };
    }
    if (d.day < daysInMonth(d.year, d.month, cal)) return { ...d, day: d.day + 1 };
    if (d.month < 12) return { ...d, month: d.month + 1, day: 1 };
    const year = d.year === -1 && (cal === "standard" || cal === "julian") ? 1 : d.year + 1;
    return { ...d, year, month: 1, day: 1 };
  }

  it.each(CALENDARS.map((c) => [c]))(
    "%s: day numbers walk day by day from 1000 BC to 3000 AD",
    (cal) => {
      let n = dateToDayNumber(date([-1000, 1, 1]), cal);
      let d = dayNumberToDate(n, cal);
      expect(tuple(d)).toEqual([-1000, 1, 1, 0, 0, 0, 0]);
      while (d.year < 3000) {
        const next = nextDay(d, cal);
        n += 1;
        const got = dayNumberToDate(n, cal);
        if (compareDates(got, next) !== 0) expect(formatDate(got)).toBe(formatDate(next));
        if (dateToDayNumber(next, cal) !== n) expect(dateToDayNumber(next, cal)).toBe(n);
        d = next;
      }
    },
  );

  it("puts 1970-01-01 at ordinal 0 and round-trips ordinals in every calendar", () => {
    const r = seededRandom(99);
    for (const cal of CALENDARS) {
      expect(dateToOrdinal(date([1970, 1, 1]), cal)).toBe(0n);
      for (let i = 0; i < 2000; i++) {
        const us =
          BigInt(Math.round((r() * 2 - 1) * 2 ** 52)) * 2000n + BigInt(Math.round(r() * 1999));
        expect(dateToOrdinal(ordinalToDate(us, cal), cal)).toBe(us);
      }
    }
  });

  it("refuses dates that do not exist when encoding", () => {
    expect(() => encodeTimes([date([2001, 2, 29])], "days since 2000-01-01")).toThrow(ConfigError);
    expect(() => encodeTimes([date([2000, 1, 31])], "days since 2000-01-01", "360_day")).toThrow(
      /day 31 is not 1-30/,
    );
    expect(() => dateToOrdinal(date([0, 1, 1]), "standard")).toThrow(/year 0 does not exist/);
  });
});
