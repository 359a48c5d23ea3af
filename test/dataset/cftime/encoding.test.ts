/** decodeTimes, decodeInstants and encodeTimes against cftime 1.6.2, xarray and real files. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Calendar } from "../../../src/dataset/cftime/calendar.js";
import { normalizeCalendar } from "../../../src/dataset/cftime/calendar.js";
import { decodeInstants, decodeTimes, encodeTimes } from "../../../src/dataset/cftime/encoding.js";
import { dateToOrdinal } from "../../../src/dataset/cftime/instant.js";
import { parseUnits } from "../../../src/dataset/cftime/parse.js";
import { InputError } from "../../../src/errors.js";
import { real } from "../../helpers/paths.js";
import { seededRandom } from "../../helpers/random.js";
import { type Answer, askPython, CALENDARS, type Outcome, tuple } from "./helpers.js";

/**
 * ~700 float values for a unit of `factor` µs: small and huge integers, log-spread floats, simple
 * fractions (1/3 day...), values a fraction of a microsecond either side of a whole second (where
 * cftime's long-double rounding and 1 µs snapping decide), and plain random doubles. Bounded to
 * ±4e18 µs, inside cftime's int64 range.
 */
function sweep(factor: number, seed: number): number[] {
  const r = seededRandom(seed);
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
    const r = seededRandom(seed++);
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
