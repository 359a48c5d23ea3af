/**
 * Fixed-size elements <-> little-endian bytes: zarr v2's "<i2"/"<f4"/... and the v3 "bytes"
 * codec with endian "little". On little-endian hosts (every platform Node ships for in practice)
 * encoding is a zero-copy view; a big-endian host gets a byte-swapped copy.
 *
 *   numericToBytes(data): Uint8Array
 *   bytesToNumeric(dtype, bytes, owned?): NumericArray
 *       copies unless `owned` (the caller hands over a buffer nobody else uses) and the bytes are
 *       suitably aligned, so the result never aliases memory the caller still uses
 *   typedArrayFor(dtype, length): NumericArray       zeroed array of the dtype's element type
 *   filledArray(dtype, length, value): NumericArray  the same, every element `value`
 */
import { ARRAY_TYPES, type DType, type NumericArray } from "../../dataset/types.js";

export type FixedDType = Exclude<DType, "string">;

const CTORS = ARRAY_TYPES;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function typedArrayFor(dtype: FixedDType, length: number): NumericArray {
  return new CTORS[dtype](length);
}

export function filledArray(
  dtype: FixedDType,
  length: number,
  value: number | bigint,
): NumericArray {
  const arr = typedArrayFor(dtype, length);
  if (value !== 0 && value !== 0n) (arr as { fill(v: number | bigint): unknown }).fill(value);
  return arr;
}

function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) {
    for (let k = 0; k < size; k++) out[i + k] = bytes[i + size - 1 - k];
  }
  return out;
}

export function numericToBytes(data: NumericArray): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) return view;
  return swapped(view, data.BYTES_PER_ELEMENT);
}

export function bytesToNumeric(dtype: FixedDType, bytes: Uint8Array, owned = false): NumericArray {
  const Ctor = CTORS[dtype];
  const size = Ctor.BYTES_PER_ELEMENT;
  if (bytes.length % size !== 0) {
    throw new Error(`${bytes.length} bytes is not a whole number of ${dtype} elements`);
  }
  if (owned && (LITTLE_ENDIAN_HOST || size === 1) && bytes.byteOffset % size === 0) {
    return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length / size);
  }
  // new Uint8Array(x) always copies into a fresh, aligned buffer (Buffer#slice would not copy).
  const own = LITTLE_ENDIAN_HOST || size === 1 ? new Uint8Array(bytes) : swapped(bytes, size);
  return new Ctor(own.buffer as ArrayBuffer, 0, own.length / size);
}
