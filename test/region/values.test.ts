import { describe, expect, it } from "vitest";
import { formatDate } from "../../src/dataset/cftime/date.js";
import { decodeTimes } from "../../src/dataset/cftime/encoding.js";
import type { Attrs, DType } from "../../src/dataset/types.js";
import { RegionError } from "../../src/errors.js";
import { archiveForm, type StoredForm, storedForm, toArchive } from "../../src/region/values.js";
import { createArrayMeta } from "../../src/zarr/metadata.js";

const form = (dtype: DType, attrs: Attrs = {}, inherited?: Attrs): StoredForm =>
  storedForm(dtype, attrs, inherited);

function meta(format: 2 | 3, dtype: DType, attrs: Attrs, fillValue?: number | null) {
  return createArrayMeta({
    zarrFormat: format,
    path: "v",
    dtype,
    shape: [4],
    chunks: [4],
    dimensionNames: ["time"],
    attrs,
    compression: { method: "none" },
    ...(fillValue === undefined ? {} : { fillValue }),
  });
}

describe("storedForm / archiveForm", () => {
  it("reads fill, packing and time units from the attributes", () => {
    expect(
      form("int16", {
        _FillValue: -32768,
        scale_factor: 0.01,
        add_offset: 280,
        units: "K",
      }),
    ).toEqual({
      dtype: "int16",
      fill: -32768,
      scale: 0.01,
      offset: 280,
      timeUnits: undefined,
      calendar: undefined,
    });
  });

  it("falls back to missing_value, takes the first of several, and numbers bigint fills", () => {
    expect(form("float32", { missing_value: [-999, -998] }).fill).toBe(-999);
    expect(form("int64", { _FillValue: -1n }).fill).toBe(-1);
    expect(form("int16", { _FillValue: 7, missing_value: 9 }).fill).toBe(7);
    expect(form("float64").fill).toBeUndefined();
  });

  it("defaults to no packing", () => {
    expect(form("float32")).toMatchObject({ scale: 1, offset: 0 });
  });

  it("recognises time units and inherits them (and the calendar) from a parent", () => {
    expect(form("int32", { units: "hours since 1990-01-01", calendar: "noleap" })).toMatchObject({
      timeUnits: "hours since 1990-01-01",
      calendar: "noleap",
    });
    const parent = { units: "days since 2020-01-01", calendar: "360_day" };
    expect(form("float64", {}, parent)).toMatchObject({
      timeUnits: "days since 2020-01-01",
      calendar: "360_day",
    });
    // The bounds' own attributes win over the parent's.
    expect(form("float64", { units: "hours since 2020-01-01" }, parent).timeUnits).toBe(
      "hours since 2020-01-01",
    );
    expect(form("float64", { units: "degrees_north" }).timeUnits).toBeUndefined();
  });

  it("takes a v2 archive's fill_value as its _FillValue", () => {
    const v2 = meta(2, "float32", { _FillValue: -9999 });
    expect(archiveForm(v2).fill).toBe(-9999);
    // fill_value given directly (as parsed .zarray documents do, or any other writer's).
    expect(archiveForm(meta(2, "int16", {}, -1)).fill).toBe(-1);
    expect(archiveForm(meta(2, "int16", {})).fill).toBeUndefined();
  });

  it("does not mistake a v3 integer array's default fill_value for a _FillValue", () => {
    const m = meta(3, "int16", {});
    expect(m.fillValue).toBe(-32767); // netCDF's default fill; xarray does not mask with it
    expect(archiveForm(m).fill).toBeUndefined();
    expect(archiveForm(meta(3, "int16", { _FillValue: -1 })).fill).toBe(-1);
  });

  it("takes inherited time units for an archive's bounds", () => {
    const bounds = meta(3, "float64", {});
    expect(archiveForm(bounds, { units: "days since 2020-01-01" }).timeUnits).toBe(
      "days since 2020-01-01",
    );
  });
});

describe("toArchive: pass-through", () => {
  it("returns the very same array when the stored forms agree", () => {
    const data = Int16Array.from([1, 2, -32768]);
    const f = form("int16", { _FillValue: -32768, scale_factor: 0.1 });
    const out = toArchive(data, f, { ...f }, "t2m");
    expect(out.data).toBe(data);
    expect(out.clipped).toBe(0);
  });

  it("passes through when the file has no fill, or the same NaN fill", () => {
    const data = Float32Array.from([1, Number.NaN]);
    expect(toArchive(data, form("float32"), form("float32", { _FillValue: 1e20 }), "v").data).toBe(
      data,
    );
    const nan = form("float32", { _FillValue: Number.NaN });
    expect(toArchive(data, nan, { ...nan }, "v").data).toBe(data);
  });

  it("passes strings and chars through when both sides agree", () => {
    const s = ["a", "b"];
    expect(toArchive(s, form("string"), form("string"), "v").data).toBe(s);
    const c = Uint8Array.from([65, 66]);
    expect(toArchive(c, form("char"), form("char"), "v").data).toBe(c);
  });

  it("passes times through when only one side has time units", () => {
    const data = Float64Array.from([1, 2]);
    const out = toArchive(
      data,
      form("float64", { units: "days since 2020-01-01" }),
      form("float64"),
      "v",
    );
    expect(out.data).toBe(data);
  });
});

describe("toArchive: conversions", () => {
  it("translates the file's _FillValue into the archive's", () => {
    const src = form("float32", { _FillValue: -9999 });
    const dst = form("float32", { _FillValue: 1e20 });
    const out = toArchive(Float32Array.from([1.5, -9999, 3, Number.NaN]), src, dst, "v");
    expect(out.data).toBeInstanceOf(Float32Array);
    expect(Array.from(out.data as Float32Array)).toEqual([
      1.5,
      Math.fround(1e20),
      3,
      Math.fround(1e20),
    ]);
    expect(out.clipped).toBe(0);
  });

  it("writes NaN where a float archive has no fill value", () => {
    const out = toArchive(
      Float64Array.from([-9999, 2]),
      form("float64", { _FillValue: -9999 }),
      form("float64"),
      "v",
    );
    expect(Array.from(out.data as Float64Array)).toEqual([Number.NaN, 2]);
  });

  it("stores NaN as the fill of an integer archive", () => {
    const out = toArchive(
      Float32Array.from([Number.NaN, 4, -7]),
      form("float32"),
      form("int16", { _FillValue: -1 }),
      "flag",
    );
    expect(out.data).toBeInstanceOf(Int16Array);
    expect(Array.from(out.data as Int16Array)).toEqual([-1, 4, -7]);
  });

  it("refuses missing values for an integer archive without fill value", () => {
    const err = (() => {
      try {
        toArchive(Float32Array.from([1, Number.NaN]), form("float32"), form("int16"), "flag");
      } catch (e) {
        return e as RegionError;
      }
    })();
    expect(err).toBeInstanceOf(RegionError);
    expect(err?.message).toContain("flag: the file has missing values");
    expect(err?.hint).toMatch(/_FillValue/);
  });

  it("treats an integer archive's NaN _FillValue as no fill value", () => {
    // xarray-data_eraint_uvz.nc has `short z` with _FillValue = NaN: it can never be stored.
    const dst = form("int16", { _FillValue: Number.NaN, scale_factor: 2 });
    expect(() => toArchive(Float64Array.from([2, Number.NaN]), form("float64"), dst, "z")).toThrow(
      /z: the file has missing values/,
    );
    const out = toArchive(Float64Array.from([4]), form("float64"), dst, "z");
    expect(Array.from(out.data as Int16Array)).toEqual([2]);
  });

  it("refuses a file fill for a v3 integer archive whose only fill is zarr's default", () => {
    const dst = archiveForm(meta(3, "int16", {}));
    const src = form("int16", { _FillValue: -5 });
    expect(() => toArchive(Int16Array.from([3, -5]), src, dst, "flag")).toThrow(RegionError);
  });

  it("keeps real zeros in a v3 integer archive without _FillValue", () => {
    const dst = archiveForm(meta(3, "int16", { scale_factor: 2 }));
    const src = form("int16", { scale_factor: 1 });
    const out = toArchive(Int16Array.from([0, 4, -6]), src, dst, "v");
    expect(Array.from(out.data as Int16Array)).toEqual([0, 2, -3]);
    expect(out.clipped).toBe(0);
  });

  it("packs floats into int16 within half a step", () => {
    const dst = form("int16", { _FillValue: -32768, scale_factor: 0.01, add_offset: 280 });
    const n = 2000;
    const physical = Float64Array.from(
      { length: n },
      (_, i) => 200 + (160 * i) / n + Math.sin(i) * 1e-3,
    );
    const out = toArchive(physical, form("float64"), dst, "t2m");
    expect(out.data).toBeInstanceOf(Int16Array);
    expect(out.clipped).toBe(0);
    const packed = out.data as Int16Array;
    for (let i = 0; i < n; i++) {
      expect(packed[i]).not.toBe(-32768);
      expect(Math.abs(packed[i] * 0.01 + 280 - physical[i])).toBeLessThanOrEqual(0.005 + 1e-9);
    }
  });

  it("repacks between two packings through the physical value", () => {
    const src = form("int16", { scale_factor: 0.5, add_offset: 10, _FillValue: -99 });
    const dst = form("int16", { scale_factor: 0.25, add_offset: 0, _FillValue: 32767 });
    const out = toArchive(Int16Array.from([0, 2, -99, -20]), src, dst, "v");
    // physical 10, 11, missing, 0 -> packed 40, 44, fill, 0
    expect(Array.from(out.data as Int16Array)).toEqual([40, 44, 32767, 0]);
  });

  it("rounds half to even, like convert's packing and numpy", () => {
    const out = toArchive(
      Float64Array.from([2.5, -2.5, 0.4999, -0.5, 1.5]),
      form("float64"),
      form("int32", { _FillValue: -2147483648 }),
      "v",
    );
    expect(Array.from(out.data as Int32Array)).toEqual([2, -2, 0, 0, 2]);
  });

  it("clips what the packing cannot hold and counts it", () => {
    const dst = form("int8", { _FillValue: -128, scale_factor: 1 });
    const out = toArchive(Float32Array.from([1000, -1000, 5, 127.4]), form("float32"), dst, "v");
    expect(Array.from(out.data as Int8Array)).toEqual([127, -127, 5, 127]);
    expect(out.clipped).toBe(2);
  });

  it("never clips a value onto the fill value", () => {
    // The CF habit: int16 packing with the fill at the bottom of the range.
    const dst = form("int16", { _FillValue: -32768, scale_factor: 0.01, add_offset: 0 });
    const out = toArchive(Float64Array.from([-400, 400, Number.NaN]), form("float64"), dst, "v");
    expect(Array.from(out.data as Int16Array)).toEqual([-32767, 32767, -32768]);
    expect(out.clipped).toBe(2);
    const top = form("uint8", { _FillValue: 255 });
    const up = toArchive(Float64Array.from([300, 254.6]), form("float64"), top, "v");
    expect(Array.from(up.data as Uint8Array)).toEqual([254, 254]);
    expect(up.clipped).toBe(2);
  });

  it("moves a value that rounds onto the fill value off it, and counts it", () => {
    const dst = form("int16", { _FillValue: 0 });
    const out = toArchive(Float64Array.from([0.2, -0.2, 3]), form("float64"), dst, "v");
    const packed = Array.from(out.data as Int16Array);
    expect(packed.slice(0, 2).every((v) => v !== 0 && Math.abs(v) === 1)).toBe(true);
    expect(out.clipped).toBe(2);
  });

  it("clips unsigned 64-bit output at zero", () => {
    const out = toArchive(
      Float64Array.from([-5, 7]),
      form("float64"),
      form("uint64", { _FillValue: 99 }),
      "v",
    );
    expect(out.data).toBeInstanceOf(BigUint64Array);
    expect(Array.from(out.data as BigUint64Array)).toEqual([0n, 7n]);
    expect(out.clipped).toBe(1);
  });

  it("writes 64-bit integer archives as BigInt arrays", () => {
    const out = toArchive(
      Int32Array.from([1, -2, -1]),
      form("int32", { _FillValue: -1 }),
      form("int64", { _FillValue: -9n }),
      "v",
    );
    expect(out.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(out.data as BigInt64Array)).toEqual([1n, -2n, -9n]);
  });
});

describe("toArchive: time units", () => {
  it("re-encodes times into the archive's units", () => {
    // 2020-01-01 and 2020-01-02T06:00 in hours since 1990-01-01.
    const src = form("int32", { units: "hours since 1990-01-01" });
    const dst = form("float64", { units: "days since 2020-01-01" });
    const out = toArchive(Int32Array.from([262968, 262968 + 30]), src, dst, "time");
    expect(Array.from(out.data as Float64Array)).toEqual([0, 1.25]);
  });

  it("re-encodes into integer units exactly", () => {
    const src = form("float64", { units: "days since 2000-01-01", calendar: "noleap" });
    const dst = form("int64", { units: "hours since 2001-01-01", calendar: "noleap" });
    const out = toArchive(Float64Array.from([365, 365 + 59]), src, dst, "time");
    // 2001-03-01 is 59 days into a noleap year.
    expect(Array.from(out.data as BigInt64Array)).toEqual([0n, 59n * 24n]);
  });

  it("converts bounds with units inherited from their time coordinate, keeping missing ones", () => {
    const src = form("float64", { _FillValue: -1 }, { units: "hours since 2020-01-01" });
    const dst = form("float64", { _FillValue: Number.NaN }, { units: "minutes since 2020-01-01" });
    const out = toArchive(Float64Array.from([0, 1, -1, 2]), src, dst, "time_bnds");
    expect(Array.from(out.data as Float64Array)).toEqual([0, 60, Number.NaN, 120]);
    const back = decodeTimes([0, 60, 120], "minutes since 2020-01-01").map(formatDate);
    expect(back[2]).toBe("2020-01-01T02:00:00");
  });
});

describe("toArchive: type mismatches", () => {
  it.each<[DType, DType, unknown]>([
    ["char", "uint8", Uint8Array.from([65])],
    ["uint8", "char", Uint8Array.from([65])],
    ["string", "float32", ["a"]],
    ["float32", "string", Float32Array.from([1])],
    ["int8", "char", Int8Array.from([1])],
  ])("refuses %s in the file for %s in the archive", (from, to, data) => {
    expect(() => toArchive(data as never, form(from), form(to), "label")).toThrow(
      new RegExp(`label: stored as ${from} in the file but ${to} in the archive`),
    );
    expect(() => toArchive(data as never, form(from), form(to), "label")).toThrow(RegionError);
  });
});
