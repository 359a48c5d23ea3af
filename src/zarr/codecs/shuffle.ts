/**
 * Byte shuffle and bit shuffle exactly as c-blosc 1.21 applies them to one block, so blocks we
 * write unshuffle correctly in c-blosc (numcodecs) and blocks c-blosc wrote unshuffle here.
 *
 *   byteShuffle(src, dst, typesize)    byte j of element i -> dst[j * n + i]; the block's trailing
 *                                      (length % typesize) bytes are copied unshuffled.
 *   byteUnshuffle(src, dst, typesize)  inverse.
 *   bitShuffle(src, dst, typesize)     bitshuffle's layout: 8*typesize bit rows of n/8 bytes each,
 *                                      row (8j + k) holds bit k of byte j of every element. Only
 *                                      when n % 8 == 0; otherwise c-blosc copies the block as is.
 *   bitUnshuffle(src, dst, typesize)   inverse.
 *
 * `src` and `dst` have the same length and must not overlap. The byte shuffle is HDF5's too, so
 * it lives in util/byte-shuffle.ts (WebAssembly SIMD for typesize 2/4/8); it is re-exported here
 * beside the bit shuffle.
 */
export { byteShuffle, byteUnshuffle } from "../../util/byte-shuffle.js";

/**
 * Transposes the 8x8 bit matrix held in (lo, hi) -- byte m of the 64-bit little-endian word is
 * row m -- the same operation as bitshuffle's TRANS_BIT_8X8, split into 32-bit halves because
 * BigInt arithmetic is far too slow here. Writes the result into `pair`.
 */
function transpose8x8(lo: number, hi: number, pair: Uint32Array): void {
  let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
  lo = lo ^ t ^ (t << 7);
  t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
  hi = hi ^ t ^ (t << 7);
  t = (lo ^ (lo >>> 14)) & 0x0000cccc;
  lo = lo ^ t ^ (t << 14);
  t = (hi ^ (hi >>> 14)) & 0x0000cccc;
  hi = hi ^ t ^ (t << 14);
  t = (lo ^ ((lo >>> 28) | (hi << 4))) & 0xf0f0f0f0;
  lo = lo ^ t;
  hi = hi ^ (t >>> 4);
  pair[0] = lo;
  pair[1] = hi;
}

export function bitShuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  const n = Math.floor(src.length / typesize);
  if (n % 8 !== 0 || n === 0) {
    dst.set(src);
    return;
  }
  const rowBytes = n / 8;
  const pair = new Uint32Array(2);
  const stride = typesize;
  for (let j = 0; j < typesize; j++) {
    const rowBase = j * 8 * rowBytes;
    for (let w = 0; w < rowBytes; w++) {
      let s = 8 * w * stride + j;
      const lo =
        src[s] | (src[s + stride] << 8) | (src[s + 2 * stride] << 16) | (src[s + 3 * stride] << 24);
      s += 4 * stride;
      const hi =
        src[s] | (src[s + stride] << 8) | (src[s + 2 * stride] << 16) | (src[s + 3 * stride] << 24);
      transpose8x8(lo, hi, pair);
      const a = pair[0];
      const b = pair[1];
      let d = rowBase + w;
      dst[d] = a;
      d += rowBytes;
      dst[d] = a >>> 8;
      d += rowBytes;
      dst[d] = a >>> 16;
      d += rowBytes;
      dst[d] = a >>> 24;
      d += rowBytes;
      dst[d] = b;
      d += rowBytes;
      dst[d] = b >>> 8;
      d += rowBytes;
      dst[d] = b >>> 16;
      d += rowBytes;
      dst[d] = b >>> 24;
    }
  }
  const tail = n * typesize;
  if (tail < src.length) dst.set(src.subarray(tail), tail);
}

export function bitUnshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  const n = Math.floor(src.length / typesize);
  if (n % 8 !== 0 || n === 0) {
    dst.set(src);
    return;
  }
  const rowBytes = n / 8;
  const pair = new Uint32Array(2);
  const stride = typesize;
  for (let j = 0; j < typesize; j++) {
    const rowBase = j * 8 * rowBytes;
    for (let w = 0; w < rowBytes; w++) {
      const s = rowBase + w;
      const lo =
        src[s] |
        (src[s + rowBytes] << 8) |
        (src[s + 2 * rowBytes] << 16) |
        (src[s + 3 * rowBytes] << 24);
      const s4 = s + 4 * rowBytes;
      const hi =
        src[s4] |
        (src[s4 + rowBytes] << 8) |
        (src[s4 + 2 * rowBytes] << 16) |
        (src[s4 + 3 * rowBytes] << 24);
      transpose8x8(lo, hi, pair);
      const a = pair[0];
      const b = pair[1];
      let d = 8 * w * stride + j;
      dst[d] = a;
      d += stride;
      dst[d] = a >>> 8;
      d += stride;
      dst[d] = a >>> 16;
      d += stride;
      dst[d] = a >>> 24;
      d += stride;
      dst[d] = b;
      d += stride;
      dst[d] = b >>> 8;
      d += stride;
      dst[d] = b >>> 16;
      d += stride;
      dst[d] = b >>> 24;
    }
  }
  const tail = n * typesize;
  if (tail < src.length) dst.set(src.subarray(tail), tail);
}
