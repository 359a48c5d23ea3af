/**
 * C-order n-dimensional box copies between flat arrays, the primitive behind padding edge chunks
 * and merging a region into an existing chunk.
 *
 *   copyBox(src, srcShape, srcStart, dst, dstShape, dstStart, count): void
 *       copies the box of extent `count` at `srcStart` in src into `dstStart` in dst
 *   product(shape): number        element count (1 for a 0-d shape)
 *
 * Rows along the last dimension are copied with one `set` each for typed arrays, so the cost is
 * memory bandwidth plus one call per row.
 */
import type { DataArray } from "../dataset/types.js";
import { product } from "../util/shape.js";

// One definition below zarr and readers both (src/util/shape.ts); zarr's modules take it from here.
export { product } from "../util/shape.js";

export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

export function copyBox(
  src: DataArray,
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: DataArray,
  dstShape: readonly number[],
  dstStart: readonly number[],
  count: readonly number[],
): void {
  const nd = count.length;
  if (
    srcShape.length !== nd ||
    dstShape.length !== nd ||
    srcStart.length !== nd ||
    dstStart.length !== nd
  ) {
    throw new RangeError("copyBox: shapes, starts and count must have the same rank");
  }
  for (let d = 0; d < nd; d++) {
    if (
      count[d] < 0 ||
      srcStart[d] + count[d] > srcShape[d] ||
      dstStart[d] + count[d] > dstShape[d]
    ) {
      throw new RangeError(`copyBox: box exceeds the array along dimension ${d}`);
    }
  }
  if (product(count) === 0) return;
  if (nd === 0) {
    (dst as unknown[])[0] = (src as unknown[])[0];
    return;
  }
  const ss = strides(srcShape);
  const ds = strides(dstShape);
  const rowLen = count[nd - 1];
  const typed = !Array.isArray(src);
  const idx = new Array<number>(nd - 1).fill(0);
  for (;;) {
    let so = srcStart[nd - 1];
    let doff = dstStart[nd - 1];
    for (let d = 0; d < nd - 1; d++) {
      so += (srcStart[d] + idx[d]) * ss[d];
      doff += (dstStart[d] + idx[d]) * ds[d];
    }
    if (typed) {
      const s = src as Exclude<DataArray, string[]>;
      (dst as typeof s).set(s.subarray(so, so + rowLen) as never, doff);
    } else {
      const s = src as string[];
      const t = dst as string[];
      for (let i = 0; i < rowLen; i++) t[doff + i] = s[so + i];
    }
    let d = nd - 2;
    while (d >= 0) {
      idx[d]++;
      if (idx[d] < count[d]) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}
