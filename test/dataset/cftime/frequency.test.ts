/** Frequencies: ranges and steps against xarray.cftime_range, and inferring a series' frequency. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Calendar } from "../../../src/dataset/cftime/calendar.js";
import { formatDate } from "../../../src/dataset/cftime/date.js";
import { decodeTimes } from "../../../src/dataset/cftime/encoding.js";
import {
  addFrequency,
  inferFrequency,
  parseFrequency,
  timeRange,
} from "../../../src/dataset/cftime/frequency.js";
import { parseDate } from "../../../src/dataset/cftime/parse.js";
import { ConfigError } from "../../../src/errors.js";
import { type Answer, askPython, CALENDARS, tuple } from "./helpers.js";

const RANGES = CALENDARS.flatMap((calendar) =>
  [
    { start: "2000-01-15", end: "2001-03-01", freq: "MS" },
    { start: "2000-01-15", end: "2001-03-01", freq: "2MS" },
    { start: "2000-01-15", end: "2001-03-30", freq: "M" },
    { start: "1999-06-01", end: "2010-01-01", freq: "AS" },
    { start: "1999-06-01", end: "2010-12-30", freq: "A" },
    { start: "2000-02-27", end: "2000-03-02", freq: "6H" },
    { start: "2000-02-28T22:00", end: "2000-03-01T02:00", freq: "15T" },
    { start: "1582-09-30", end: "1582-11-02", freq: "3D" },
    { start: "2000-01-01", end: "2000-01-01 00:00:05", freq: "S" },
  ].map((r) => ({ ...r, calendar })),
);

let answer: Answer;

beforeAll(() => {
  answer = askPython({ ranges: RANGES });
});

describe("timeRange and addFrequency against xarray.cftime_range", () => {
  it.each(RANGES.map((r, i) => [`${r.calendar} ${r.start}..${r.end} ${r.freq}`, i]))(
    "%s",
    (_label, i) => {
      const r = RANGES[i];
      const expected = answer.ranges[i];
      if ("error" in expected) throw new Error(expected.error);
      const got = timeRange(
        parseDate(r.start, r.calendar),
        parseDate(r.end, r.calendar),
        r.freq,
        r.calendar,
      );
      expect(got.map(tuple)).toEqual(expected.dates);
    },
  );

  it("steps anchored frequencies like pandas", () => {
    const d = parseDate("2020-01-15T06:00");
    expect(formatDate(addFrequency(d, "MS", 1))).toBe("2020-02-01T06:00:00");
    expect(formatDate(addFrequency(d, "MS", -1))).toBe("2020-01-01T06:00:00");
    expect(formatDate(addFrequency(d, "M", 1))).toBe("2020-01-31T06:00:00");
    expect(formatDate(addFrequency(d, "M", 2))).toBe("2020-02-29T06:00:00");
    expect(formatDate(addFrequency(d, "M", 2, "noleap"))).toBe("2020-02-28T06:00:00");
    expect(formatDate(addFrequency(d, "M", 2, "360_day"))).toBe("2020-02-30T06:00:00");
    expect(formatDate(addFrequency(d, "YS", 1))).toBe("2021-01-01T06:00:00");
    expect(formatDate(addFrequency(d, "Y", 1))).toBe("2020-12-31T06:00:00");
    expect(formatDate(addFrequency(d, "YS", -1))).toBe("2020-01-01T06:00:00");
    expect(formatDate(addFrequency(parseDate("2020-01-01"), "3MS", 2))).toBe("2020-07-01T00:00:00");
    expect(formatDate(addFrequency(parseDate("0001-01-01", "julian"), "YS", -1, "julian"))).toBe(
      "-0001-01-01T00:00:00",
    );
  });

  it("adds fixed frequencies exactly, across the 1582 switch and year 0", () => {
    expect(formatDate(addFrequency(parseDate("1582-10-04"), "1D", 1))).toBe("1582-10-15T00:00:00");
    expect(formatDate(addFrequency(parseDate("1582-10-15"), "D", -1))).toBe("1582-10-04T00:00:00");
    expect(formatDate(addFrequency(parseDate("0001-01-01"), "1H", -1))).toBe(
      "-0001-12-31T23:00:00",
    );
    const start = parseDate("0001-01-01", "proleptic_gregorian");
    expect(formatDate(addFrequency(start, "1H", -1, "proleptic_gregorian"))).toBe(
      "0000-12-31T23:00:00",
    );
    expect(formatDate(addFrequency(parseDate("2020-01-01"), "15min", 4))).toBe(
      "2020-01-01T01:00:00",
    );
    expect(formatDate(addFrequency(parseDate("2020-01-01"), "1W", 1))).toBe("2020-01-08T00:00:00");
    // 10^12 seconds: far beyond 2^53 microseconds, still to the second.
    const far = addFrequency(parseDate("1970-01-01", "noleap"), "S", 1e12 + 1, "noleap");
    expect(formatDate(far)).toBe("33679-10-17T01:46:41");
  });

  it("includes the end only when it is on the grid", () => {
    const s = parseDate("2020-01-01");
    expect(timeRange(s, parseDate("2020-01-01T12:00"), "6H").length).toBe(3);
    expect(timeRange(s, parseDate("2020-01-01T11:59"), "6H").length).toBe(2);
    expect(timeRange(s, s, "1D").map(formatDate)).toEqual(["2020-01-01T00:00:00"]);
    expect(() => timeRange(parseDate("2021-01-01"), s, "1D")).toThrow(/after its end/);
    expect(() => timeRange(s, parseDate("9999-01-01"), "1us")).toThrow(/more than/);
  });

  it("parses pandas aliases and refuses others", () => {
    expect(parseFrequency("15T")).toEqual({ n: 15, unit: "min" });
    expect(parseFrequency("6h")).toEqual({ n: 6, unit: "H" });
    expect(parseFrequency("MS")).toEqual({ n: 1, unit: "MS" });
    expect(parseFrequency("ms")).toEqual({ n: 1, unit: "ms" });
    expect(parseFrequency("1M")).toEqual({ n: 1, unit: "M" });
    expect(parseFrequency("AS-JAN")).toEqual({ n: 1, unit: "YS" });
    expect(parseFrequency("A")).toEqual({ n: 1, unit: "Y" });
    expect(() => parseFrequency("5 fortnights")).toThrow(/unknown frequency '5 fortnights'/);
    expect(() => parseFrequency("0D")).toThrow(/positive integer/);
    expect(() => parseFrequency("QS")).toThrow(ConfigError);
  });
});

describe("inferFrequency", () => {
  const range = (a: string, b: string, f: string, cal: Calendar = "standard") =>
    timeRange(parseDate(a, cal), parseDate(b, cal), f, cal);
  it.each([
    ["2020-01-01", "2020-01-03", "6H", "6H"],
    ["2020-01-01", "2020-01-02", "15min", "15min"],
    ["2020-01-01", "2020-03-01", "1D", "1D"],
    ["2020-01-01", "2020-03-01", "1W", "7D"],
    ["2020-01-01", "2020-01-01T00:00:10", "S", "1S"],
    ["2020-01-01", "2022-01-01", "MS", "MS"],
    ["2020-01-01", "2022-01-01", "3MS", "3MS"],
    ["2000-01-01", "2010-01-01", "YS", "YS"],
    ["2000-01-01", "2010-01-01", "2YS", "2YS"],
    ["2000-01-01", "2001-01-01", "M", "M"],
    ["2000-01-01", "2010-12-30", "Y", "Y"],
  ])("%s..%s at %s → %s", (a, b, f, expected) => {
    for (const cal of CALENDARS)
      expect(inferFrequency(range(a, b, f, cal), cal), cal).toBe(expected);
  });

  it("has no answer for irregular, decreasing or too-short series", () => {
    const d = (s: string) => parseDate(s);
    expect(inferFrequency([d("2020-01-01"), d("2020-01-02"), d("2020-01-04")])).toBeUndefined();
    expect(inferFrequency([d("2020-01-02"), d("2020-01-01")])).toBeUndefined();
    expect(inferFrequency([d("2020-01-01")])).toBeUndefined();
    // Mid-month monthly means (CMIP style) have no single step.
    const mid = decodeTimes([15.5, 45, 74.5, 105], "days since 2000-01-01", "noleap");
    expect(inferFrequency(mid, "noleap")).toBeUndefined();
  });

  it("prefers month starts to 30D in the 360_day calendar", () => {
    expect(inferFrequency(range("2000-01-01", "2000-12-01", "30D", "360_day"), "360_day")).toBe(
      "MS",
    );
  });
});
