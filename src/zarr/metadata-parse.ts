/**
 * Reading zarr v2/v3 metadata documents back into ArrayMeta: the inverse of metadata.ts's
 * arrayDocuments, used to open an existing archive (write-region, append, validate).
 *
 *   parseArrayDocuments(format, path, docs): ArrayMeta
 *       docs: { ".zarray", ".zattrs"? } (v2) or { "zarr.json" } (v3), already parsed JSON.
 *       v2: `_FillValue` is restored into attrs from fill_value (as xarray does), and
 *       `_ARRAY_DIMENSIONS` becomes dimensionNames. v3: the base64 float `_FillValue` attribute is
 *       decoded back to a number; `null_terminated_bytes` of length n becomes a char array with
 *       a last dimension of n (named charDimName(n): Zarr does not keep its name).
 *   parseGroupAttrs(format, docs): Attrs
 *
 * Anything this code could not write back faithfully (big-endian dtypes, F order, other chunk
 * key encodings, nested sharding, filters, unknown codecs) is an InputError naming the array. The codecs
 * are read into a codec pipeline (pipeline/pipeline.ts), which knows each codec's JSON forms.
 */
import type { Attrs, AttrValue, DType } from "../dataset/types.js";
import { InputError } from "../errors.js";
import { decodeAttrs, type Json, type JsonObject, JsonText, stringifyJson } from "./json.js";
import type { ZarrFormat } from "./keys.js";
import {
  type ArrayMeta,
  charDimName,
  DIMENSION_KEY,
  type FillValue,
  isFloat,
  normalizeFillValue,
  V2_DTYPE,
} from "./metadata.js";
import {
  CodecMetadataError,
  type CodecPipeline,
  chunkSpecOf,
  compressionOf,
  pipelineFromV2,
  pipelineFromV3,
  shardingOf,
} from "./pipeline/pipeline.js";

function invalid(path: string, why: string): never {
  throw new InputError(`Invalid Zarr metadata for ${path || "/"}: ${why}.`);
}

/**
 * The compression an array's codecs amount to. The codecs are checked one by one against the
 * registry (pipeline/registry.ts); what zarrify cannot read or write back is an InputError.
 */
function compressionFrom(path: string, build: () => CodecPipeline) {
  try {
    return compressionOf(build());
  } catch (err) {
    if (!(err instanceof CodecMetadataError)) throw err;
    throw new InputError(`Invalid Zarr metadata for ${path || "/"}: ${err.message}.`, {
      hint: err.hint,
    });
  }
}

function asObject(v: Json | undefined, path: string, what: string): JsonObject {
  if (
    v === null ||
    v === undefined ||
    typeof v !== "object" ||
    Array.isArray(v) ||
    v instanceof JsonText
  ) {
    return invalid(path, `${what} is not an object`);
  }
  return v;
}

function intList(v: Json | undefined, path: string, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isInteger(x))) {
    return invalid(path, `${what} is not a list of integers`);
  }
  return v as number[];
}

const FROM_V2: Record<string, DType> = Object.fromEntries(
  Object.entries(V2_DTYPE).map(([k, v]) => [v, k as DType]),
);
// Equivalent spellings other writers use for 1-byte types.
FROM_V2["<i1"] = "int8";
FROM_V2["<u1"] = "uint8";
FROM_V2["|S1"] = "char";

function parseFillJson(path: string, dtype: DType, v: Json | undefined, format: ZarrFormat) {
  if (v === null || v === undefined) return null;
  if (dtype === "char" && typeof v === "string") {
    const bytes = Buffer.from(v, "base64");
    return bytes.length > 0 ? bytes[0] : 0;
  }
  if (isFloat(dtype) && typeof v === "string" && /^0x[0-9a-f]+$/i.test(v)) {
    // v3 allows the raw IEEE bit pattern as hex.
    const hex = v.slice(2);
    const buf = Buffer.from(hex.padStart(dtype === "float32" ? 8 : 16, "0"), "hex");
    return dtype === "float32" ? buf.readFloatBE(0) : buf.readDoubleBE(0);
  }
  if (format === 3 && dtype === "char") return normalizeFillValue(path, "uint8", v);
  return normalizeFillValue(path, dtype, v);
}

/** Model form of a fill value, as it goes into attrs._FillValue. */
function fillAsAttr(dtype: DType, fill: FillValue): AttrValue {
  if (dtype === "char") return String.fromCharCode(Number(fill));
  return fill as AttrValue;
}

function decodeV3FillAttr(path: string, dtype: DType, v: AttrValue): AttrValue {
  // FillValueCoder writes byte fills as base64.
  if (dtype === "char" && typeof v === "string")
    return fillAsAttr(dtype, parseFillJson(path, dtype, v, 3));
  if (isFloat(dtype) && typeof v === "string" && !["NaN", "Infinity", "-Infinity"].includes(v)) {
    const bytes = Buffer.from(v, "base64");
    if (bytes.length === 8) return bytes.readDoubleLE(0);
    return invalid(path, `_FillValue ${JSON.stringify(v)} is not a base64 float64`);
  }
  const fill = normalizeFillValue(path, dtype === "char" ? "uint8" : dtype, v);
  return fillAsAttr(dtype, fill);
}

export function parseArrayDocuments(
  format: ZarrFormat,
  path: string,
  docs: Record<string, Json | undefined>,
): ArrayMeta {
  if (format === 2) {
    const z = asObject(docs[".zarray"], path, ".zarray");
    const attrsJson =
      docs[".zattrs"] === undefined ? {} : asObject(docs[".zattrs"], path, ".zattrs");
    if (z.zarr_format !== 2) invalid(path, `zarr_format ${String(z.zarr_format)} in .zarray`);
    const dtype = FROM_V2[String(z.dtype)];
    if (!dtype) invalid(path, `dtype ${JSON.stringify(z.dtype)} is not supported`);
    if (z.order !== undefined && z.order !== "C") invalid(path, "only C order is supported");
    if (z.dimension_separator !== undefined && z.dimension_separator !== ".") {
      invalid(path, `dimension_separator ${JSON.stringify(z.dimension_separator)}`);
    }
    const compression = compressionFrom(path, () =>
      pipelineFromV2(z.compressor, z.filters, chunkSpecOf({ dtype, fillValue: null })),
    );
    const shape = intList(z.shape, path, "shape");
    const attrs = decodeAttrs(attrsJson);
    const dims = attrs[DIMENSION_KEY];
    delete attrs[DIMENSION_KEY];
    const fillValue = parseFillJson(path, dtype, z.fill_value, 2);
    if (fillValue !== null) attrs._FillValue = fillAsAttr(dtype, fillValue);
    return {
      zarrFormat: 2,
      path,
      dtype,
      shape,
      chunks: intList(z.chunks, path, "chunks"),
      dimensionNames: Array.isArray(dims) ? dims.map(String) : shape.map((_, i) => `dim_${i}`),
      attrs,
      fillValue,
      compression,
    };
  }
  const z = asObject(docs["zarr.json"], path, "zarr.json");
  if (z.zarr_format !== 3 || z.node_type !== "array") invalid(path, "not a v3 array");
  const attrs = decodeAttrs(
    z.attributes === undefined ? {} : asObject(z.attributes, path, "attributes"),
  );
  // A char array's string length (fixed-length bytes), or a string array's (UTF-32).
  let charLength: number | undefined;
  let stringLength: number | undefined;
  let dtype: DType;
  const dt = z.data_type;
  if (typeof dt === "object" && dt !== null && !Array.isArray(dt) && !(dt instanceof JsonText)) {
    const length = (dt.configuration as JsonObject | undefined)?.length_bytes;
    const ok = typeof length === "number" && Number.isSafeInteger(length) && length >= 1;
    if (ok && dt.name === "null_terminated_bytes") {
      charLength = length as number;
      dtype = "char";
    } else if (ok && dt.name === "fixed_length_utf32" && (length as number) % 4 === 0) {
      stringLength = (length as number) / 4;
      dtype = "string";
    } else {
      return invalid(path, `data_type ${stringifyJson(dt, 0)} is not supported`);
    }
  } else {
    dtype = String(dt) as DType;
    if (!(dtype in V2_DTYPE) || dtype === "char")
      invalid(path, `data_type ${JSON.stringify(dt)} is not supported`);
  }
  const grid = asObject(z.chunk_grid, path, "chunk_grid");
  if (grid.name !== "regular") invalid(path, `chunk grid ${JSON.stringify(grid.name)}`);
  const chunks = [
    ...intList(asObject(grid.configuration, path, "chunk_grid").chunk_shape, path, "chunk_shape"),
  ];
  const cke =
    z.chunk_key_encoding === undefined
      ? { name: "default" }
      : asObject(z.chunk_key_encoding, path, "chunk_key_encoding");
  const sep = (cke.configuration as JsonObject | undefined)?.separator ?? "/";
  if (cke.name !== "default" || sep !== "/")
    invalid(path, "only the default chunk key encoding is supported");
  if (!Array.isArray(z.codecs) || z.codecs.length === 0) invalid(path, "codecs missing");
  const codecs = z.codecs.map((c) => asObject(c, path, "codec"));
  const fillValue = parseFillJson(path, dtype, z.fill_value, 3);
  let shards: number[] | undefined;
  let shardIndexLocation: "start" | "end" | undefined;
  const compression = compressionFrom(path, () => {
    const pipeline = pipelineFromV3(codecs, chunkSpecOf({ dtype, stringLength, fillValue }));
    const sharding = shardingOf(pipeline);
    if (sharding) {
      // The grid's cells are shards; the codec's chunk_shape is the chunk inside them.
      shards = chunks.splice(0, chunks.length, ...sharding.jsonInnerShape);
      shardIndexLocation = sharding.indexLocation;
      if (shards.length !== chunks.length || shards.some((n, d) => n % chunks[d] !== 0)) {
        throw new CodecMetadataError(
          `sharding_indexed chunk_shape [${chunks}] does not divide the shard shape [${shards}]`,
        );
      }
    }
    return pipeline;
  });
  if ("_FillValue" in attrs) attrs._FillValue = decodeV3FillAttr(path, dtype, attrs._FillValue);
  const shape = [...intList(z.shape, path, "shape")];
  const names = Array.isArray(z.dimension_names) ? z.dimension_names : shape.map(() => null);
  const dimensionNames = names.map((n, i) => (typeof n === "string" ? n : `dim_${i}`));
  // Unfold n-byte strings over (...) into the model's char array (..., n). 1-byte strings are
  // single characters: never folded (charStringNames leaves length 1 out).
  const foldChars = charLength !== undefined && charLength > 1;
  if (foldChars) {
    shape.push(charLength as number);
    chunks.push(charLength as number);
    shards?.push(charLength as number);
    dimensionNames.push(charDimName(charLength as number));
  }
  return {
    zarrFormat: 3,
    path,
    dtype,
    shape,
    chunks,
    ...(shards ? { shards } : {}),
    ...(shardIndexLocation === "start" ? { shardIndexLocation } : {}),
    dimensionNames,
    attrs,
    fillValue,
    compression,
    ...(foldChars ? { foldChars: true } : {}),
    ...(stringLength !== undefined ? { stringLength } : {}),
  };
}

export function parseGroupAttrs(format: ZarrFormat, docs: Record<string, Json | undefined>): Attrs {
  if (format === 2) {
    const a = docs[".zattrs"];
    return a === undefined ? {} : decodeAttrs(asObject(a, "", ".zattrs"));
  }
  const z = asObject(docs["zarr.json"], "", "zarr.json");
  return z.attributes === undefined ? {} : decodeAttrs(asObject(z.attributes, "", "attributes"));
}
