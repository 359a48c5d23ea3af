/**
 * Zarr v3 stores a NetCDF char array (..., n) whose last dimension is a string length as n-byte
 * strings over (...): the metadata writer, the keys and the sharding codec's inner chunk shape
 * all drop that dimension, so they share this one test of whether an array is stored so.
 */
import type { DType } from "../dataset/types.js";

/**
 * Whether a v3 array is a NetCDF char array stored as fixed-length byte strings, its last
 * dimension (the string length) folded into the data type. A 0-d char is a 1-byte string.
 */
export function v3CharFold(meta: {
  zarrFormat: 2 | 3;
  dtype: DType;
  shape: readonly number[];
  foldChars?: boolean;
}): boolean {
  return (
    meta.zarrFormat === 3 &&
    meta.dtype === "char" &&
    meta.foldChars === true &&
    meta.shape.length > 0
  );
}
