/** Cutting a read block into output chunks: a dense copy of one box, on the Zarr side's copyBox. */
import type { DataArray } from "../dataset/types.js";
import { copyBox, product } from "../zarr/nd.js";

function allocLike(src: DataArray, length: number): DataArray {
  if (Array.isArray(src)) return new Array<string>(length).fill("");
  return new (src.constructor as new (length: number) => DataArray)(length);
}

/** Copy the box [start, start+count) out of `src` (shape `srcShape`) into a new dense array. */
export function extractBox(
  src: DataArray,
  srcShape: readonly number[],
  start: readonly number[],
  count: readonly number[],
): DataArray {
  const out = allocLike(src, product(count));
  copyBox(
    src,
    srcShape,
    start,
    out,
    count,
    count.map(() => 0),
    count,
  );
  return out;
}
