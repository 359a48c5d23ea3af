/**
 * Turning a file's values into the archive's stored form. The archive's metadata decides
 * (dtype, _FillValue, scale_factor/add_offset, time units), never the input file: files written by
 * different model runs may use another fill value, another packing or other time units, and a
 * region written in their form would decode wrongly.
 *
 * When the stored forms agree (the common case) values are passed through untouched. Otherwise
 * each value goes through its physical meaning: missing → NaN, unpacked with the file's
 * scale/offset, then encoded with the archive's (rounding half to even, as convert's packing and
 * numpy do, and clipping to the packed range; clipped values are counted so the caller can report
 * them).
 */
import { decodeTimes, encodeTimes } from "../dataset/cftime/encoding.js";
import {
  ARRAY_TYPES,
  type Attrs,
  type AttrValue,
  type DataArray,
  type DType,
  INTEGER_RANGE,
} from "../dataset/types.js";
import { RegionError } from "../errors.js";
import { roundHalfEven } from "../plan/packing.js";
import type { ArrayMeta } from "../zarr/metadata.js";

export interface StoredForm {
  dtype: DType;
  fill?: number;
  scale: number;
  offset: number;
  /** CF time units, for arrays of times (bounds included). */
  timeUnits?: string;
  calendar?: string;
}

function scalar(v: AttrValue | undefined): number | undefined {
  const x = Array.isArray(v) ? v[0] : v;
  if (typeof x === "bigint") return Number(x);
  return typeof x === "number" ? x : undefined;
}

/** The stored form a variable's attributes describe; `inherited` supplies a parent's time units. */
export function storedForm(dtype: DType, attrs: Attrs, inherited?: Attrs): StoredForm {
  const units = attrs.units ?? inherited?.units;
  const calendar = attrs.calendar ?? inherited?.calendar;
  return {
    dtype,
    fill: scalar(attrs._FillValue) ?? scalar(attrs.missing_value),
    scale: scalar(attrs.scale_factor) ?? 1,
    offset: scalar(attrs.add_offset) ?? 0,
    timeUnits: typeof units === "string" && /\bsince\b/i.test(units) ? units : undefined,
    calendar: typeof calendar === "string" ? calendar : undefined,
  };
}

export function archiveForm(meta: ArrayMeta, inherited?: Attrs): StoredForm {
  const form = storedForm(meta.dtype, meta.attrs, inherited);
  // xarray takes a v2 fill_value as _FillValue. A v3 fill_value is only what unwritten chunks read
  // as (netCDF's default fill for integers without one) and masks nothing: taking it would make
  // real values equal to it missing.
  if (form.fill === undefined && meta.zarrFormat === 2 && typeof meta.fillValue === "number") {
    form.fill = meta.fillValue;
  }
  return form;
}

/** A stored value that means "no data": NaN, or the fill value. */
export function isMissingValue(x: number, fill: number | undefined): boolean {
  return Number.isNaN(x) || x === fill;
}

function sameFill(a: number | undefined, b: number | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && Number.isNaN(a) && Number.isNaN(b));
}

function passThrough(src: StoredForm, dst: StoredForm): boolean {
  return (
    src.dtype === dst.dtype &&
    src.scale === dst.scale &&
    src.offset === dst.offset &&
    (src.timeUnits === dst.timeUnits ||
      src.timeUnits === undefined ||
      dst.timeUnits === undefined) &&
    (sameFill(src.fill, dst.fill) || src.fill === undefined)
  );
}

export interface Converted {
  data: DataArray;
  /** Values outside what the archive's dtype/packing can hold, clipped to its range. */
  clipped: number;
}

export function toArchive(
  data: DataArray,
  src: StoredForm,
  dst: StoredForm,
  where: string,
): Converted {
  if (passThrough(src, dst)) return { data, clipped: 0 };
  if (
    Array.isArray(data) ||
    src.dtype === "char" ||
    dst.dtype === "char" ||
    dst.dtype === "string"
  ) {
    throw new RegionError(
      `${where}: stored as ${src.dtype} in the file but ${dst.dtype} in the archive`,
      { hint: "write files whose variables have the template's types" },
    );
  }
  const n = data.length;
  const physical = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const raw = Number(data[i]);
    physical[i] = isMissingValue(raw, src.fill) ? Number.NaN : raw * src.scale + src.offset;
  }
  if (src.timeUnits && dst.timeUnits && src.timeUnits !== dst.timeUnits) {
    const valid = physical.filter((v) => !Number.isNaN(v));
    const moved = encodeTimes(
      decodeTimes(valid, src.timeUnits, src.calendar),
      dst.timeUnits,
      dst.calendar,
    );
    let k = 0;
    for (let i = 0; i < n; i++) if (!Number.isNaN(physical[i])) physical[i] = moved[k++];
  }
  const out = new (ARRAY_TYPES[dst.dtype] as new (n: number) => Exclude<DataArray, string[]>)(n);
  const range = INTEGER_RANGE[dst.dtype];
  const big = dst.dtype === "int64" || dst.dtype === "uint64";
  const float = dst.dtype === "float32" || dst.dtype === "float64";
  // An integer variable's NaN _FillValue can never be stored, so it is no fill value at all.
  const fill = float || Number.isFinite(dst.fill) ? dst.fill : undefined;
  if (!float && fill === undefined && physical.some(Number.isNaN)) {
    throw new RegionError(
      `${where}: the file has missing values but the archive's ${dst.dtype} variable has no _FillValue to store them`,
      { hint: "give the template variable a _FillValue" },
    );
  }
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const x = physical[i];
    if (Number.isNaN(x)) {
      if (big) (out as BigInt64Array)[i] = BigInt(fill as number);
      else (out as Float64Array)[i] = fill ?? Number.NaN;
      continue;
    }
    let v = (x - dst.offset) / dst.scale;
    if (!float) {
      v = roundHalfEven(v);
      const [lo, hi] = range as [number, number];
      if (v < lo || v > hi || v === fill) {
        clipped++;
        v = Math.min(hi, Math.max(lo, v));
        // Clipping can land on the fill too (CF packing reserves -32768): step inside the range.
        if (v === fill) v = v > lo ? v - 1 : v + 1;
      }
    }
    if (big) (out as BigInt64Array)[i] = BigInt(v);
    else (out as Float64Array)[i] = v;
  }
  return { data: out, clipped };
}
