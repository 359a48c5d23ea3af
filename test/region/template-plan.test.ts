import { describe, expect, it } from "vitest";
import type { Dataset, DType, Variable } from "../../src/dataset/types.js";
import { recommendChunks } from "../../src/plan/chunking.js";
import { planTemplate, type TemplatePlanOptions } from "../../src/plan/template-plan.js";

function variable(
  name: string,
  dtype: DType,
  dims: string[],
  shape: number[],
  attrs: Variable["attrs"] = {},
  sourceChunks?: number[],
): Variable {
  return {
    name,
    dtype,
    dims,
    shape,
    attrs,
    sourceChunks,
    read: async () => {
      throw new Error("planning must not read data");
    },
  };
}

/** A one-day hourly template file: 24 steps on a 181 × 360 grid. */
function templateFile(): Dataset {
  const variables = [
    variable("time", "int32", ["time"], [24], {
      units: "hours since 2020-01-01",
      calendar: "standard",
      bounds: "time_bnds",
    }),
    variable("lat", "float32", ["lat"], [181], { units: "degrees_north" }),
    variable("lon", "float32", ["lon"], [360], { units: "degrees_east" }),
    variable("time_bnds", "int32", ["time", "nv"], [24, 2]),
    variable(
      "t2m",
      "float32",
      ["time", "lat", "lon"],
      [24, 181, 360],
      { _FillValue: -9999 },
      [1, 181, 360],
    ),
    variable("orography", "float32", ["lat", "lon"], [181, 360]),
  ];
  return {
    path: "/data/template.nc",
    format: "hdf5",
    group: "/",
    dims: [
      { name: "time", size: 24, unlimited: true },
      { name: "lat", size: 181, unlimited: false },
      { name: "lon", size: 360, unlimited: false },
      { name: "nv", size: 2, unlimited: false },
    ],
    variables,
    attrs: { title: "ERA-like", Conventions: "CF-1.8" },
    close: async () => {},
  };
}

const STEPS = 366 * 24;

function options(over: Partial<TemplatePlanOptions> = {}): TemplatePlanOptions {
  return {
    zarrFormat: 3,
    compression: { method: "zstd", level: 3 },
    chunking: {},
    targetChunkSizeMb: 50,
    timeDim: "time",
    steps: STEPS,
    time: { variable: "time", dtype: "int64", units: "minutes since 2020-01-01T00:00:00" },
    ...over,
  };
}

function plan(over: Partial<TemplatePlanOptions> = {}) {
  const ds = templateFile();
  return planTemplate(ds, ds.variables, options(over));
}

const byName = (p: ReturnType<typeof plan>, name: string) => {
  const a = p.plan.arrays.find((x) => x.name === name);
  if (!a) throw new Error(`no array ${name}`);
  return a;
};

describe("planTemplate", () => {
  it("lays every time-dependent variable over the full time range", () => {
    const p = plan();
    expect(byName(p, "t2m").shape).toEqual([STEPS, 181, 360]);
    expect(byName(p, "time_bnds").shape).toEqual([STEPS, 2]);
    expect(byName(p, "time").shape).toEqual([STEPS]);
    expect(byName(p, "lat").shape).toEqual([181]);
    expect(byName(p, "orography").shape).toEqual([181, 360]);
    expect(p.plan.arrays.map((a) => a.name)).toEqual([
      "time",
      "lat",
      "lon",
      "time_bnds",
      "t2m",
      "orography",
    ]);
  });

  it("stores the time coordinate in one chunk, in its new units and dtype", () => {
    const time = byName(plan(), "time");
    expect(time.chunks).toEqual([STEPS]);
    expect(time.dtype).toBe("int64");
    expect(time.attrs).toEqual({
      units: "minutes since 2020-01-01T00:00:00",
      calendar: "standard",
      bounds: "time_bnds",
    });
    expect(time.sourceChunks).toBeUndefined();
  });

  it("does not change the template file's variables", () => {
    const ds = templateFile();
    planTemplate(ds, ds.variables, options());
    expect(ds.variables[0].attrs.units).toBe("hours since 2020-01-01");
    expect(ds.variables[0].shape).toEqual([24]);
    expect(ds.variables[0].dtype).toBe("int32");
  });

  it("caps the time coordinate's chunk for enormous axes", () => {
    const time = byName(plan({ steps: 20_000_000 }), "time");
    expect(time.chunks).toEqual([8 * 1024 * 1024]);
  });

  it("lists the arrays regions are written into: time-dependent, the time coordinate excluded", () => {
    expect(plan().regionArrays).toEqual(["time_bnds", "t2m"]);
  });

  it("sizes chunks from the archive's dimensions, not the template file's", () => {
    // 8784 × 181 × 360 float32 is ~2.2 GB: cut along time to stay under 50 MB.
    const t2m = byName(plan(), "t2m");
    expect(t2m.chunks.slice(1)).toEqual([181, 360]);
    expect(t2m.chunks[0]).toBe(Math.floor((50 * 1024 * 1024) / (181 * 360 * 4)));
    // With the template file's own 24 steps it would have been one chunk of 24.
    expect(t2m.chunks[0]).toBeGreaterThan(24);
  });

  it("honours per-dimension chunking by name", () => {
    const t2m = byName(plan({ chunking: { time: 48, lon: 90 } }), "t2m");
    expect(t2m.chunks).toEqual([48, 181, 90]);
    expect(byName(plan({ chunking: { time: 48 } }), "time_bnds").chunks).toEqual([48, 2]);
  });

  it("recommends chunks for an access pattern over the full range", () => {
    const p = plan({ accessPattern: "spatial" });
    const rec = recommendChunks({
      dims: ["time", "lat", "lon"],
      shape: [STEPS, 181, 360],
      itemSize: 4,
      timeDim: "time",
      pattern: "spatial",
      targetChunkSizeMb: 50,
    });
    expect(byName(p, "t2m").chunks).toEqual(rec.chunks);
    expect(rec.chunks[0]).toBe(20); // min(20, max(5, 8784 // 50))
    // Variables without the time dimension keep the default layout.
    expect(byName(p, "orography").chunks).toEqual([181, 360]);
    expect(byName(p, "time").chunks).toEqual([STEPS]);
  });

  it("lets dimensions named in chunking override the recommendation, within the dim's length", () => {
    const p = plan({ accessPattern: "temporal", chunking: { lat: 30, lon: 5000 } });
    const t2m = byName(p, "t2m");
    expect(t2m.chunks[0]).toBe(100); // temporal: min(100, max(10, 8784 // 10))
    expect(t2m.chunks[1]).toBe(30);
    expect(t2m.chunks[2]).toBe(360);
  });

  it("reports the recommendation's warnings once per variable, named", () => {
    const p = plan({ accessPattern: "balanced", targetChunkSizeMb: 0.25 });
    expect(p.warnings.length).toBeGreaterThan(0);
    expect(p.warnings.every((w) => /^(t2m|time_bnds): /.test(w))).toBe(true);
    expect(new Set(p.warnings).size).toBe(p.warnings.length);
  });

  it("keeps global attributes and adds the extra ones", () => {
    const p = plan({ extraAttrs: { project: "reanalysis", title: "Overridden" } });
    expect(p.plan.attrs).toEqual({
      title: "Overridden",
      Conventions: "CF-1.8",
      project: "reanalysis",
    });
    expect(p.plan.zarrFormat).toBe(3);
  });

  it("keeps fill values and attributes of the data variables", () => {
    const t2m = byName(plan({ zarrFormat: 2 }), "t2m");
    expect(t2m.fillValue).toBe(-9999);
    expect(t2m.attrs._FillValue).toBe(-9999);
    expect(t2m.dtype).toBe("float32");
  });
});
