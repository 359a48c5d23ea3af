/** NetCDF-3 external types (nc_type codes as stored in the header) and how they map to ours. */
import type { DType } from "../../dataset/types.js";

export interface NcType {
  code: number;
  /** The netCDF name, for error messages. */
  name: string;
  dtype: Exclude<DType, "string">;
  /** Bytes per element on disk. */
  size: number;
  /** Only CDF-5 (64-bit data) files may use it. */
  cdf5Only: boolean;
}

const TYPES: NcType[] = [
  { code: 1, name: "NC_BYTE", dtype: "int8", size: 1, cdf5Only: false },
  { code: 2, name: "NC_CHAR", dtype: "char", size: 1, cdf5Only: false },
  { code: 3, name: "NC_SHORT", dtype: "int16", size: 2, cdf5Only: false },
  { code: 4, name: "NC_INT", dtype: "int32", size: 4, cdf5Only: false },
  { code: 5, name: "NC_FLOAT", dtype: "float32", size: 4, cdf5Only: false },
  { code: 6, name: "NC_DOUBLE", dtype: "float64", size: 8, cdf5Only: false },
  { code: 7, name: "NC_UBYTE", dtype: "uint8", size: 1, cdf5Only: true },
  { code: 8, name: "NC_USHORT", dtype: "uint16", size: 2, cdf5Only: true },
  { code: 9, name: "NC_UINT", dtype: "uint32", size: 4, cdf5Only: true },
  { code: 10, name: "NC_INT64", dtype: "int64", size: 8, cdf5Only: true },
  { code: 11, name: "NC_UINT64", dtype: "uint64", size: 8, cdf5Only: true },
];

const BY_CODE = new Map(TYPES.map((t) => [t.code, t]));

/** The type for `code`, or undefined when the code is not valid in a file of this version. */
export function ncType(code: number, version: 1 | 2 | 5): NcType | undefined {
  const t = BY_CODE.get(code);
  if (t === undefined || (t.cdf5Only && version !== 5)) return undefined;
  return t;
}
