/**
 * CF structure questions about a Dataset that planning needs: which dimension is time, which
 * variables are coordinates, what a variable drags along when selected.
 */
import { ConfigError } from "../errors.js";
import type { Dataset, Variable } from "./types.js";

const TIME_UNITS = /^\s*\w+\s+since\s+/i;

/**
 * The char variables whose last dimension is a string length, by xarray's rule for joining
 * characters into strings (conventions.decode_cf_variables' `stackable`): that dimension has no
 * variable of its own, and every variable using it is char with it as the last dimension. Those
 * read as n-byte strings in xarray; other char arrays stay arrays of single characters. A length
 * of 1 is left out: one character is the same either way, and Zarr could not tell them apart.
 */
export function charStringNames(variables: readonly Variable[]): Set<string> {
  const byName = new Set(variables.map((v) => v.name));
  const stackable = (dim: string) =>
    !byName.has(dim) &&
    variables.every(
      (v) => !v.dims.includes(dim) || (v.dtype === "char" && v.dims[v.dims.length - 1] === dim),
    );
  return new Set(
    variables
      .filter(
        (v) =>
          v.dtype === "char" &&
          v.dims.length > 0 &&
          v.shape[v.shape.length - 1] > 1 &&
          stackable(v.dims[v.dims.length - 1]),
      )
      .map((v) => v.name),
  );
}

/** A variable whose name equals its only dimension: a CF/NetCDF coordinate variable. */
export function isDimensionCoordinate(v: Variable): boolean {
  return v.dims.length === 1 && v.dims[0] === v.name;
}

export function isTimeLike(v: Variable): boolean {
  const axis = v.attrs.axis;
  const standardName = v.attrs.standard_name;
  const units = v.attrs.units;
  return (
    (typeof axis === "string" && axis.toUpperCase() === "T") ||
    standardName === "time" ||
    (typeof units === "string" && TIME_UNITS.test(units))
  );
}

/**
 * The dimension data are concatenated, appended and region-written along. An explicit choice must
 * exist; otherwise a time-like coordinate variable wins, then the unlimited dimension, then a
 * dimension literally named "time".
 */
export function findTimeDim(ds: Dataset, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    if (!ds.dims.some((d) => d.name === explicit)) {
      throw new ConfigError(
        `time dimension '${explicit}' is not a dimension of ${ds.path} (dimensions: ${ds.dims.map((d) => d.name).join(", ") || "none"})`,
        { hint: "pass --time-dim with one of the listed dimensions" },
      );
    }
    return explicit;
  }
  const coordinate = ds.variables.find((v) => isDimensionCoordinate(v) && isTimeLike(v));
  if (coordinate) return coordinate.name;
  const unlimited = ds.dims.find((d) => d.unlimited);
  if (unlimited) return unlimited.name;
  return ds.dims.find((d) => d.name.toLowerCase() === "time")?.name;
}

function namesIn(value: unknown): string[] {
  return typeof value === "string" ? value.split(/\s+/).filter(Boolean) : [];
}

/** Variables some variable names in its `coordinates` or `bounds` attribute: not data. */
export function auxiliaryNames(ds: Dataset): Set<string> {
  const names = new Set<string>();
  for (const v of ds.variables) {
    for (const n of namesIn(v.attrs.coordinates)) names.add(n);
    for (const n of namesIn(v.attrs.bounds)) names.add(n);
  }
  return names;
}

/**
 * Resolve --variables/--drop-variables into the variables to write. A selected data variable
 * brings the coordinate variables of its dimensions, the auxiliary coordinates its `coordinates`
 * attribute names, and the `bounds` of all of those, so the result still decodes like the source.
 */
export function selectVariables(
  ds: Dataset,
  include: readonly string[] | undefined,
  drop: readonly string[] | undefined,
  /** Names the file has but the reader could not represent: valid to name, never returned. */
  unrepresentable: readonly string[] = [],
): Variable[] {
  const byName = new Map(ds.variables.map((v) => [v.name, v]));
  const known = new Set([...byName.keys(), ...unrepresentable]);
  const available = () => [...known].join(", ") || "none";
  for (const [flag, list] of [
    ["--variables", include],
    ["--drop-variables", drop],
  ] as const) {
    for (const name of list ?? []) {
      if (!known.has(name)) {
        throw new ConfigError(
          `${flag}: no variable '${name}' in ${ds.path} (variables: ${available()})`,
          { hint: `check the spelling; \`ncdump -h ${ds.path}\` lists the variables` },
        );
      }
    }
  }
  let chosen: Set<string>;
  if (include && include.length > 0) {
    chosen = new Set<string>();
    const add = (name: string) => {
      const v = byName.get(name);
      if (!v || chosen.has(name)) return;
      chosen.add(name);
      for (const dim of v.dims) if (byName.has(dim)) add(dim);
      for (const aux of namesIn(v.attrs.coordinates)) add(aux);
      for (const b of namesIn(v.attrs.bounds)) add(b);
    };
    for (const name of include) add(name);
  } else {
    chosen = new Set(byName.keys());
  }
  for (const name of drop ?? []) chosen.delete(name);
  return ds.variables.filter((v) => chosen.has(v.name));
}
