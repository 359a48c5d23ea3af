/**
 * CF structure questions about a Dataset that planning needs: which dimension is time, which
 * variables are coordinates, what a variable drags along when selected.
 */
import { ConfigError } from "../errors.js";
import { hint, message, opt } from "../hint.js";
import type { Dataset, Variable } from "./types.js";

const TIME_UNITS = /^\s*\w+\s+since\s+/i;

/**
 * The char variables whose last dimension is a string length, stored as n-byte strings in Zarr
 * v3 the way xarray writes the strings it decodes them into. xarray joins characters along a
 * dimension (conventions.decode_cf_variables' `stackable`) when that dimension has no variable of
 * its own and every variable using it is text with it as the last dimension — and it applies the
 * rule again when it reads the archive. Folding a variable removes its string dimension and so
 * can make another dimension look stackable that was not (argo's N_PARAM: STATION_PARAMETERS
 * (N_PROF, N_PARAM, STRING64) kept PARAMETER_DATA_MODE (N_PROF, N_PARAM) unjoined, and once it
 * is (N_PROF, N_PARAM) strings it would not): such variables stay unfolded, which xarray joins on
 * reading exactly as it does the source. A length of 1 is never folded: one character is the
 * same either way, and Zarr could not tell them apart.
 */
export function charStringNames(variables: readonly Variable[]): Set<string> {
  const byName = new Set(variables.map((v) => v.name));
  const last = (dims: readonly string[]) => dims[dims.length - 1];
  const stackable = (dim: string, dimsOf: (v: Variable) => readonly string[]) =>
    !byName.has(dim) &&
    variables.every((v) => {
      const dims = dimsOf(v);
      return !dims.includes(dim) || (v.dtype === "char" && last(dims) === dim);
    });
  const chars = variables.filter((v) => v.dtype === "char" && v.dims.length > 0);
  const folded = new Set(
    chars
      .filter((v) => v.shape[v.shape.length - 1] > 1 && stackable(last(v.dims), (x) => x.dims))
      .map((v) => v.name),
  );
  const archiveDims = (v: Variable) => (folded.has(v.name) ? v.dims.slice(0, -1) : v.dims);
  for (let changed = true; changed; ) {
    changed = false;
    for (const u of chars) {
      if (folded.has(u.name)) continue;
      const dim = last(u.dims);
      if (stackable(dim, (x) => x.dims) || !stackable(dim, archiveDims)) continue;
      for (const v of chars) {
        if (folded.has(v.name) && last(archiveDims(v)) === dim) {
          folded.delete(v.name);
          changed = true;
        }
      }
    }
  }
  return folded;
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
        { hint: hint`pass ${opt("timeDim")} with one of the listed dimensions` },
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
    [message`${opt("variables")}`, include],
    [message`${opt("dropVariables")}`, drop],
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
