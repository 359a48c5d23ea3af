import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addFrequency,
  CALENDAR_NAMES,
  type Calendar,
  type CFDatetime,
  compareDates,
  dateToDayNumber,
  dateToOrdinal,
  dayNumberToDate,
  daysInMonth,
  decodeInstants,
  decodeTimes,
  encodeTimes,
  formatDate,
  inferFrequency,
  normalizeCalendar,
  ordinalToDate,
  parseDate,
  parseFrequency,
  parseUnits,
  timeRange,
  UNIT_MICROSECONDS,
} from "../../src/dataset/cftime.js";
import { ConfigError, InputError } from "../../src/errors.js";
import { python, real, repoRoot } from "../helpers/paths.js";

type Tuple = [number, number, number, number, number, number, number];
type Outcome = { dates: Tuple[]; encoded?: number[] | { error: string } } | { error: string };
interface FileAnswer {
  units: string;
  calendar: string;
  dtype: string;
  values: (number | string)[];
  dates?: Tuple[];
  error?: string;
}
interface Answer {
  decode: Outcome[];
  ranges: Outcome[];
  xarray: Outcome[];
  files: FileAnswer[];
  versions: Record<string, string>;
}

const SCRIPT = join(repoRoot, "test/dataset/cftime_reference.py");

function askPython(request: object): Answer {
  const r = spawnSync(python, [SCRIPT], {
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed (${r.status}): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout) as Answer;
}

const tuple = (d: CFDatetime): Tuple => [
  d.year,
  d.month,
  d.day,
  d.hour,
  d.minute,
  d.second,
  d.microsecond,
];
const date = (t: number[]): CFDatetime => ({
  year: t[0],
  month: t[1],
  day: t[2],
  hour: t[3] ?? 0,
  minute: t[4] ?? 0,
  second: t[5] ?? 0,
  microsecond: t[6] ?? 0,
});

/** Deterministic values so a failure reproduces (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * ~700 float values for a unit of `factor` µs: small and huge integers, log-spread floats, simple
 * fractions (1/3 day...), values a fraction of a microsecond either side of a whole second (where
 * cftime's long-double rounding and 1 µs snapping decide), and plain random doubles. Bounded to
 * ±4e18 µs, inside cftime's int64 range.
 */
function sweep(factor: number, seed: number): number[] {
  const r = random(seed);
  const bound = 4e18 / factor;
  const sign = () => (r() < 0.5 ? -1 : 1);
  const out: number[] = [0, 1, -1, 0.5, -0.5];
  for (let i = 0; i < 100; i++) out.push(Math.round(r() * 2000 - 1000));
  for (let i = 0; i < 80; i++) out.push(Math.round((r() * 2 - 1) * bound));
  for (let i = 0; i < 150; i++) out.push(sign() * Math.exp(r() * Math.log(bound)));
  const denominators = [2, 3, 4, 6, 7, 10, 24, 60, 1440, 86400, 3600, 1e6];
  for (let i = 0; i < 150; i++) {
    const k = Math.round((r() * 2 - 1) * Math.min(1e7, bound));
    out.push(k / denominators[i % denominators.length]);
  }
  const offsets = [0.3, 0.5, 0.7, 1, 1.2, 0.999, 1.001, 0.49999, 2];
  const secondsBound = Math.min(1e12, (bound * factor) / 1e6);
  for (let i = 0; i < 120; i++) {
    const seconds = Math.round((r() * 2 - 1) * secondsBound);
    out.push((seconds * 1e6 + sign() * offsets[i % offsets.length]) / factor);
  }
  for (let i = 0; i < 100; i++) out.push((r() * 2 - 1) * 1e4);
  return out;
}

const CALENDARS: Calendar[] = [
  "standard",
  "proleptic_gregorian",
  "julian",
  "noleap",
  "all_leap",
  "360_day",
];

/** References chosen for edge cases: time zones, fractions, 1582, year 0, BC, leap days. */
const UNITS = [
  "days since 1900-01-01",
  "hours since 1970-01-01 00:00:00",
  "seconds since 2000-01-01T12:30:15.25Z",
  "minutes since 1582-10-04",
  "milliseconds since 1850-1-1 0:0:0",
  "microseconds since 2001-02-28 23:59:59.999999",
  "days since -100-03-01",
  "hours since 1964-03-12 12:09:00 -09:00",
  "days since 1992-10-8 15:15:42.5 +05:30",
  "d since 1600-02-29",
  "msecs since 2000-1-1",
  "hrs since 0001-01-01",
  "days since 0000-01-01",
  "months since 1958-1-1",
  "common_years since 1-1-1",
  "Hour since 2001-12-31T23:00:00Z",
  "days since 1582-10-15 00:00:00",
  "seconds since 1582-10-10",
  "sec since 1970-01-01 00:00:00+0130",
];

const ENCODE_UNITS = [
  "seconds since 1970-01-01",
  "days since 1850-01-01 06:00",
  "hours since 2000-01-01 00:00:00.5",
  "minutes since 1582-10-15",
];

interface DecodeCase {
  values: (number | string)[];
  dtype: "f8" | "f4" | "i8" | "i4";
  units: string;
  calendar: string;
  encode_units: string;
}

function typed(c: DecodeCase): number[] | Float32Array | BigInt64Array | Int32Array {
  switch (c.dtype) {
    case "f4":
      return Float32Array.from(c.values as number[]);
    case "i8":
      return BigInt64Array.from((c.values as string[]).map((v) => BigInt(v)));
    case "i4":
      return Int32Array.from(c.values as number[]);
    default:
      return c.values as number[];
  }
}

function unitFactor(units: string): number {
  const word = units.split(/\s+/)[0].toLowerCase();
  if (word.startsWith("micro")) return 1;
  if (word.startsWith("milli") || word.startsWith("msec")) return 1e3;
  if (word.startsWith("s")) return 1e6;
  if (word.startsWith("min")) return 6e7;
  if (word.startsWith("h")) return 3.6e9;
  if (word.startsWith("d")) return 8.64e10;
  if (word.startsWith("month")) return 2.592e12;
  return 3.1536e13;
}

function buildCases(): DecodeCase[] {
  const cases: DecodeCase[] = [];
  let seed = 1;
  for (const calendar of CALENDARS) {
    UNITS.forEach((units, i) => {
      cases.push({
        values: sweep(unitFactor(units), seed++),
        dtype: "f8",
        units,
        calendar,
        encode_units: ENCODE_UNITS[i % ENCODE_UNITS.length],
      });
    });
    const f4 = sweep(8.64e10, seed++).map(Math.fround);
    cases.push({ values: f4, dtype: "f4", units: UNITS[0], calendar, encode_units: UNITS[0] });
    const r = random(seed++);
    const big = Array.from({ length: 300 }, () => BigInt(Math.round((r() * 2 - 1) * 4e12)));
    big.push(4_000_000_000_000n, -4_000_000_000_000n, 1n, -1n, 0n);
    cases.push({
      values: big.map(String),
      dtype: "i8",
      units: "seconds since 1970-01-01",
      calendar,
      encode_units: "days since 1970-01-01",
    });
    const ints = Array.from({ length: 300 }, () => Math.round((r() * 2 - 1) * 2 ** 31 * 0.99));
    cases.push({
      values: ints,
      dtype: "i4",
      units: "minutes since 1582-10-04",
      calendar,
      encode_units: "minutes since 1582-10-04",
    });
  }
  // Calendar names are case-insensitive and have synonyms.
  for (const calendar of ["GREGORIAN", "NOLEAP", "365_day", "366_day", "Julian"]) {
    cases.push({
      values: sweep(8.64e10, seed++),
      dtype: "f8",
      units: UNITS[0],
      calendar,
      encode_units: ENCODE_UNITS[1],
    });
  }
  return cases;
}

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

const REAL_AXES = [
  ["netcdf-c_ref_test_360_day_1900.nc", "time"],
  ["netcdf-c_ref_test_365_day_1900.nc", "time"],
  ["netcdf-c_ref_test_366_day_1900.nc", "time"],
  ["xclim-testdata_tas_Amon_HadGEM2-ES_rcp85_r1i1p1_200512-203011.nc", "time"],
  ["xclim-testdata_o3_Amon_GFDL-ESM4_historical_r1i1p1f1_gr1_185001-194912.nc", "time"],
  ["xclim-testdata_daily_surface_cancities_1990-1993.nc", "time"],
  [
    "xclim-testdata_tasmax_day_CanESM2_rcp85_r1i1p1_na10kgrid_qm-moving-50bins-detrend_2095.nc",
    "time",
  ],
  ["geocat_atm.20C.hourly6-1990-1995-TS.nc", "time"],
  ["geocat_za_PHC2_T_S_gx1v3.nc", "time"],
  ["iris-test-data_A1B-99999a-river-sep-2070-2099.nc", "time"],
  ["iris-test-data_lfric_surface_mean.nc", "time_centered"],
  ["r-ncmeta_guam.nc", "Time"],
  ["gridded_WCOFS_subset.nc", "ocean_time"],
  ["r-stars_test_stageiv_xyt.nc", "time"],
  ["netcdf-c_ref_nccopy3_subset.nc", "lon_cal"],
  ["netcdf-c_ref_nccopy3_subset.nc", "lat_cal"],
  ["netcdf-c_ref_nccopy3_subset.nc", "tm_jln"],
  ["netcdf-c_ref_nccopy3_subset.nc", "tm_366"],
  ["netcdf-c_ref_nccopy3_subset.nc", "time_udunits"],
] as const;

/** Where cftime 1.6.2 drops part of the reference and this module follows udunits and pandas. */
const XARRAY_CASES = [
  {
    values: [0, 1.5, -0.25],
    units: "hours since 1964-03-12 12:09:00 -9:00",
    calendar: "gregorian",
  },
  { values: [0, 1.5, -0.25], units: "days since 1992-10-8 15:15:42.5 -6:00", calendar: "standard" },
  { values: [0, 1, 2.5], units: "days since 1900-01-01T06", calendar: "standard" },
  { values: [0, 1, 2.5], units: "days since 1900", calendar: "proleptic_gregorian" },
];

const cases = buildCases();
let answer: Answer;

beforeAll(() => {
  answer = askPython({
    decode: cases,
    ranges: RANGES,
    xarray: XARRAY_CASES,
    files: REAL_AXES.map(([file, v]) => ({ path: real(file), var: v })),
  });
});

function ourDecode(c: DecodeCase): Outcome {
  try {
    const dates = decodeTimes(typed(c), c.units, c.calendar);
    let encoded: number[] | { error: string };
    try {
      encoded = encodeTimes(dates, c.encode_units, c.calendar);
    } catch (e) {
      encoded = { error: String(e) };
    }
    return { dates: dates.map(tuple), encoded };
  } catch (e) {
    return { error: String(e) };
  }
}

describe("decodeTimes/encodeTimes against cftime", () => {
  it("uses the cftime the expectations were written for", () => {
    expect(answer.versions.cftime).toBe("1.6.2");
  });

  it.each(CALENDARS.map((c) => [c]))("%s: thousands of values, every unit form", (calendar) => {
    const mine = cases.filter((c) => normalizeCalendar(c.calendar) === calendar);
    expect(mine.reduce((n, c) => n + c.values.length, 0)).toBeGreaterThan(10_000);
    let decodedCases = 0;
    for (const c of mine) {
      const expected = answer.decode[cases.indexOf(c)];
      const got = ourDecode(c);
      const label = `${c.dtype} '${c.units}' ${c.calendar}`;
      if ("error" in expected) {
        expect("error" in got, `${label}: cftime refuses (${expected.error}); so must we`).toBe(
          true,
        );
        continue;
      }
      if ("error" in got) throw new Error(`${label}: cftime decodes, we fail: ${got.error}`);
      decodedCases++;
      const wrong = expected.dates
        .map((t, i) => ({ value: c.values[i], cftime: t, ours: got.dates[i] }))
        .filter((x) => x.ours.join() !== x.cftime.join());
      expect(wrong.slice(0, 5), label).toEqual([]);
      if (expected.encoded && !("error" in expected.encoded)) {
        const enc = expected.encoded;
        const ours = got.encoded as number[];
        const bad = enc
          .map((v, i) => ({ date: expected.dates[i], cftime: v, ours: ours[i] }))
          .filter((x) => !Object.is(x.cftime, x.ours));
        expect(bad.slice(0, 5), `${label} → '${c.encode_units}'`).toEqual([]);
      }
    }
    expect(decodedCases).toBeGreaterThan(10);
  });

  it("accepts calendar names in any case and their synonyms", () => {
    const aliases = cases.filter((c) => !CALENDARS.includes(c.calendar as Calendar));
    expect(aliases.length).toBe(5);
    for (const c of aliases) {
      const expected = answer.decode[cases.indexOf(c)];
      expect(ourDecode(c)).toEqual(expected);
    }
  });

  it("matches xarray where cftime 1.6.2 ignores part of the reference date", () => {
    XARRAY_CASES.forEach((c, i) => {
      const expected = answer.xarray[i];
      if ("error" in expected) throw new Error(expected.error);
      expect(decodeTimes(c.values, c.units, c.calendar).map(tuple), c.units).toEqual(
        expected.dates,
      );
    });
  });
});

describe("real files' time axes", () => {
  it.each(REAL_AXES.map((a, i) => [`${a[0]}:${a[1]}`, i]))("%s", (_label, i) => {
    const f = answer.files[i];
    const values = f.dtype.startsWith("i")
      ? Int32Array.from(f.values.map(Number))
      : f.dtype === "f4"
        ? Float32Array.from(f.values as number[])
        : (f.values as number[]);
    if (f.error !== undefined) {
      expect(() => decodeTimes(values, f.units, f.calendar)).toThrow(InputError);
      return;
    }
    expect(f.values.length).toBeGreaterThan(0);
    expect(decodeTimes(values, f.units, f.calendar).map(tuple)).toEqual(f.dates);
  });

  it("year-0 references: accepted in noleap, refused in standard like cftime", () => {
    const noleap = answer.files[REAL_AXES.findIndex((a) => a[0] === "geocat_za_PHC2_T_S_gx1v3.nc")];
    expect(noleap.units).toBe("days since 0000-01-01 00:00:00");
    expect(noleap.dates?.length).toBeGreaterThan(0);
    expect(() => parseUnits("hour since 0000-01-01 00:00:00")).toThrow(
      /year 0 does not exist in the standard calendar/,
    );
  });
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

  it("lists every calendar name in the unknown-calendar error", () => {
    expect(() => normalizeCalendar("none")).toThrow(CALENDAR_NAMES.join(", "));
    expect(normalizeCalendar(undefined)).toBe("standard");
    expect(normalizeCalendar("")).toBe("standard");
    expect(normalizeCalendar("NOLEAP\0\0")).toBe("noleap");
    expect(normalizeCalendar("366_day")).toBe("all_leap");
  });
});

describe("decodeTimes input checks", () => {
  it("refuses non-finite and out-of-range values, naming the index", () => {
    expect(() => decodeTimes([0, Number.NaN], "days since 2000-01-01")).toThrow(
      /index 1.*not a number/,
    );
    expect(() => decodeTimes([1e300], "days since 2000-01-01")).toThrow(/beyond/);
    expect(() => decodeTimes(BigInt64Array.from([2n ** 62n]), "days since 2000-01-01")).toThrow(
      InputError,
    );
  });

  it("keeps 1-second steps exact centuries away from the reference", () => {
    const start = 2 ** 53 / 1e6 + 1e6; // past 2^53 µs
    const values = Float64Array.from({ length: 2000 }, (_, i) => start + i);
    const dates = decodeTimes(values, "seconds since 1700-01-01", "standard");
    const ordinals = dates.map((d) => dateToOrdinal(d, "standard"));
    for (let i = 1; i < ordinals.length; i++)
      expect(ordinals[i] - ordinals[i - 1]).toBe(1_000_000n);
    expect(encodeTimes(dates, "seconds since 1700-01-01", "standard")).toEqual(Array.from(values));
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
    const r = random(99);
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

describe("decodeInstants", () => {
  const cases: [string, string, ArrayLike<number> | BigInt64Array][] = [
    ["hours since 1990-01-01 06:00", "standard", Float64Array.from([0, 1.5, -30000.25, 87_599])],
    ["days since 0001-01-01", "noleap", Float64Array.from([0, 365, 738_000.125])],
    ["minutes since 2000-02-30", "360_day", Int32Array.from([0, -1, 43_200, 1_000_000])],
    ["seconds since 1582-10-15", "standard", BigInt64Array.from([0n, -86_400n, 10n ** 11n])],
    [
      "milliseconds since 1970-01-01T00:00:00+05:30",
      "proleptic_gregorian",
      Float64Array.from([0.5, 1e12]),
    ],
  ];
  for (const [units, calendar, values] of cases) {
    it(`equals dateToOrdinal of decodeTimes: '${units}' (${calendar})`, () => {
      const expected = decodeTimes(values, units, calendar).map((d) => dateToOrdinal(d, calendar));
      expect(decodeInstants(values, units, calendar)).toEqual(expected);
    });
  }
  it("refuses what decodeTimes refuses", () => {
    expect(() => decodeInstants([Number.NaN], "days since 2000-01-01")).toThrow(InputError);
  });
});
