/**
 * CF packing (SPEC §3): float values stored as 8/16/32-bit integers with `scale_factor`,
 * `add_offset` and a reserved `_FillValue`, decoded by readers as `packed * scale + offset`.
 *
 * Layout of the integer range for `bits` = b, with H = 2^(b-1) - 1:
 *   - the most negative integer (-H - 1: -128, -32768, -2147483648) is `_FillValue`, so NaN
 *     survives packing and unwritten regions of a template decode to NaN;
 *   - [-H, H] holds data: n = 2H = 2^b - 2 steps, scale = (max - min) / n and
 *     add_offset = min + H·scale (= the middle of the range), so -H decodes to min and H to max:
 *     the whole integer range is used.
 *
 * Rounding is half to even (banker's rounding), the rule of numpy.around, which xarray's CF
 * encoder and netCDF4-python's auto-packing use. So a value packs to the integer xarray would have
 * written, and ties go the same way for negative and positive values (Math.round sends -2.5 to -2
 * but 2.5 to 3). Any value that lands in [-H, H] round-trips within scale/2.
 *
 * All arithmetic is float64. Even at 32 bits, (v - offset) / scale is an integer below 2^31 plus a
 * fraction known to about 2^-22 of a step, so float64 is precise enough to get the rounding right.
 *
 * Which float type the writer should give `scale_factor`/`add_offset`: the SOURCE variable's
 * (float32 for a float32 variable, float64 for float64). CF says the unpacked type is the type of
 * these attributes, and newer xarray (>= 2024.03) decodes int8/int16 packed with float32
 * attributes to float32 — so a float32 source comes back as float32, as from the source file.
 * xarray 2023.01 (our oracle) ignores the attribute type: it decodes to float64 whenever
 * `add_offset` is present (always, here) or the packed type is int32, and computes
 * `packed * scale + offset` in that type. When the attributes will be stored as float32, ask
 * `packingParams(..., "float32")`: it picks float32-exact scale and offset (scale rounded up just
 * enough that [min, max] stays covered), so the numbers used to pack are the numbers stored, and
 * the scale/2 bound holds for readers that decode in float64.
 */
import type { Attrs } from "../dataset/types.js";
import { ConfigError } from "../errors.js";

export type PackBits = 8 | 16 | 32;
export type PackedDType = "int8" | "int16" | "int32";
export type PackedArray = Int8Array | Int16Array | Int32Array;
/** Where a packing range came from, in priority order (SPEC §3). */
export type RangeSource = "manual" | "attributes" | "data";
/** Float type the writer stores `scale_factor`/`add_offset` as. */
export type PackAttrType = "float32" | "float64";

export interface PackingParams {
  bits: PackBits;
  dtype: PackedDType;
  scaleFactor: number;
  addOffset: number;
  /** Reserved packed value for NaN: the most negative integer of the width. */
  fillValue: number;
  /** The range packed: values outside it are clipped to it (and counted) by packValues. */
  min: number;
  max: number;
}

/** How a block's values become packed integers (carried by the ArrayPlan to the engine). */
export interface ArrayPacking {
  params: PackingParams;
  /** Source values meaning "missing" (its _FillValue/missing_value), packed as the fill. */
  missing: number[];
  rangeSource: RangeSource;
  /** What to do with values outside [min, max]; they are clipped in every case. */
  onExceeded: "warn" | "error" | "ignore";
}

/** `_FillValue` of each packed width. */
export const PACKED_FILL: Record<PackBits, number> = {
  8: -128,
  16: -32768,
  32: -2147483648,
};

const PACKED_DTYPE: Record<PackBits, PackedDType> = { 8: "int8", 16: "int16", 32: "int32" };

const PACKED_ARRAY = { 8: Int8Array, 16: Int16Array, 32: Int32Array } as const;

export function packedDtype(bits: PackBits): PackedDType {
  const dtype = PACKED_DTYPE[bits];
  if (dtype === undefined) throw new ConfigError(`packing bits must be 8, 16 or 32, got ${bits}`);
  return dtype;
}

/** Largest packed data value, H = 2^(bits-1) - 1; data use [-H, H]. */
export function packedMax(bits: PackBits): number {
  return -PACKED_FILL[bits] - 1;
}

/** Scratch for stepping a float32 up by one ulp: the next float32 is the next bit pattern. */
const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/**
 * Scale, offset and fill that pack [min, max] into the full signed range of `bits`.
 * Requires finite min < max (widen a degenerate range with widenRange first).
 */
export function packingParams(
  min: number,
  max: number,
  bits: PackBits,
  attrType: PackAttrType = "float64",
): PackingParams {
  const dtype = packedDtype(bits);
  if (!Number.isFinite(min) || !Number.isFinite(max) || !Number.isFinite(max - min)) {
    throw new ConfigError(`packing range [${min}, ${max}] is not finite`, {
      hint: "give a manual packing range for this variable",
    });
  }
  if (!(min < max)) {
    throw new ConfigError(`packing range [${min}, ${max}] is empty: min must be below max`, {
      hint: "give a manual packing range with min < max",
    });
  }
  const h = packedMax(bits);
  let scaleFactor = (max - min) / (2 * h);
  if (!(scaleFactor > 0)) {
    throw new ConfigError(`packing range [${min}, ${max}] is too narrow to pack`, {
      hint: "give a wider manual packing range",
    });
  }
  let addOffset = min + h * scaleFactor;
  if (attrType === "float32") {
    // Rounding the offset moves the centre; a slightly larger scale keeps both ends covered.
    addOffset = Math.fround(addOffset);
    scaleFactor = Math.fround(Math.max(addOffset - min, max - addOffset) / h);
    while (
      Number.isFinite(addOffset) &&
      Number.isFinite(scaleFactor) &&
      (addOffset - h * scaleFactor > min || addOffset + h * scaleFactor < max)
    ) {
      f32[0] = scaleFactor;
      f32Bits[0]++;
      scaleFactor = f32[0];
    }
    if (!Number.isFinite(addOffset) || !Number.isFinite(scaleFactor)) {
      throw new ConfigError(
        `packing range [${min}, ${max}] does not fit float32 scale_factor/add_offset`,
        { hint: "store them as float64, or give a narrower manual range" },
      );
    }
  }
  return { bits, dtype, scaleFactor, addOffset, fillValue: PACKED_FILL[bits], min, max };
}

/** Numeric values of an attribute: number, bigint, arrays of them, or typed arrays. */
function attrNumbers(value: unknown): number[] | undefined {
  if (typeof value === "number") return [value];
  if (typeof value === "bigint") return [Number(value)];
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const list = Array.from(value as ArrayLike<unknown>);
    if (list.every((v) => typeof v === "number" || typeof v === "bigint")) {
      return list.map((v) => Number(v));
    }
  }
  return undefined;
}

function single(attrs: Attrs, key: string): number | undefined {
  const values = attrNumbers(attrs[key]);
  return values?.length === 1 && Number.isFinite(values[0]) ? values[0] : undefined;
}

/**
 * The packing range a variable declares: valid_min and valid_max (both needed), else valid_range.
 * Undefined when absent, incomplete, non-numeric or not finite (the caller falls back to the
 * data). A range with min == max is returned as is: widen it before packingParams.
 * Accepts the model's AttrValue shapes and typed arrays (Float32Array…) alike.
 */
export function rangeFromAttributes(
  attrs: Attrs,
  variable?: string,
): { min: number; max: number } | undefined {
  let range: { min: number; max: number; from: string } | undefined;
  const vmin = single(attrs, "valid_min");
  const vmax = single(attrs, "valid_max");
  if (vmin !== undefined && vmax !== undefined) {
    range = { min: vmin, max: vmax, from: "valid_min/valid_max" };
  } else {
    const values = attrNumbers(attrs.valid_range);
    if (values?.length === 2 && values.every(Number.isFinite)) {
      range = { min: values[0], max: values[1], from: "valid_range" };
    }
  }
  if (range === undefined) return undefined;
  if (range.min > range.max) {
    const of = variable === undefined ? "" : ` of '${variable}'`;
    throw new ConfigError(
      `${range.from}${of} is [${range.min}, ${range.max}]: min is above max, so it cannot be a packing range`,
      { hint: "give a manual packing range for this variable" },
    );
  }
  return { min: range.min, max: range.max };
}

/**
 * A range computed from data, widened by factor·(max - min) on each side so later files a little
 * outside it still fit. A single-valued range is widened by factor·|min|, or by 1 when that is 0
 * (or too small to move min; then by |min|), so the scale is never 0.
 */
export function widenRange(min: number, max: number, factor: number): { min: number; max: number } {
  if (!Number.isFinite(factor) || factor < 0) {
    throw new ConfigError(`auto buffer factor must be a number >= 0, got ${factor}`);
  }
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new ConfigError(`cannot widen the range [${min}, ${max}]: it must be finite, min <= max`);
  }
  if (max > min) {
    const pad = factor * (max - min);
    return { min: min - pad, max: max + pad };
  }
  let pad = factor * Math.abs(min);
  if (!(min - pad < min)) pad = 1;
  if (!(min - pad < min)) pad = Math.abs(min);
  return { min: min - pad, max: max + pad };
}

export interface MissingOptions {
  /**
   * Raw values that mean "no data" (the source's `_FillValue`/`missing_value`): treated as NaN.
   * Variable.read returns unmasked values, so pass them unless the data were masked already.
   * Compared in the data's precision (rounded to float32 for a Float32Array).
   */
  missing?: readonly number[];
}

/**
 * A test for the non-NaN missing values, or undefined when there are none (the fast path). For
 * float32 data they are compared as float32, as netCDF does: a 1e20 attribute means the f32 1e20.
 */
function missingTest(
  missing: readonly number[] | undefined,
  src: Float32Array | Float64Array,
): ((v: number) => boolean) | undefined {
  const list = (missing ?? [])
    .filter((m) => !Number.isNaN(m))
    .map((m) => (src instanceof Float32Array ? Math.fround(m) : m));
  if (list.length === 0) return undefined;
  if (list.length === 1) {
    const m = list[0];
    return (v) => v === m;
  }
  return (v) => list.includes(v);
}

/**
 * Min and max of the finite values, ignoring NaN and missing values; undefined when there are
 * none. ±Infinity is skipped too: it cannot be packed, and packValues counts it as out of range.
 */
export function dataRange(
  src: Float32Array | Float64Array,
  options: MissingOptions = {},
): { min: number; max: number } | undefined {
  const isMissing = missingTest(options.missing, src);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (!Number.isFinite(v) || isMissing?.(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : undefined;
}

/** Round half to even (numpy.around): ties go to the even integer, whatever the sign. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Pack floats. NaN (and `missing` values) → fillValue; values below min or above max (±Infinity
 * included) are clipped to the range and counted, for the caller's warn/error/ignore policy.
 */
export function packValues(
  src: Float32Array | Float64Array,
  p: PackingParams,
  out?: PackedArray,
  options: MissingOptions = {},
): { packed: PackedArray; belowMin: number; aboveMax: number } {
  const packed = out ?? new PACKED_ARRAY[p.bits](src.length);
  if (!(packed instanceof PACKED_ARRAY[p.bits]) || packed.length !== src.length) {
    throw new RangeError(
      `packValues: output must be a ${p.dtype} array of length ${src.length}, got ${packed.constructor.name}(${packed.length})`,
    );
  }
  const isMissing = missingTest(options.missing, src);
  const { min, max, scaleFactor: scale, addOffset: offset, fillValue } = p;
  // Clipped values take the packed value of the end they are clipped to.
  const h = packedMax(p.bits);
  const atMin = Math.max(-h, roundHalfEven((min - offset) / scale));
  const atMax = Math.min(h, roundHalfEven((max - offset) / scale));
  let belowMin = 0;
  let aboveMax = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (Number.isNaN(v) || isMissing?.(v)) {
      packed[i] = fillValue;
    } else if (v < min) {
      belowMin++;
      packed[i] = atMin;
    } else if (v > max) {
      aboveMax++;
      packed[i] = atMax;
    } else {
      // roundHalfEven inlined: this loop runs over every value of the archive.
      const q = (v - offset) / scale;
      let r = Math.round(q);
      // `r & 1` is the parity of any safe integer (ToInt32 wraps modulo 2^32).
      if (r - q === 0.5 && (r & 1) !== 0) r--;
      // A range far narrower than the float64 resolution of its values (e.g. [1e8, 1e8 + 1e-3]
      // in 32 bits) can put q a little beyond ±H: clamp, so it never reaches the fill value.
      if (r > h) r = h;
      else if (r < -h) r = -h;
      packed[i] = r;
    }
  }
  return { packed, belowMin, aboveMax };
}

/** Unpack: fillValue → NaN, else packed·scale + offset (in float64, stored into `out`). */
export function unpackValues<T extends Float32Array | Float64Array = Float64Array>(
  packed: PackedArray,
  p: PackingParams,
  out?: T,
): T {
  const values = (out ?? new Float64Array(packed.length)) as T;
  if (values.length !== packed.length) {
    throw new RangeError(
      `unpackValues: output has length ${values.length}, the packed data ${packed.length}`,
    );
  }
  const { scaleFactor: scale, addOffset: offset, fillValue } = p;
  for (let i = 0; i < packed.length; i++) {
    const q = packed[i];
    values[i] = q === fillValue ? Number.NaN : q * scale + offset;
  }
  return values;
}
