/**
 * HDF5 attributes → AttrValue, as netCDF-C/netCDF4-python present them: the netCDF-4 bookkeeping
 * attributes are hidden, a scalar fixed-length string is a char attribute (text, NULs dropped; a
 * char _FillValue keeps its raw bytes as latin1), string arrays and vlen strings are NC_STRING
 * (one value → string), numeric attributes of length 1 are scalars.
 */
import type { Attrs, AttrValue, DType } from "../../dataset/types.js";
import { allocate, type H5Module, type Metadata, vlenStrings } from "./runtime.js";
import { classify, H5T } from "./types.js";

/**
 * netCDF-C's reserved attributes (NC_findreserved), never shown to users. Matched exactly, case
 * included, as netCDF-C does: a user's `_NCPROPERTIES` is an ordinary attribute.
 */
const HIDDEN = new Set([
  "CLASS",
  "DIMENSION_LIST",
  "NAME",
  "REFERENCE_LIST",
  "_ARRAY_DIMENSIONS",
  "_Codecs",
  "_Format",
  "_IsNetcdf4",
  "_NCProperties",
  "_Netcdf4Coordinates",
  "_Netcdf4Dimid",
  "_SuperblockVersion",
  "_nc3_strict",
  "_nczarr_attr",
  "_nczarr_group",
  "_nczarr_array",
  "_nczarr_superblock",
]);

export function isHiddenAttr(name: string): boolean {
  return HIDDEN.has(name);
}

const utf8 = new TextDecoder("utf-8");

/** Raw little-endian attribute bytes, or strings for vlen-string attributes. */
function readRaw(
  module: H5Module,
  fileId: bigint,
  objPath: string,
  name: string,
  meta: Metadata,
): Uint8Array | string[] {
  const count = meta.total_size;
  const nbytes = meta.size * count;
  const ptr = allocate(module, nbytes);
  try {
    module.get_attribute_data(fileId, objPath, name, BigInt(ptr));
    if (meta.type === H5T.STRING && meta.vlen) {
      try {
        return vlenStrings(module, ptr, count);
      } finally {
        module.reclaim_vlen_memory(fileId, objPath, name, BigInt(ptr));
      }
    }
    return module.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    module._free(ptr);
  }
}

function numbers(bytes: Uint8Array, dtype: string): number[] | bigint[] {
  const buffer = bytes.buffer;
  switch (dtype) {
    case "int8":
      return Array.from(new Int8Array(buffer));
    case "uint8":
      return Array.from(new Uint8Array(buffer));
    case "int16":
      return Array.from(new Int16Array(buffer));
    case "uint16":
      return Array.from(new Uint16Array(buffer));
    case "int32":
      return Array.from(new Int32Array(buffer));
    case "uint32":
      return Array.from(new Uint32Array(buffer));
    case "int64":
      return Array.from(new BigInt64Array(buffer));
    case "uint64":
      return Array.from(new BigUint64Array(buffer));
    case "float32":
      return Array.from(new Float32Array(buffer));
    default:
      return Array.from(new Float64Array(buffer));
  }
}

/** Fixed-length strings: each element up to its first NUL, like netCDF-C's strncpy. */
function fixedStrings(bytes: Uint8Array, size: number): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    const element = bytes.subarray(offset, offset + size);
    const nul = element.indexOf(0);
    out.push(utf8.decode(nul >= 0 ? element.subarray(0, nul) : element));
  }
  return out;
}

function strings(values: string[]): AttrValue {
  return values.length === 1 ? values[0] : values;
}

/**
 * One attribute's value, or undefined when netCDF has no representation for its type (compound,
 * reference, vlen, …) and the caller should drop it.
 */
export function readAttr(
  module: H5Module,
  fileId: bigint,
  objPath: string,
  name: string,
): AttrValue | undefined {
  const meta = module.get_attribute_metadata(fileId, objPath, name);
  const kind = classify(meta);
  if (kind.kind !== "data") return undefined;
  // A NULL dataspace has no values at all: netCDF reads it as a zero-length attribute.
  if (meta.shape === null) return kind.dtype === "char" || kind.dtype === "string" ? "" : [];
  const raw = readRaw(module, fileId, objPath, name, meta);
  if (Array.isArray(raw)) return strings(raw);
  if (kind.encoding === "char" || kind.encoding === "fixed-string") {
    if (meta.shape.length === 0) {
      // netCDF-C writes char attributes as one scalar string of `size` bytes.
      if (name === "_FillValue") return Buffer.from(raw).toString("latin1");
      return utf8.decode(raw).replaceAll("\0", "");
    }
    return strings(fixedStrings(raw, meta.size));
  }
  const values = numbers(raw, kind.dtype);
  return values.length === 1 ? values[0] : values;
}

/** The element type an attribute is stored with, for the ones whose JSON form depends on it. */
export function attrDtype(module: H5Module, fileId: bigint, objPath: string, name: string) {
  const kind = classify(module.get_attribute_metadata(fileId, objPath, name));
  return kind.kind === "data" ? kind.dtype : undefined;
}

export interface AttrsResult {
  attrs: Attrs;
  attrTypes: Record<string, DType>;
  /** Attributes left out because their type has no netCDF/Zarr representation. */
  dropped: string[];
}

export function readAttrs(
  module: H5Module,
  fileId: bigint,
  objPath: string,
  names: string[],
): AttrsResult {
  const attrs: Attrs = {};
  const attrTypes: Record<string, DType> = {};
  const dropped: string[] = [];
  for (const name of names) {
    if (isHiddenAttr(name)) continue;
    const value = readAttr(module, fileId, objPath, name);
    if (value === undefined) dropped.push(name);
    else {
      attrs[name] = value;
      const dtype = attrDtype(module, fileId, objPath, name);
      if (dtype) attrTypes[name] = dtype;
    }
  }
  return { attrs, attrTypes, dropped };
}
