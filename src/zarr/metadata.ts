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
 *              v3: "int16", "float32", ..., string -> {"name": "fixed_length_utf32"} of
 *              `stringLength` code points with the "bytes" codec (what xarray writes for the `<Un`
 *              strings it reads NetCDF strings as), or, without a length, "string" with the
 *              "vlen-utf8" array-to-bytes codec, as zarr-python 3 writes. char -> the char array
 *              (..., n) is stored as n-byte strings over (...): data type
 *              {"name": "null_terminated_bytes", "configuration": {"length_bytes": n}}, the last
 *              dimension folded away (see v3CharFold), which is what xarray's own to_zarr writes
 *              for the `|Sn` strings it decodes NetCDF char arrays into. The bytes are the same
 *              in both views, so chunks encode identically; only shape, chunk shape, names and
 *              keys drop the last dimension, whose chunk is always its whole length.
 *   dims       v2: `_ARRAY_DIMENSIONS` in .zattrs; v3: `dimension_names`.
 *   fill_value v2: the variable's `_FillValue`; else NaN for floats (never-written cells read as
 *              missing, and NaN masks no real value); else null for integers -- xarray masks
 *              values equal to a v2 fill_value, so inventing one would hide real data (templates
 *              choose netCDF's default fill for their time-dependent integers, see
 *              plan/template-plan.ts). `_FillValue` is not repeated in
 *              .zattrs (xarray takes it from fill_value). NaN/Inf as "NaN"/"Infinity"/"-Infinity",
 *              char as base64 of its byte.
 *              v3: required. `_FillValue` if present, else NaN for floats (unwritten chunks then
 *              read as missing rather than as 0), netCDF's default fill for integers (what an
 *              unwritten cell of a NetCDF file holds; xarray v3 does not mask with fill_value, so
 *              the decoded dtype stays the source's), "" for strings and char. The `_FillValue`
 *              attribute stays in the attributes in xarray's v3 encoding (FillValueCoder):
 *              floats as base64 of the little-endian float64, integers as integers, strings as
 *              strings, bytes as base64.
 *   attrs      encodeAttrs (json.ts): bigint exact, NaN/Inf as the bare tokens NaN/Infinity that
 *              Python's json (and so zarr-python 2 and 3) writes and reads, typed arrays as arrays.
 *
 * In the in-memory ArrayMeta, fill values are typed per dtype: number for floats and integers up
 * to 32 bits, bigint for int64/uint64, the byte value (number) for char, string for string, null
 * for "none" (v2 only). `attrs._FillValue` keeps the model's own form (char: a 1-char string).
 */
import type { Attrs, DType } from "../dataset/types.js";
import { INTEGER_RANGE, NETCDF_DEFAULT_FILL } from "../dataset/types.js";
import { ConfigError, InputError } from "../errors.js";
import { v3CharFold } from "./char-fold.js";
import type { CompressionSpec } from "./compression.js";
import { encodeAttrs, type Json, type JsonObject } from "./json.js";
import { chunkKey, type ZarrFormat } from "./keys.js";
import { pipelineFor, v2Codecs, v3Codecs } from "./pipeline/pipeline.js";

export { v3CharFold } from "./char-fold.js";
export type { ZarrFormat } from "./keys.js";
export { chunkTypesize } from "./pipeline/codec.js";
export type FillValue = number | bigint | string | null;

export interface ArrayMeta {
  zarrFormat: ZarrFormat;
  /** Path inside the store, e.g. "t2m" or "forecast/t2m"; never "" (arrays live in groups). */
  path: string;
  dtype: DType;
  shape: number[];
  /** The chunk shape: what one compressed chunk holds (inside a shard, when sharded). */
  chunks: number[];
  /**
   * Zarr v3 sharding: the chunk grid's cells are shards of this shape (a multiple of `chunks`),
   * each one store object holding its inner chunks (pipeline/sharding.ts). See storedChunk.
   */
  shards?: number[];
  /** Where each shard keeps its index: "end" (what zarrify and zarr-python write) when absent. */
  shardIndexLocation?: "start" | "end";
  dimensionNames: string[];
  /** The variable's attributes in the dataset model's form, `_FillValue` included. */
  attrs: Attrs;
  /** Zarr's fill_value, typed per dtype (see the header). */
  fillValue: FillValue;
  compression: CompressionSpec;
  /** Stored element type per attribute, so float attributes stay floats in JSON. */
  attrTypes?: Record<string, DType>;
  /**
   * char only: the last dimension is a string length, so Zarr v3 stores n-byte strings over the
   * other dimensions (see v3CharFold). Otherwise each character is a 1-byte string.
   */
  foldChars?: boolean;
  /**
   * string only, Zarr v3: elements are this many UTF-32 code points (`fixed_length_utf32`, as
   * xarray writes `<Un` strings); absent, strings are variable-length (`vlen-utf8`).
   */
  stringLength?: number;
}

export interface ArrayMetaInput extends Omit<ArrayMeta, "fillValue"> {
  /** Overrides the fill value derived from `attrs._FillValue`. */
  fillValue?: FillValue;
}

/**
 * The name a v3 char array's folded dimension gets when an archive is read back: Zarr keeps only
 * the outer dimensions' names, so this is xarray's own name for the character dimension it adds
 * when writing `|Sn` strings to NetCDF.
 */
export function charDimName(length: number): string {
  return `string${length}`;
}
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

/** v3's fill_value where the source has no `_FillValue` (see the header). */
function defaultFill(dtype: DType): FillValue {
  if (isFloat(dtype)) return Number.NaN;
  if (dtype === "string") return "";
  if (dtype === "char") return 0;
  const fill = NETCDF_DEFAULT_FILL[dtype];
  return dtype === "int64" || dtype === "uint64" ? BigInt(fill) : Number(fill);
}

/**
 * The cells one store key holds: the shard when the array is sharded, else the chunk. It is the
 * unit of every store read and write, of blind puts and of compare-and-swap merges; the chunk
 * grid (`chunkGrid`, `arrayChunkKey`'s index) is a grid of these.
 */
export function storedChunk(meta: Pick<ArrayMeta, "chunks" | "shards">): number[] {
  return meta.shards ?? meta.chunks;
}

/** The store key of a chunk, given its index in the model's (unfolded) chunk grid. */
export function arrayChunkKey(meta: ArrayMeta, index: readonly number[]): string {
  return chunkKey(meta.zarrFormat, meta.path, v3CharFold(meta) ? index.slice(0, -1) : index);
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
  if (input.shards !== undefined) checkShards(input);
  if (v3CharFold(input) && chunks[chunks.length - 1] < shape[shape.length - 1]) {
    throw new ConfigError(
      `${where}: a char array's last dimension (the string length, ${shape[shape.length - 1]}) must be one chunk in Zarr v3, not ${chunks[chunks.length - 1]}.`,
    );
  }
  let fillValue: FillValue;
  const rawFill = input.fillValue !== undefined ? input.fillValue : input.attrs._FillValue;
  if (unmatchableFill(dtype, rawFill)) fillValue = null;
  else fillValue = normalizeFillValue(path, dtype, rawFill);
  if (fillValue === null && input.zarrFormat === 3) fillValue = defaultFill(dtype);
  // v2 too: a float cell never written must read as NaN, not 0 (zarr fills absent chunks with
  // fill_value). NaN is the one fill that masks no real value, so xarray's view is unchanged.
  else if (fillValue === null && isFloat(dtype)) fillValue = Number.NaN;
  return {
    zarrFormat: input.zarrFormat,
    path,
    dtype,
    shape: [...shape],
    chunks: [...chunks],
    ...(input.shards !== undefined ? { shards: [...input.shards] } : {}),
    ...(input.shards !== undefined && input.shardIndexLocation === "start"
      ? { shardIndexLocation: "start" as const }
      : {}),
    dimensionNames: [...dimensionNames],
    attrs: { ...input.attrs },
    fillValue,
    compression: input.compression,
    attrTypes: input.attrTypes ? { ...input.attrTypes } : undefined,
    ...(input.dtype === "char" && input.zarrFormat === 3 && input.foldChars
      ? { foldChars: true }
      : {}),
    ...(input.dtype === "string" && input.zarrFormat === 3 && input.stringLength !== undefined
      ? { stringLength: Math.max(1, input.stringLength) }
      : {}),
  };
}

function checkShards(input: ArrayMetaInput): void {
  const { path, chunks, shards } = input;
  const where = `Array ${path}`;
  if (!shards) return;
  if (input.zarrFormat !== 3) {
    throw new ConfigError(`${where}: shards need Zarr v3 (Zarr v2 has no sharding).`, {
      hint: "set zarr_format 3, or leave shards out",
    });
  }
  if (shards.length !== chunks.length) {
    throw new ConfigError(`${where}: shards [${shards}] and chunks [${chunks}] differ in length.`);
  }
  const bad = shards.findIndex((n, d) => !Number.isSafeInteger(n) || n < 1 || n % chunks[d] !== 0);
  if (bad >= 0) {
    throw new ConfigError(
      `${where}: shard length ${shards[bad]} along ${input.dimensionNames[bad]} is not a multiple of its chunk length ${chunks[bad]}.`,
      {
        hint: "choose shards that hold whole chunks (a multiple of the chunk length per dimension)",
      },
    );
  }
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
  if (meta.dtype === "char") {
    // Both formats spell byte fills as base64; v3's null_terminated_bytes drops trailing NULs.
    return Buffer.from(meta.zarrFormat === 3 && v === 0 ? [] : [Number(v)]).toString("base64");
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

function v3DataType(meta: ArrayMeta): Json {
  if (meta.dtype === "string" && meta.stringLength !== undefined) {
    return { name: "fixed_length_utf32", configuration: { length_bytes: 4 * meta.stringLength } };
  }
  if (meta.dtype !== "char") return meta.dtype;
  const length = v3CharFold(meta) ? meta.shape[meta.shape.length - 1] : 1;
  return { name: "null_terminated_bytes", configuration: { length_bytes: length } };
}

export function arrayDocuments(meta: ArrayMeta): Record<string, JsonObject> {
  const { [DIMENSION_KEY]: _dims, ...userAttrs } = meta.attrs;
  // The codecs come from the array's pipeline: v3 lists it, v2 splits it into compressor+filters.
  const pipeline = pipelineFor(meta);
  if (meta.zarrFormat === 2) {
    const { compressor, filters } = v2Codecs(pipeline);
    // The fill value lives in .zarray, where xarray reads it, unless it can never match.
    const { _FillValue: fill, ...rest } = userAttrs;
    if (unmatchableFill(meta.dtype, fill) && fill !== undefined) rest._FillValue = fill;
    return {
      ".zarray": {
        zarr_format: 2,
        shape: meta.shape,
        chunks: meta.chunks,
        dtype: V2_DTYPE[meta.dtype],
        compressor,
        fill_value: fillValueJson(meta),
        filters,
        order: "C",
        dimension_separator: ".",
      },
      ".zattrs": {
        ...encodeAttrs(rest, { attrTypes: meta.attrTypes, bareNonFinite: true }),
        [DIMENSION_KEY]: meta.dimensionNames,
      },
    };
  }
  const attributes = encodeAttrs(userAttrs, { attrTypes: meta.attrTypes, bareNonFinite: true });
  if ("_FillValue" in userAttrs) {
    // xarray itself drops a fill that can never match (NaN on integers) when it reads the
    // source, and its v3 FillValueCoder cannot decode one: leaving it out is how xarray sees it.
    // Nor can it decode one on fixed-length bytes or UTF-32 (FillValueCoder: "Unsupported dtype
    // |S8", which makes the whole archive unopenable, as xarray's own v3 round trip of such files
    // shows): those keep their data and lose the fill, a difference docs/formats.md lists.
    const fixedText = meta.dtype === "char" || meta.stringLength !== undefined;
    if (unmatchableFill(meta.dtype, userAttrs._FillValue) || fixedText) {
      delete attributes._FillValue;
    } else {
      const fill = normalizeFillValue(meta.path, meta.dtype, userAttrs._FillValue);
      attributes._FillValue = v3FillAttr(meta.dtype, fill);
    }
  }
  const fold = v3CharFold(meta);
  const outer = <T>(xs: T[]): T[] => (fold ? xs.slice(0, -1) : xs);
  return {
    "zarr.json": {
      zarr_format: 3,
      node_type: "array",
      shape: outer(meta.shape),
      data_type: v3DataType(meta),
      chunk_grid: { name: "regular", configuration: { chunk_shape: outer(storedChunk(meta)) } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      fill_value: fillValueJson(meta),
      codecs: v3Codecs(pipeline),
      attributes,
      dimension_names: outer(meta.dimensionNames),
      storage_transformers: [],
    },
  };
}

export function groupDocuments(
  format: ZarrFormat,
  attrs: Attrs,
  attrTypes?: Record<string, DType>,
): Record<string, JsonObject> {
  const encoded = encodeAttrs(attrs, { attrTypes, bareNonFinite: true });
  if (format === 2) return { ".zgroup": { zarr_format: 2 }, ".zattrs": encoded };
  return { "zarr.json": { zarr_format: 3, node_type: "group", attributes: encoded } };
}
