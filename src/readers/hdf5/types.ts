/**
 * HDF5 datatypes → our DType, following netCDF-C's rules (libhdf5/hdf5open.c): a 1-byte fixed
 * string is NC_CHAR, any other string is NC_STRING, integers and floats map by size and sign, an
 * enum reads as its base integer. Types netCDF-C itself skips (references, 16-bit floats, bitfields,
 * …) are "ignored"; netCDF user types we cannot represent (compound, vlen, opaque) are
 * "unsupported" — netCDF4-python lists them, we do not.
 */
import type { DType } from "../../dataset/types.js";
import type { Metadata } from "./runtime.js";

/** HDF5 H5T_class_t values as h5wasm reports them. */
export const H5T = {
  INTEGER: 0,
  FLOAT: 1,
  TIME: 2,
  STRING: 3,
  BITFIELD: 4,
  OPAQUE: 5,
  COMPOUND: 6,
  REFERENCE: 7,
  ENUM: 8,
  VLEN: 9,
  ARRAY: 10,
} as const;

/** How element bytes arrive from HDF5 (little-endian memory type) and become a DataArray. */
export type Encoding = "numeric" | "char" | "fixed-string" | "vlen-string";

export type Classified =
  | {
      kind: "data";
      dtype: DType;
      encoding: Encoding;
      /** Bytes per element in HDF5's read buffer (4 for vlen-string pointers on wasm32). */
      elementSize: number;
      /** Enum member names → values, when the HDF5 type is an enum. */
      enumMembers?: Record<string, number>;
    }
  | { kind: "unsupported"; reason: string }
  | { kind: "ignored"; reason: string };

const INT_DTYPES: Record<number, [DType, DType]> = {
  1: ["int8", "uint8"],
  2: ["int16", "uint16"],
  4: ["int32", "uint32"],
  8: ["int64", "uint64"],
};

function integer(size: number, signed: boolean): DType | undefined {
  const pair = INT_DTYPES[size];
  return pair ? pair[signed ? 0 : 1] : undefined;
}

export function classify(meta: Metadata): Classified {
  switch (meta.type) {
    case H5T.INTEGER: {
      const dtype = integer(meta.size, meta.signed);
      if (dtype) return { kind: "data", dtype, encoding: "numeric", elementSize: meta.size };
      return { kind: "ignored", reason: `${meta.size * 8}-bit integers are not a netCDF type` };
    }
    case H5T.FLOAT:
      if (meta.size === 4 || meta.size === 8) {
        const dtype = meta.size === 4 ? "float32" : "float64";
        return { kind: "data", dtype, encoding: "numeric", elementSize: meta.size };
      }
      return { kind: "ignored", reason: `${meta.size * 8}-bit floats are not a netCDF type` };
    case H5T.STRING:
      if (meta.vlen)
        return { kind: "data", dtype: "string", encoding: "vlen-string", elementSize: 4 };
      if (meta.size === 1) return { kind: "data", dtype: "char", encoding: "char", elementSize: 1 };
      return {
        kind: "data",
        dtype: "string",
        encoding: "fixed-string",
        elementSize: meta.size,
      };
    case H5T.ENUM: {
      const dtype = integer(meta.size, meta.signed);
      if (!dtype || meta.enum_type?.type !== H5T.INTEGER) {
        return {
          kind: "unsupported",
          reason: "enum types with a non-integer base are not supported",
        };
      }
      return {
        kind: "data",
        dtype,
        encoding: "numeric",
        elementSize: meta.size,
        enumMembers: { ...meta.enum_type.members },
      };
    }
    case H5T.COMPOUND:
      return { kind: "unsupported", reason: "compound (struct) data types are not supported" };
    case H5T.VLEN:
      return { kind: "unsupported", reason: "variable-length (vlen) arrays are not supported" };
    case H5T.OPAQUE:
      return { kind: "unsupported", reason: "opaque data types are not supported" };
    case H5T.REFERENCE:
      return { kind: "ignored", reason: "HDF5 references are not a netCDF type" };
    case H5T.ARRAY:
      return { kind: "ignored", reason: "HDF5 array types are not a netCDF type" };
    default:
      return { kind: "ignored", reason: `HDF5 type class ${meta.type} is not a netCDF type` };
  }
}
