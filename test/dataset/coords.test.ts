import { describe, expect, it } from "vitest";
import { charStringNames, findTimeDim, selectVariables } from "../../src/dataset/coords.js";
import type { Dataset, Variable } from "../../src/dataset/types.js";
import { ConfigError } from "../../src/errors.js";

function v(name: string, dims: string[], attrs: Variable["attrs"] = {}): Variable {
  return {
    name,
    dims,
    attrs,
    dtype: "float32",
    shape: dims.map(() => 2),
    read: async () => new Float32Array(0),
  };
}

function ds(variables: Variable[], dims: Dataset["dims"]): Dataset {
  return {
    path: "x.nc",
    format: "hdf5",
    group: "/",
    dims,
    variables,
    attrs: {},
    close: async () => {},
  };
}

const sample = ds(
  [
    v("t", ["t"], { units: "days since 2000-01-01", bounds: "t_bnds" }),
    v("t_bnds", ["t", "nv"]),
    v("lat", ["lat"]),
    v("height", []),
    v("tas", ["t", "lat"], { coordinates: "height" }),
    v("pr", ["t", "lat"]),
  ],
  [
    { name: "t", size: 2, unlimited: false },
    { name: "nv", size: 2, unlimited: false },
    { name: "lat", size: 2, unlimited: true },
  ],
);

describe("findTimeDim", () => {
  it("prefers a CF time coordinate over the unlimited dimension", () => {
    expect(findTimeDim(sample)).toBe("t");
  });
  it("falls back to the unlimited dimension, then a dim named time", () => {
    const noCoord = ds([v("x", ["rec"])], [{ name: "rec", size: 3, unlimited: true }]);
    expect(findTimeDim(noCoord)).toBe("rec");
    const named = ds([], [{ name: "Time", size: 3, unlimited: false }]);
    expect(findTimeDim(named)).toBe("Time");
    expect(findTimeDim(ds([], [{ name: "x", size: 1, unlimited: false }]))).toBeUndefined();
  });
  it("checks an explicit choice", () => {
    expect(findTimeDim(sample, "lat")).toBe("lat");
    expect(() => findTimeDim(sample, "nope")).toThrow(ConfigError);
  });
});

describe("selectVariables", () => {
  const names = (vs: Variable[]) => vs.map((x) => x.name);
  it("keeps everything by default, minus drops", () => {
    expect(names(selectVariables(sample, undefined, ["pr"]))).toEqual([
      "t",
      "t_bnds",
      "lat",
      "height",
      "tas",
    ]);
  });
  it("brings coordinates, auxiliary coordinates and bounds with a selected variable", () => {
    expect(names(selectVariables(sample, ["tas"], undefined))).toEqual([
      "t",
      "t_bnds",
      "lat",
      "height",
      "tas",
    ]);
  });
  it("names the unknown variable and lists the real ones", () => {
    expect(() => selectVariables(sample, ["tass"], undefined)).toThrow(
      /variables: no variable 'tass'.*variables: t, t_bnds/,
    );
    expect(() => selectVariables(sample, undefined, ["zz"])).toThrow(ConfigError);
  });
});

describe("charStringNames (xarray's rule for joining characters into strings)", () => {
  const char = (name: string, dims: string[], shape: number[]): Variable => ({
    ...v(name, dims),
    dtype: "char",
    shape,
  });
  const num = (name: string, dims: string[]): Variable => ({
    ...v(name, dims),
    shape: dims.map(() => 3),
  });

  it("folds a char array whose last dimension only strings use", () => {
    expect(
      charStringNames([char("name", ["station", "strlen"], [4, 8]), num("t", ["station"])]),
    ).toEqual(new Set(["name"]));
  });

  it("keeps arrays of characters whose last dimension other variables use", () => {
    // geocat_*_sao.cdf: CC(report, layers) char beside numeric (report, layers) data.
    const vars = [char("CC", ["report", "layers"], [5, 4]), num("hgt", ["report", "layers"])];
    expect(charStringNames(vars)).toEqual(new Set());
  });

  it("keeps a char array named like its string dimension's coordinate, and length-1 strings", () => {
    expect(charStringNames([char("label", ["x", "label"], [2, 5])])).toEqual(new Set());
    expect(charStringNames([char("flag", ["x", "one"], [2, 1])])).toEqual(new Set());
  });

  it("does not fold what would make another array's dimension joinable on reading (argo N_PARAM)", () => {
    const vars = [
      char("STATION_PARAMETERS", ["N_PROF", "N_PARAM", "STRING64"], [2, 7, 64]),
      char("PARAMETER_DATA_MODE", ["N_PROF", "N_PARAM"], [2, 7]),
      char("PARAMETER", ["N_PROF", "N_CALIB", "N_PARAM", "STRING64"], [2, 1, 7, 64]),
      char("PLATFORM_NUMBER", ["N_PROF", "STRING8"], [2, 8]),
    ];
    expect(charStringNames(vars)).toEqual(new Set(["PLATFORM_NUMBER"]));
  });
});
