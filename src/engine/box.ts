/**
 * Strided copies between C-ordered arrays: cutting a read block into output chunks. The innermost
 * dimension is copied as one contiguous run (typed-array `set` of a subarray), which is what keeps
 * this from dominating the profile.
 */
import type { DataArray } from "../dataset/types.js";

type Ctor = { new (length: number): DataArray };

function allocLike(src: DataArray, length: number): DataArray {
  if (Array.isArray(src)) return new Array<string>(length).fill("");
  return new (src.constructor as Ctor)(length);
}

/** Copy the box [start, start+count) out of `src` (shape `srcShape`) into a new dense array. */
export function extractBox(
  src: DataArray,
  srcShape: readonly number[],
  start: readonly number[],
  count: readonly number[],
): DataArray {
  const n = count.reduce((a, b) => a * b, 1);
  const out = allocLike(src, n);
  if (n === 0) return out;
  const rank = srcShape.length;
  if (rank === 0) {
    out[0] = src[0];
    return out;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * srcShape[d + 1];
  const run = count[rank - 1];
  const rows = n / run;
  const index = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let offset = start[rank - 1];
    for (let d = 0; d < rank - 1; d++) offset += (start[d] + index[d]) * strides[d];
    if (Array.isArray(src)) {
      for (let i = 0; i < run; i++) (out as string[])[r * run + i] = src[offset + i];
    } else {
      // Same constructor on both sides, so the typed-array set is a memcpy.
      (out as Float64Array).set((src as Float64Array).subarray(offset, offset + run), r * run);
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < count[d]) break;
      index[d] = 0;
    }
  }
  return out;
}
