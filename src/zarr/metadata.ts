/**
 * Zarr v2 and v3 metadata for our DType set: building it from a variable's description, writing
 * the JSON documents, and parsing them back.
 *
 *   createArrayMeta(input: ArrayMetaInput): ArrayMeta      validates; resolves fill_value
 *   arrayDocuments(meta): Record<string, JsonObject>        { ".zarray", ".zattrs" } | { "zarr.json" }
 *   groupDocuments(format, attrs): Record<string, JsonObject>
 *   (parseArrayDocuments / parseGroupAttrs, the inverse, live in metadata-parse.ts)
 *   chunkTypesize(dtype): number                            blosc typesize for a dtype
 *
 * Conventions (each matters to xarray or zarrita; see the tests):
 *   dtype      v2: "<i2", "<f4", ..., char -> "|S1", string -> "|O" + filter {"id": "vlen-utf8"}.
 *              v3: "int16", "float32", ..., char -> "uint8" plus the attribute
 *              `_zarrify_dtype: "char"` (v3 has no 1-byte character type; the marker lets us, and
 *              anyone who cares, tell NC_CHAR data from real uint8), string -> "string" with the
 *              "vlen-utf8" array-to-bytes codec, compression after it, as zarr-python 3 writes.
 *   dims       v2: `_ARRAY_DIMENSIONS` in .zattrs; v3: `dimension_names`.
 *   fill_value v2: the variable's `_FillValue`, else null -- xarray masks values equal to a v2
 *              fill_value, so inventing one would hide real data. `_FillValue` is not repeated in
 *              .zattrs (xarray takes it from fill_value). NaN/Inf as "NaN"/"Infinity"/"-Infinity",
 *              char as base64 of its byte.
 *              v3: required. `_FillValue` if present, else NaN for floats (as xarray writes v3:
 *              unwritten chunks then read as missing rather than as 0), 0 for integers/char, ""
 *              for strings. The `_FillValue` attribute stays in the attributes in xarray's v3
 *              encoding (FillValueCoder): floats as base64 of the little-endian float64, integers
 *              as integers, strings as strings.
 *   attrs      encodeAttrs (json.ts): bigint exact, NaN/Inf as strings, typed arrays as arrays.
 *
 * In the in-memory ArrayMeta, fill values are typed per dtype: number for floats and integers up
 * to 32 bits, bigint for int64/uint64, the byte value (number) for char, string for string, null
 * for "none" (v2 only). `attrs._FillValue` keeps the model's own form (char: a 1-char string).
 */
import type { Attrs, DType } from "../dataset/types.js";
import { DTYPE_SIZE, INTEGER_RANGE } from "../dataset/types.js";
import { ConfigError, InputError } from "../errors.js";
import { v2Compressor, v3Codecs } from "./codecs/registry.js";
import type { CompressionSpec } from "./compression.js";
import { encodeAttrs, type Json, type JsonObject } from "./json.js";
import type { ZarrFormat } from "./keys.js";

export type { ZarrFormat } from "./keys.js";
export type FillValue = number | bigint | string | null;

export interface ArrayMeta {
  zarrFormat: ZarrFormat;
  /** Path inside the store, e.g. "t2m" or "forecast/t2m"; never "" (arrays live in groups). */
  path: string;
  dtype: DType;
  shape: number[];
  chunks: number[];
  dimensionNames: string[];
  /** The variable's attributes in the dataset model's form, `_FillValue` included. */
  attrs: Attrs;
  /** Zarr's fill_value, typed per dtype (see the header). */
  fillValue: FillValue;
  compression: CompressionSpec;
  /** Stored element type per attribute, so float attributes stay floats in JSON. */
  attrTypes?: Record<string, DType>;
}

export interface ArrayMetaInput extends Omit<ArrayMeta, "fillValue"> {
  /** Overrides the fill value derived from `attrs._FillValue`. */
  fillValue?: FillValue;
}

export const CHAR_MARKER_ATTR = "_zarrify_dtype";
export const DIMENSION_KEY = "_ARRAY_DIMENSIONS";

export const V2_DTYPE: Record<DType, string> = {
  int8: "|i1",
  uint8: "|u1",
  int16: "<i2",
  uint16: "<u2",
  int32: "<i4",
  uint32: "<u4",
  int64: "<i8",
  uint64: "<u8",
  float32: "<f4",
  float64: "<f8",
  char: "|S1",
  string: "|O",
};

// 64-bit types are checked against BIG_RANGE first; char fills are bytes.
const INT_RANGE: Partial<Record<DType, readonly [number, number]>> = {
  ...INTEGER_RANGE,
  char: [0, 255],
};
const BIG_RANGE: Partial<Record<DType, [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

export function chunkTypesize(dtype: DType): number {
  return dtype === "string" ? 1 : DTYPE_SIZE[dtype];
}

function badFill(path: string, dtype: DType, value: unknown, why: string): never {
  throw new InputError(
    `Variable ${path}: _FillValue ${String(value)} cannot be used for ${dtype} data (${why}).`,
  );
}

/** Converts a fill value in any reasonable form into the typed form ArrayMeta uses. */
export function normalizeFillValue(path: string, dtype: DType, raw: unknown): FillValue {
  if (raw === null || raw === undefined) return null;
  let value: unknown = raw;
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    const arr = Array.from(value as ArrayLike<unknown>);
    if (arr.length !== 1) badFill(path, dtype, raw, "it must be a single value");
    value = arr[0];
  }
  if (dtype === "string") return String(value);
  if (dtype === "char" && typeof value === "string") {
    if (value.length === 0) return 0;
    const code = value.charCodeAt(0);
    if (value.length > 1 || code > 255) badFill(path, dtype, raw, "it must be a single byte");
    return code;
  }
  if (isFloat(dtype)) {
    if (typeof value === "number") return value;
    if (typeof value === "bigint") return Number(value);
    if (value === "NaN") return Number.NaN;
    if (value === "Infinity") return Number.POSITIVE_INFINITY;
    if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
    return badFill(path, dtype, raw, "not a number");
  }
  const big = BIG_RANGE[dtype];
  if (big) {
    let b: bigint;
    if (typeof value === "bigint") b = value;
    else if (typeof value === "number" && Number.isInteger(value)) b = BigInt(value);
    else if (typeof value === "string" && /^-?\d+$/.test(value)) b = BigInt(value);
    else return badFill(path, dtype, raw, "not an integer");
    if (b < big[0] || b > big[1]) badFill(path, dtype, raw, "out of range");
    return b;
  }
  const range = INT_RANGE[dtype] as readonly [number, number];
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n))
    return badFill(path, dtype, raw, "not an integer");
  if (n < range[0] || n > range[1]) badFill(path, dtype, raw, "out of range");
  return n;
}

/**
 * A non-finite `_FillValue` on an integer variable (xarray-data_eraint_uvz.nc: `short z` with
 * `_FillValue = NaN`) can never match a value, so it masks nothing: the array gets no Zarr fill
 * value and the attribute is kept as is, which is how xarray sees the source.
 */
function unmatchableFill(dtype: DType, raw: unknown): boolean {
  const v = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  return !isFloat(dtype) && dtype !== "string" && typeof v === "number" && !Number.isFinite(v);
}

function defaultFill(dtype: DType): FillValue {
  if (isFloat(dtype)) return Number.NaN;
  if (dtype === "string") return "";
  if (dtype === "int64" || dtype === "uint64") return 0n;
  return 0;
}

function checkPath(path: string): void {
  const parts = path.split("/");
  if (path === "" || parts.some((p) => p === "" || p === "." || p === ".." || p.includes("\\"))) {
    throw new ConfigError(`Invalid Zarr array path ${JSON.stringify(path)}.`);
  }
}

export function createArrayMeta(input: ArrayMetaInput): ArrayMeta {
  const { path, shape, chunks, dimensionNames, dtype } = input;
  checkPath(path);
  const where = `Array ${path}`;
  if (!(dtype in V2_DTYPE)) throw new ConfigError(`${where}: unknown dtype ${dtype}.`);
  if (chunks.length !== shape.length || dimensionNames.length !== shape.length) {
    throw new ConfigError(
      `${where}: shape [${shape}], chunks [${chunks}] and dimensions [${dimensionNames}] must have the same length.`,
    );
  }
  if (!shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new ConfigError(`${where}: shape [${shape}] must be non-negative integers.`);
  }
  if (!chunks.every((c) => Number.isSafeInteger(c) && c >= 1)) {
    throw new ConfigError(`${where}: chunk sizes [${chunks}] must be positive integers.`);
  }
  let fillValue: FillValue;
  const rawFill = input.fillValue !== undefined ? input.fillValue : input.attrs._FillValue;
  if (unmatchableFill(dtype, rawFill)) fillValue = null;
  else fillValue = normalizeFillValue(path, dtype, rawFill);
  if (fillValue === null && input.zarrFormat === 3) fillValue = defaultFill(dtype);
  return {
    zarrFormat: input.zarrFormat,
    path,
    dtype,
    shape: [...shape],
    chunks: [...chunks],
    dimensionNames: [...dimensionNames],
    attrs: { ...input.attrs },
    fillValue,
    compression: input.compression,
    attrTypes: input.attrTypes ? { ...input.attrTypes } : undefined,
  };
}

function floatJson(v: number): Json {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  return v;
}

function fillValueJson(meta: ArrayMeta): Json {
  const v = meta.fillValue;
  if (v === null) return null;
  if (meta.dtype === "char" && meta.zarrFormat === 2) {
    return Buffer.from([Number(v)]).toString("base64");
  }
  if (typeof v === "number" && isFloat(meta.dtype)) return floatJson(v);
  return v;
}

/** xarray's FillValueCoder.encode for the v3 `_FillValue` attribute. */
function v3FillAttr(dtype: DType, value: FillValue): Json {
  if (value === null) return null;
  if (isFloat(dtype)) {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(Number(value), 0);
    return b.toString("base64");
  }
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  return value;
}

function v3DataType(dtype: DType): string {
  return dtype === "char" ? "uint8" : dtype;
}

export function arrayDocuments(meta: ArrayMeta): Record<string, JsonObject> {
  const { [DIMENSION_KEY]: _dims, [CHAR_MARKER_ATTR]: _marker, ...userAttrs } = meta.attrs;
  const typesize = chunkTypesize(meta.dtype);
  if (meta.zarrFormat === 2) {
    // The fill value lives in .zarray, where xarray reads it, unless it can never match.
    const { _FillValue: fill, ...rest } = userAttrs;
    if (unmatchableFill(meta.dtype, fill) && fill !== undefined) rest._FillValue = fill;
    return {
      ".zarray": {
        zarr_format: 2,
        shape: meta.shape,
        chunks: meta.chunks,
        dtype: V2_DTYPE[meta.dtype],
        compressor: v2Compressor(meta.compression, typesize),
        fill_value: fillValueJson(meta),
        filters: meta.dtype === "string" ? [{ id: "vlen-utf8" }] : null,
        order: "C",
        dimension_separator: ".",
      },
      ".zattrs": {
        ...encodeAttrs(rest, { attrTypes: meta.attrTypes, bareNonFinite: true }),
        [DIMENSION_KEY]: meta.dimensionNames,
      },
    };
  }
  const attributes = encodeAttrs(userAttrs, { attrTypes: meta.attrTypes });
  if ("_FillValue" in userAttrs && !unmatchableFill(meta.dtype, userAttrs._FillValue)) {
    const fill = normalizeFillValue(meta.path, meta.dtype, userAttrs._FillValue);
    attributes._FillValue = v3FillAttr(meta.dtype, fill);
  }
  if (meta.dtype === "char") attributes[CHAR_MARKER_ATTR] = "char";
  const serializer: JsonObject =
    meta.dtype === "string"
      ? { name: "vlen-utf8", configuration: {} }
      : typesize === 1
        ? { name: "bytes" }
        : { name: "bytes", configuration: { endian: "little" } };
  return {
    "zarr.json": {
      zarr_format: 3,
      node_type: "array",
      shape: meta.shape,
      data_type: v3DataType(meta.dtype),
      chunk_grid: { name: "regular", configuration: { chunk_shape: meta.chunks } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      fill_value: fillValueJson(meta),
      codecs: [serializer, ...v3Codecs(meta.compression, typesize)],
      attributes,
      dimension_names: meta.dimensionNames,
      storage_transformers: [],
    },
  };
}

export function groupDocuments(
  format: ZarrFormat,
  attrs: Attrs,
  attrTypes?: Record<string, DType>,
): Record<string, JsonObject> {
  const encoded = encodeAttrs(attrs, { attrTypes, bareNonFinite: format === 2 });
  if (format === 2) return { ".zgroup": { zarr_format: 2 }, ".zattrs": encoded };
  return { "zarr.json": { zarr_format: 3, node_type: "group", attributes: encoded } };
}
