/**
 * Byte-level box copies between C-order arrays, for assembling a hyperslab from chunks: the
 * copy itself (trailing axes covered whole fold into one run), where a whole chunk lands as one
 * run of the result, and the in-place byte swap of big-endian elements.
 */

/** Bytes of `box` (lo..hi per axis) copied from a C-order source block to a C-order target. */
export interface Copy {
  src: Uint8Array;
  /** Byte offset of element [srcOrigin] in src (may be negative for a partial read). */
  srcBase: number;
  srcShape: number[];
  srcOrigin: number[];
  dst: Uint8Array;
  dstShape: number[];
  dstOrigin: number[];
  lo: number[];
  hi: number[];
  E: number;
}

export function copyBox(c: Copy): void {
  const rank = c.lo.length;
  const extent = c.lo.map((l, d) => c.hi[d] - l);
  if (extent.some((e) => e <= 0)) return;
  const srcStride = strides(c.srcShape, c.E);
  const dstStride = strides(c.dstShape, c.E);
  // Fold trailing axes the box covers whole in both source and target into one run.
  let run = c.E;
  let k = rank;
  while (k > 0) {
    const d = k - 1;
    run *= extent[d];
    k--;
    if (extent[d] !== c.srcShape[d] || extent[d] !== c.dstShape[d]) break;
  }
  let srcAt = c.srcBase;
  let dstAt = 0;
  for (let d = 0; d < rank; d++) {
    srcAt += (c.lo[d] - c.srcOrigin[d]) * srcStride[d];
    dstAt += (c.lo[d] - c.dstOrigin[d]) * dstStride[d];
  }
  if (k === 0) {
    c.dst.set(c.src.subarray(srcAt, srcAt + run), dstAt);
    return;
  }
  const index = new Array<number>(k).fill(0);
  for (;;) {
    c.dst.set(c.src.subarray(srcAt, srcAt + run), dstAt);
    let d = k - 1;
    for (; d >= 0; d--) {
      srcAt += srcStride[d];
      dstAt += dstStride[d];
      if (++index[d] < extent[d]) break;
      srcAt -= index[d] * srcStride[d];
      dstAt -= index[d] * dstStride[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

/**
 * Byte offset in the result (C-order box `count` at `start`) where a whole chunk at `origin`
 * lands as one contiguous run, or -1 when it does not fit whole or is not contiguous there.
 */
export function directOffset(
  origin: number[],
  chunk: number[],
  start: number[],
  count: number[],
  E: number,
): number {
  const rank = chunk.length;
  for (let d = 0; d < rank; d++) {
    if (origin[d] < start[d] || origin[d] + chunk[d] > start[d] + count[d]) return -1;
  }
  // Contiguous: leading axes of extent 1, then axes the chunk spans whole.
  let d = 0;
  while (d < rank - 1 && chunk[d] === 1) d++;
  for (let k = d + 1; k < rank; k++) if (chunk[k] !== count[k]) return -1;
  const st = strides(count, E);
  let at = 0;
  for (let k = 0; k < rank; k++) at += (origin[k] - start[k]) * st[k];
  return at;
}

export function strides(shape: number[], E: number): number[] {
  const out = new Array<number>(shape.length).fill(E);
  for (let d = shape.length - 2; d >= 0; d--) out[d] = out[d + 1] * shape[d + 1];
  return out;
}

export function swap(bytes: Uint8Array, E: number): void {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (E === 2) b.swap16();
  else if (E === 4) b.swap32();
  else if (E === 8) b.swap64();
}
