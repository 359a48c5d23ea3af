import { describe, expect, it } from "vitest";
import type { Attrs } from "../../src/dataset/types.js";
import { RegionError } from "../../src/errors.js";
import { locateRegion } from "../../src/region/locate.js";
import { describeDates, type TimeAxis, timeAxisOf } from "../../src/region/time-axis.js";

const axis = (values: number[], units: string, calendar?: string, int = true): TimeAxis => {
  const attrs: Attrs = calendar === undefined ? { units } : { units, calendar };
  return timeAxisOf(int ? Int32Array.from(values) : Float64Array.from(values), attrs, "test");
};
const range = (a: number, b: number, step = 1) =>
  Array.from({ length: Math.floor((b - a) / step) }, (_, i) => a + i * step);

/** 2020 daily, in days since 2020-01-01 (a leap year: 366 steps). */
const archive2020 = axis(range(0, 366), "days since 2020-01-01");
/** Hours since 1990-01-01 of 2020-01-01T00:00. */
const H2020 = 262968;

function thrown(fn: () => unknown): RegionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RegionError);
    return err as RegionError;
  }
  throw new Error("expected a RegionError");
}

describe("locateRegion: placement", () => {
  it("places a contiguous file given in other units as one run", () => {
    // 2020-03-01 .. 2020-03-10 in hours since 1990: day 60 of the leap year 2020.
    const file = axis(
      range(0, 10).map((d) => H2020 + (60 + d) * 24),
      "hours since 1990-01-01",
    );
    expect(file.dates[0]).toMatchObject({ year: 2020, month: 3, day: 1 });
    expect(locateRegion(file, archive2020, "f.nc")).toEqual([
      { archiveStart: 60, sourceStart: 0, count: 10 },
    ]);
  });

  it("takes the whole archive, first and last step included", () => {
    const file = axis(range(0, 366), "days since 2020-01-01");
    expect(locateRegion(file, archive2020, "f.nc")).toEqual([
      { archiveStart: 0, sourceStart: 0, count: 366 },
    ]);
  });

  it("matches an archive counted in float days against a file counted in int seconds", () => {
    // 6-hourly archive stored as fractional days; the file in seconds since 1970.
    const archive = axis(
      range(0, 40).map((i) => i * 0.25),
      "days since 2020-01-01",
      undefined,
      false,
    );
    const epoch2020 = 1577836800;
    const file = axis(
      range(8, 12).map((i) => epoch2020 + i * 6 * 3600),
      "seconds since 1970-01-01 00:00:00",
    );
    expect(locateRegion(file, archive, "f.nc")).toEqual([
      { archiveStart: 8, sourceStart: 0, count: 4 },
    ]);
  });

  it("splits a file with gaps into one run per contiguous stretch", () => {
    const days = [5, 6, 7, 10, 11, 20];
    const file = axis(days, "days since 2020-01-01");
    expect(locateRegion(file, archive2020, "f.nc")).toEqual([
      { archiveStart: 5, sourceStart: 0, count: 3 },
      { archiveStart: 10, sourceStart: 3, count: 2 },
      { archiveStart: 20, sourceStart: 5, count: 1 },
    ]);
  });

  it("gives every step its own run when the file's step is a multiple of the archive's", () => {
    const file = axis([0, 2, 4, 6], "days since 2020-01-01");
    const runs = locateRegion(file, archive2020, "f.nc");
    expect(runs).toEqual(
      [0, 2, 4, 6].map((a, i) => ({ archiveStart: a, sourceStart: i, count: 1 })),
    );
  });

  it("runs cover every file step once and map each to its own archive step", () => {
    const days = [1, 2, 3, 9, 10, 30, 31, 32, 33, 365];
    const file = axis(days, "days since 2020-01-01");
    const runs = locateRegion(file, archive2020, "f.nc");
    const mapped: number[] = [];
    for (const r of runs) {
      for (let k = 0; k < r.count; k++) {
        expect(r.sourceStart + k).toBe(mapped.length);
        mapped.push(r.archiveStart + k);
      }
    }
    expect(mapped).toEqual(days);
  });

  it("returns no runs for a file without time steps", () => {
    expect(locateRegion(axis([], "days since 2020-01-01"), archive2020, "f.nc")).toEqual([]);
  });

  it("places noleap files by noleap dates: Feb 28 is followed by Mar 1", () => {
    // 2001..2002 daily in a 365-day calendar, days since 2000-01-01 (2000 has 365 days here too).
    const archive = axis(range(365, 365 * 3), "days since 2000-01-01", "noleap");
    // The file: 2001-02-27 .. 2001-03-02 in hours since 1990-01-01, noleap.
    const feb27 = (11 * 365 + 31 + 26) * 24;
    const file = axis(
      range(0, 4).map((d) => feb27 + d * 24),
      "hours since 1990-01-01",
      "365_day",
    );
    expect(file.dates.map((d) => `${d.month}-${d.day}`)).toEqual(["2-27", "2-28", "3-1", "3-2"]);
    expect(locateRegion(file, archive, "f.nc")).toEqual([
      { archiveStart: 31 + 26, sourceStart: 0, count: 4 },
    ]);
  });

  it("places 360_day files, February 30th included", () => {
    const archive = axis(range(0, 360), "days since 2000-01-01", "360_day");
    const file = axis([29 * 24, 58 * 24, 59 * 24, 60 * 24], "hours since 2000-01-01", "360_day");
    expect(file.dates.map((d) => `${d.month}-${d.day}`)).toEqual(["1-30", "2-29", "2-30", "3-1"]);
    expect(locateRegion(file, archive, "f.nc")).toEqual([
      { archiveStart: 29, sourceStart: 0, count: 1 },
      { archiveStart: 58, sourceStart: 1, count: 3 },
    ]);
  });
});

describe("locateRegion: refusals", () => {
  it("names the times outside the archive and the archive's range", () => {
    const file = axis([-2, -1, 0, 1], "days since 2020-01-01");
    const err = thrown(() => locateRegion(file, archive2020, "/data/f.nc"));
    expect(err.message).toContain("/data/f.nc");
    expect(err.message).toContain("2 time step(s) fall outside the archive");
    expect(err.message).toContain("2020-01-01T00:00:00 .. 2020-12-31T00:00:00");
    expect(err.message).toContain("2019-12-30T00:00:00, 2019-12-31T00:00:00");
    expect(err.hint).toMatch(/globalStart/);
  });

  it("refuses times after the archive's end", () => {
    const file = axis([365, 366, 367], "days since 2020-01-01");
    const err = thrown(() => locateRegion(file, archive2020, "f.nc"));
    expect(err.message).toContain("2 time step(s) fall outside");
    expect(err.message).toContain("2021-01-01T00:00:00, 2021-01-02T00:00:00");
    expect(err.message).not.toContain("2020-12-31T00:00:00,");
  });

  it("shortens long lists of bad times", () => {
    const file = axis(range(400, 420), "days since 2020-01-01");
    const err = thrown(() => locateRegion(file, archive2020, "f.nc"));
    expect(err.message).toContain("20 time step(s)");
    expect(err.message).toContain("and 15 more");
  });

  it("names times that fall between archive steps as off the grid", () => {
    const file = axis([10 * 24, 10 * 24 + 12, 11 * 24], "hours since 2020-01-01");
    const err = thrown(() => locateRegion(file, archive2020, "f.nc"));
    expect(err.message).toContain("1 time step(s) are not on the archive's time grid");
    expect(err.message).toContain("2020-01-11T12:00:00");
    expect(err.message).not.toContain("outside");
    expect(err.hint).toMatch(/freq/);
  });

  it("treats a microsecond off the grid as off the grid (equality is exact)", () => {
    const file = axis(
      [1_000_000, 86_400_000_001],
      "microseconds since 2020-01-01",
      undefined,
      false,
    );
    const err = thrown(() => locateRegion(file, archive2020, "f.nc"));
    expect(err.message).toContain("2 time step(s) are not on the archive's time grid");
    expect(err.message).toContain("2020-01-02T00:00:00.000001");
  });

  it("refuses repeated times", () => {
    const file = axis([3, 4, 4, 5], "days since 2020-01-01");
    const err = thrown(() => locateRegion(file, archive2020, "f.nc"));
    expect(err.message).toContain("repeats 2020-01-05T00:00:00 at step 2");
  });

  it("refuses times that go back", () => {
    const file = axis([3, 4, 2], "days since 2020-01-01");
    const err = thrown(() => locateRegion(file, archive2020, "f.nc"));
    expect(err.message).toContain("goes back to 2020-01-03T00:00:00 at step 2");
  });

  it("refuses a repeat spelled in other units", () => {
    const file = timeAxisOf(
      Float64Array.from([48, 72, 3 * 24]),
      { units: "hours since 2020-01-01" },
      "f",
    );
    expect(() => locateRegion(file, archive2020, "f.nc")).toThrow(/repeats/);
  });

  it("keeps the first of repeated times when asked to", () => {
    const file = axis([3, 4, 4, 5, 3, 6], "days since 2020-01-01");
    expect(locateRegion(file, archive2020, "f.nc", { duplicates: "first" })).toEqual([
      { archiveStart: 3, sourceStart: 0, count: 2 },
      { archiveStart: 5, sourceStart: 3, count: 1 },
      { archiveStart: 6, sourceStart: 5, count: 1 },
    ]);
    expect(() => locateRegion(file, archive2020, "f.nc", { duplicates: "error" })).toThrow(
      /repeats 2020-01-05T00:00:00 at step 2/,
    );
  });

  it("still refuses times that go back when it skips repeats", () => {
    // The repeat of day 3 is skipped; day 4 after day 5 must not slip through behind it.
    const file = axis([3, 5, 3, 4], "days since 2020-01-01");
    expect(() => locateRegion(file, archive2020, "f.nc", { duplicates: "first" })).toThrow(
      /goes back to 2020-01-05T00:00:00 at step 3/,
    );
  });

  it("says the archive is empty when it has no steps", () => {
    const err = thrown(() =>
      locateRegion(axis([0], "days since 2020-01-01"), axis([], "days since 2020-01-01"), "f.nc"),
    );
    expect(err.message).toContain("(empty)");
  });
});

describe("timeAxisOf", () => {
  it("refuses time variables without CF units", () => {
    expect(() => timeAxisOf(Int32Array.from([0]), { units: "days" }, "f.nc: 'time'")).toThrow(
      /f\.nc: 'time' has no CF time units/,
    );
    expect(() => timeAxisOf(Int32Array.from([0]), {}, "x")).toThrow(RegionError);
  });

  it("refuses string values", () => {
    expect(() => timeAxisOf(["2020-01-01"], { units: "days since 2020-01-01" }, "x")).toThrow(
      /holds strings/,
    );
  });

  it("gives equal instants for equal moments in different units", () => {
    const a = axis([1], "days since 2020-01-01");
    const b = axis([H2020 + 24], "hours since 1990-01-01");
    expect(a.instants[0]).toBe(b.instants[0]);
    expect(a.calendar).toBe("standard");
  });

  it("describeDates lists up to max dates", () => {
    const a = axis([0, 1, 2], "days since 2020-01-01");
    expect(describeDates(a.dates, 2)).toBe("2020-01-01T00:00:00, 2020-01-02T00:00:00 and 1 more");
    expect(describeDates(a.dates)).toBe(
      "2020-01-01T00:00:00, 2020-01-02T00:00:00, 2020-01-03T00:00:00",
    );
  });
});
