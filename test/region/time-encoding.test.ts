import { describe, expect, it } from "vitest";
import type { Calendar } from "../../src/dataset/cftime/calendar.js";
import { decodeTimes } from "../../src/dataset/cftime/encoding.js";
import { parseFrequency, timeRange } from "../../src/dataset/cftime/frequency.js";
import { dateToOrdinal } from "../../src/dataset/cftime/instant.js";
import { parseDate } from "../../src/dataset/cftime/parse.js";
import type { DType } from "../../src/dataset/types.js";
import { chooseTimeEncoding, type TimeEncoding } from "../../src/plan/time-encoding.js";

function encode(
  start: string,
  end: string,
  freq: string,
  template: { units?: string; dtype: DType },
  calendar: Calendar = "standard",
) {
  const dates = timeRange(parseDate(start, calendar), parseDate(end, calendar), freq, calendar);
  const enc = chooseTimeEncoding(dates, calendar, template, parseFrequency(freq));
  return { dates, enc };
}

/** The promise that matters: the stored values decode to exactly the grid's instants. */
function expectExact(
  { dates, enc }: { dates: ReturnType<typeof timeRange>; enc: TimeEncoding },
  calendar: Calendar = "standard",
) {
  expect(enc.values.length).toBe(dates.length);
  const back = decodeTimes(enc.values, enc.units, calendar);
  const off = back.filter(
    (d, i) => dateToOrdinal(d, calendar) !== dateToOrdinal(dates[i], calendar),
  ).length;
  expect(off).toBe(0);
}

const numbers = (v: TimeEncoding["values"]) => Array.from(v as ArrayLike<number | bigint>, Number);

describe("chooseTimeEncoding: the template's own encoding when exact", () => {
  it("keeps int32 days since", () => {
    const r = encode("2020-01-01", "2020-12-31", "1D", {
      units: "days since 1990-01-01",
      dtype: "int32",
    });
    expect(r.enc.units).toBe("days since 1990-01-01");
    expect(r.enc.dtype).toBe("int32");
    expect(r.enc.values).toBeInstanceOf(Int32Array);
    expect(r.enc.values[0]).toBe(10957);
    expect(r.enc.values.length).toBe(366);
    expectExact(r);
  });

  it("keeps int64 hours", () => {
    const r = encode("2020-01-01", "2020-01-02", "6H", {
      units: "hours since 2020-01-01",
      dtype: "int64",
    });
    expect(r.enc).toMatchObject({ units: "hours since 2020-01-01", dtype: "int64" });
    expect(Array.from(r.enc.values as BigInt64Array)).toEqual([0n, 6n, 12n, 18n, 24n]);
  });

  it("keeps float64 fractional days when they decode back exactly", () => {
    const r = encode("2020-01-01", "2020-01-03", "15min", {
      units: "days since 1850-01-01",
      dtype: "float64",
    });
    expect(r.enc).toMatchObject({ units: "days since 1850-01-01", dtype: "float64" });
    expect(r.enc.values).toBeInstanceOf(Float64Array);
    expectExact(r);
  });

  it("keeps float32 when every value is a float32", () => {
    const r = encode("2020-01-01", "2020-01-02", "6H", {
      units: "days since 2020-01-01",
      dtype: "float32",
    });
    expect(r.enc.dtype).toBe("float32");
    expect(numbers(r.enc.values)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it("uses the calendar: noleap days skip Feb 29", () => {
    const r = encode(
      "2000-02-28",
      "2000-03-01",
      "1D",
      { units: "days since 2000-01-01", dtype: "int32" },
      "noleap",
    );
    expect(numbers(r.enc.values)).toEqual([58, 59]);
    expectExact(r, "noleap");
  });
});

describe("chooseTimeEncoding: '<unit> since <start>' when the template's cannot hold the grid", () => {
  it("moves 15-minute steps out of int32 days into int64 minutes since the start", () => {
    const r = encode("2020-01-01", "2020-01-01T01:00", "15min", {
      units: "days since 1990-01-01",
      dtype: "int32",
    });
    expect(r.enc.units).toBe("minutes since 2020-01-01T00:00:00");
    expect(r.enc.dtype).toBe("int64");
    expect(Array.from(r.enc.values as BigInt64Array)).toEqual([0n, 15n, 30n, 45n, 60n]);
    expectExact(r);
  });

  it("refuses float days that decode microseconds off (days since 0001-01-01, hourly)", () => {
    const r = encode("2020-01-01", "2020-03-01", "1H", {
      units: "days since 0001-01-01",
      dtype: "float64",
    });
    expect(r.enc).toMatchObject({ units: "hours since 2020-01-01T00:00:00", dtype: "int64" });
    expectExact(r);
  });

  it("refuses float32 values that are not float32 numbers", () => {
    const r = encode("2020-01-01", "2020-01-02", "1H", {
      units: "days since 2020-01-01",
      dtype: "float32",
    });
    expect(r.enc).toMatchObject({ units: "hours since 2020-01-01T00:00:00", dtype: "int64" });
  });

  it("refuses integer types it cannot write back (int16) and out-of-range int32", () => {
    const small = encode("2020-01-01", "2020-01-05", "1D", {
      units: "days since 2020-01-01",
      dtype: "int16",
    });
    expect(small.enc).toMatchObject({ units: "days since 2020-01-01T00:00:00", dtype: "int64" });
    const big = encode("2020-01-01", "2020-01-01T00:00:05", "1S", {
      units: "microseconds since 1900-01-01",
      dtype: "int32",
    });
    expect(big.enc).toMatchObject({ units: "seconds since 2020-01-01T00:00:00", dtype: "int64" });
    expect(numbers(big.enc.values)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("encodes without template units", () => {
    const r = encode("2020-01-01T06:00", "2020-01-02T06:00", "12H", { dtype: "float64" });
    expect(r.enc.units).toBe("hours since 2020-01-01T06:00:00");
    expect(numbers(r.enc.values)).toEqual([0, 12, 24]);
  });

  it.each([
    ["1D", "days"],
    ["1W", "days"],
    ["MS", "days"],
    ["YS", "days"],
    ["3H", "hours"],
    ["90min", "minutes"],
    ["30S", "seconds"],
    ["100ms", "milliseconds"],
    ["250us", "microseconds"],
  ])("names %s steps in %s", (freq, unit) => {
    const r = encode("2000-01-01", "2000-01-01", freq, { dtype: "int16" });
    expect(r.enc.units).toBe(`${unit} since 2000-01-01T00:00:00`);
  });

  it("stores month starts as whole days in a 360_day calendar", () => {
    const r = encode("2000-01-01", "2000-12-01", "MS", { dtype: "int16" }, "360_day");
    expect(r.enc.dtype).toBe("int64");
    expect(numbers(r.enc.values)).toEqual(Array.from({ length: 12 }, (_, i) => i * 30));
    expectExact(r, "360_day");
  });

  it("handles an empty grid", () => {
    const enc = chooseTimeEncoding([], "standard", { dtype: "int32" }, parseFrequency("1D"));
    expect(enc.units).toBe("days since 1970-01-01");
    expect(enc.values.length).toBe(0);
  });
});
