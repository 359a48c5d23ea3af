/** The text forms: CF time units, user dates, and the text a date is shown in. */
import { describe, expect, it } from "vitest";
import { formatDate } from "../../../src/dataset/cftime/date.js";
import { parseDate, parseUnits, UNIT_MICROSECONDS } from "../../../src/dataset/cftime/parse.js";
import { ConfigError, InputError } from "../../../src/errors.js";
import { date } from "./helpers.js";

describe("parseUnits", () => {
  it("reads the unit, the reference and the zone", () => {
    expect(parseUnits("hours since 1900-01-01")).toEqual({
      unit: "hours",
      reference: date([1900, 1, 1]),
      utcOffsetMinutes: 0,
      calendar: "standard",
    });
    const tz = parseUnits("days since 1964-03-12 12:09:00 -9:00", "gregorian");
    expect(tz.utcOffsetMinutes).toBe(-540);
    expect(tz.reference).toEqual(date([1964, 3, 12, 21, 9]));
    expect(parseUnits("seconds since 1900-01-01T00:00:00Z").reference).toEqual(date([1900, 1, 1]));
    expect(parseUnits("s since 2000-01-01 00:00:00 UTC").unit).toBe("seconds");
    expect(parseUnits("SECONDS SINCE 1970-1-1 0:0:0.5").reference).toEqual(
      date([1970, 1, 1, 0, 0, 0, 500000]),
    );
    expect(parseUnits("weeks since 2000-01-03").unit).toBe("weeks");
    expect(parseUnits("days since 0000-01-01", "360_day").reference.year).toBe(0);
    expect(parseUnits("days since -0001-06-01", "julian").reference.year).toBe(-1);
    expect(parseUnits("months since 1958-1-1", "360_day").unit).toBe("months");
    expect(UNIT_MICROSECONDS.months).toBe(30 * 86_400_000_000);
  });

  it.each([
    ["days after 1900-01-01", "standard", /not of the form '<unit> since <reference date>'/],
    ["1900-01-01", "standard", /not of the form/],
    ["fortnights since 1900-01-01", "standard", /unknown time unit 'fortnights'/],
    ["years since 1900-01-01", "standard", /unknown time unit 'years'/],
    ["months since jan 1899", "360_day", /cannot read the reference date 'jan 1899'/],
    ["months since 1958-1-1", "standard", /only defined for the 360_day calendar/],
    ["common_years since 1-1-1", "julian", /only defined for the noleap\/365_day calendar/],
    ["seconds since 1-1-1970", "standard", /cannot read the reference date '1-1-1970'/],
    ["days since 0000-00-00 00:00:00", "noleap", /month 0 is not 1-12/],
    ["hour since 0000-01-01 00:00:00", "julian", /year 0 does not exist in the julian calendar/],
    ["days since 1900-02-29", "standard", /day 29 is not 1-28 in 1900-02/],
    ["days since 2000-02-29", "noleap", /day 29 is not 1-28/],
    ["days since 2000-01-31", "360_day", /day 31 is not 1-30/],
    ["days since 1582-10-10", "standard", /do not exist in the standard calendar/],
    ["days since 2000-01-01 24:00:00", "standard", /hour 24 is not 0-23/],
    [
      "days since 2000-01-01",
      "365_days",
      /unknown calendar '365_days'; valid calendars: standard, gregorian/,
    ],
    ["days since 2000-01-01", "gregorian_proleptic", /unknown calendar/],
  ])("'%s' (%s) → InputError %s", (units, calendar, message) => {
    expect(() => parseUnits(units, calendar)).toThrow(InputError);
    expect(() => parseUnits(units, calendar)).toThrow(message);
  });
});

describe("parseDate and formatDate", () => {
  it("reads user dates", () => {
    expect(parseDate("2020-01-01")).toEqual(date([2020, 1, 1]));
    expect(parseDate("2020-01-01T06:00")).toEqual(date([2020, 1, 1, 6]));
    expect(parseDate("2020-01-01 06:30:15.25")).toEqual(date([2020, 1, 1, 6, 30, 15, 250000]));
    expect(parseDate("2020-03")).toEqual(date([2020, 3, 1]));
    expect(parseDate("2020-01-01T00:00:00+01:00")).toEqual(date([2019, 12, 31, 23]));
    expect(parseDate("2020-02-30", "360_day")).toEqual(date([2020, 2, 30]));
  });

  it.each([
    ["jan 2020", /cannot read date 'jan 2020'/],
    ["2020-01-01 noon", /cannot read date/],
    ["2020-02-30", /invalid date '2020-02-30': day 30 is not 1-29/],
    ["2020-13-01", /month 13 is not 1-12/],
    ["2020-01-01T25:00", /hour 25/],
  ])("'%s' → ConfigError %s", (text, message) => {
    expect(() => parseDate(text)).toThrow(ConfigError);
    expect(() => parseDate(text)).toThrow(message);
  });

  it("formats ISO-like text, microseconds only when present", () => {
    expect(formatDate(date([2020, 1, 1]))).toBe("2020-01-01T00:00:00");
    expect(formatDate(date([33, 2, 3, 4, 5, 6, 7]))).toBe("0033-02-03T04:05:06.000007");
    expect(formatDate(date([-44, 3, 15]))).toBe("-0044-03-15T00:00:00");
    expect(formatDate(date([12345, 1, 1]))).toBe("12345-01-01T00:00:00");
  });
});
