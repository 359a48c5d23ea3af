/**
 * The in-memory model every reader produces and every writer consumes. Readers know file formats,
 * not Zarr; the Zarr side knows these types, not file formats.
 */

export type NumericDType =
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "float32"
  | "float64";

/** `char` is NetCDF's NC_CHAR (one byte per element); `string` is a variable-length UTF-8 string. */
export type DType = NumericDType | "char" | "string";

/** Element arrays, C order, native (little) endian. 64-bit integers are BigInt arrays. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** `char` data is a Uint8Array of bytes; `string` data is a string[]. */
export type DataArray = NumericArray | string[];

/**
 * Attribute values as a Python netCDF4/xarray user sees them: a length-1 numeric attribute is a
 * scalar, longer ones are arrays; char attributes are strings; NC_STRING attributes are a string
 * (one value) or string[] (several). 64-bit integer attributes are bigint.
 */
export type AttrValue = string | number | bigint | string[] | number[] | bigint[];
export type Attrs = Record<string, AttrValue>;

export interface Dimension {
  name: string;
  size: number;
  unlimited: boolean;
}

export interface Variable {
  name: string;
  dtype: DType;
  dims: string[];
  shape: number[];
  attrs: Attrs;
  /** Stored type of each numeric attribute: a float 100.0 must not become the integer 100. */
  attrTypes?: Record<string, DType>;
  /** The source's own chunk shape (HDF5 chunked storage); undefined for contiguous storage. */
  sourceChunks?: number[];
  /** Human-readable source filters for `analyze`, e.g. ["deflate(4)", "shuffle"]. */
  sourceFilters?: string[];
  /**
   * Read the hyperslab [start, start+count) in C order. Values are the raw stored values: no
   * scaling, no masking (CF decoding is the reader of the Zarr archive's job, as in the source).
   */
  read(start: number[], count: number[]): Promise<DataArray>;
}

export type SourceFormat =
  | "netcdf3-classic"
  | "netcdf3-64bit-offset"
  | "netcdf3-64bit-data"
  | "hdf5";

export interface Dataset {
  /** Where it came from, for error messages. */
  path: string;
  format: SourceFormat;
  /** Group path that was opened ("/" for the root). */
  group: string;
  dims: Dimension[];
  /** In file order. Includes coordinate variables. */
  variables: Variable[];
  attrs: Attrs;
  /** Stored type of each numeric global attribute. */
  attrTypes?: Record<string, DType>;
  /** Variables the file has but the reader cannot represent (compound, opaque…), with why. */
  unsupported?: { name: string; reason: string }[];
  /**
   * The groups directly below this one, each a Dataset of its own with the same meaning as this
   * one (NetCDF-4/HDF5; absent for NetCDF-3, which has no groups). Built on call from the file
   * already open, so a broken child never stops its parent from opening. The file closes with the
   * Dataset that opened it; a child's `close` does nothing.
   */
  children?(): Dataset[];
  close(): Promise<void>;
}

/** The typed array that holds each fixed-size dtype's elements (`string` uses string[]). */
export const ARRAY_TYPES = {
  int8: Int8Array,
  uint8: Uint8Array,
  char: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export const DTYPE_SIZE: Record<DType, number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
  char: 1,
  // Estimated bytes per element for sizing decisions only.
  string: 16,
};

/**
 * Value ranges of the integer dtypes as numbers. The 64-bit ones stop at ±2^53 - 1, the integers
 * a number holds exactly: enough for the values zarrify computes into them (times, packed data).
 */
export const INTEGER_RANGE: Readonly<Partial<Record<DType, readonly [number, number]>>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** netCDF-C's default fill values (netcdf.h NC_FILL_*): what an unwritten value of a file holds. */
export const NETCDF_DEFAULT_FILL: Readonly<Record<DType, number | bigint | string>> = {
  int8: -127,
  uint8: 255,
  int16: -32767,
  uint16: 65535,
  int32: -2147483647,
  uint32: 4294967295,
  int64: -9223372036854775806n,
  uint64: 18446744073709551614n,
  float32: 9.969209968386869e36,
  float64: 9.969209968386869e36,
  char: 0,
  string: "",
};
