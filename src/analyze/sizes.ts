/**
 * The sizes every part of `analyze` measures by. MB is 2^20 bytes, as everywhere in zarrify.
 */
import { DTYPE_SIZE, type DType, type Variable } from "../dataset/types.js";
import { product } from "../util/shape.js";

export const MIB = 1024 * 1024;

export function bytesOf(v: Variable): number {
  return product(v.shape) * DTYPE_SIZE[v.dtype];
}

export function isNumeric(dtype: DType): boolean {
  return dtype !== "char" && dtype !== "string";
}

export function byDim(dims: readonly string[], values: readonly number[]): Record<string, number> {
  return Object.fromEntries(dims.map((d, i) => [d, values[i]]));
}
