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
 * `src` and `dst` have the same length and must not overlap. Paths for typesize 2/4/8 read whole
 * words because that is where float32/float64/int16 spend their time.
 */

/** Word-aligned fast path applies when every plane starts on a 4-byte boundary. */
function wordAligned(a: Uint8Array, b: Uint8Array, n: number): boolean {
  return a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && n % 4 === 0;
}

/**
 * 4x4 byte transpose of the words (a, b, c, d): byte j of the result word k is byte k of input
 * word j. It is its own inverse, so it serves shuffle and unshuffle alike.
 */
function t0(a: number, b: number, c: number, d: number): number {
  return (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
}
function t1(a: number, b: number, c: number, d: number): number {
  return ((a >>> 8) & 0xff) | (b & 0xff00) | ((c & 0xff00) << 8) | ((d & 0xff00) << 16);
}
function t2(a: number, b: number, c: number, d: number): number {
  return ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d & 0xff0000) << 8);
}
function t3(a: number, b: number, c: number, d: number): number {
  return (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
}

function shuffleWords(src: Uint8Array, dst: Uint8Array, typesize: number, n: number): void {
  const s = new Uint32Array(src.buffer, src.byteOffset, (n * typesize) / 4);
  const d = new Uint32Array(dst.buffer, dst.byteOffset, (n * typesize) / 4);
  const q = n / 4; // words per plane
  if (typesize === 4) {
    for (let i = 0, k = 0; i < q; i++, k += 4) {
      const a = s[k];
      const b = s[k + 1];
      const c = s[k + 2];
      const e = s[k + 3];
      d[i] = t0(a, b, c, e);
      d[q + i] = t1(a, b, c, e);
      d[2 * q + i] = t2(a, b, c, e);
      d[3 * q + i] = t3(a, b, c, e);
    }
  } else if (typesize === 8) {
    for (let i = 0, k = 0; i < q; i++, k += 8) {
      const a = s[k];
      const b = s[k + 2];
      const c = s[k + 4];
      const e = s[k + 6];
      d[i] = t0(a, b, c, e);
      d[q + i] = t1(a, b, c, e);
      d[2 * q + i] = t2(a, b, c, e);
      d[3 * q + i] = t3(a, b, c, e);
      const a2 = s[k + 1];
      const b2 = s[k + 3];
      const c2 = s[k + 5];
      const e2 = s[k + 7];
      d[4 * q + i] = t0(a2, b2, c2, e2);
      d[5 * q + i] = t1(a2, b2, c2, e2);
      d[6 * q + i] = t2(a2, b2, c2, e2);
      d[7 * q + i] = t3(a2, b2, c2, e2);
    }
  } else {
    // typesize 2: words hold two elements each.
    for (let i = 0, k = 0; i < q; i++, k += 2) {
      const a = s[k];
      const b = s[k + 1];
      d[i] = (a & 0xff) | ((a >>> 8) & 0xff00) | ((b & 0xff) << 16) | ((b << 8) & 0xff000000);
      d[q + i] =
        ((a >>> 8) & 0xff) | ((a >>> 16) & 0xff00) | ((b & 0xff00) << 8) | (b & 0xff000000);
    }
  }
}

function unshuffleWords(src: Uint8Array, dst: Uint8Array, typesize: number, n: number): void {
  const s = new Uint32Array(src.buffer, src.byteOffset, (n * typesize) / 4);
  const d = new Uint32Array(dst.buffer, dst.byteOffset, (n * typesize) / 4);
  const q = n / 4;
  if (typesize === 4) {
    for (let i = 0, k = 0; i < q; i++, k += 4) {
      const a = s[i];
      const b = s[q + i];
      const c = s[2 * q + i];
      const e = s[3 * q + i];
      d[k] = t0(a, b, c, e);
      d[k + 1] = t1(a, b, c, e);
      d[k + 2] = t2(a, b, c, e);
      d[k + 3] = t3(a, b, c, e);
    }
  } else if (typesize === 8) {
    for (let i = 0, k = 0; i < q; i++, k += 8) {
      const a = s[i];
      const b = s[q + i];
      const c = s[2 * q + i];
      const e = s[3 * q + i];
      d[k] = t0(a, b, c, e);
      d[k + 2] = t1(a, b, c, e);
      d[k + 4] = t2(a, b, c, e);
      d[k + 6] = t3(a, b, c, e);
      const a2 = s[4 * q + i];
      const b2 = s[5 * q + i];
      const c2 = s[6 * q + i];
      const e2 = s[7 * q + i];
      d[k + 1] = t0(a2, b2, c2, e2);
      d[k + 3] = t1(a2, b2, c2, e2);
      d[k + 5] = t2(a2, b2, c2, e2);
      d[k + 7] = t3(a2, b2, c2, e2);
    }
  } else {
    for (let i = 0, k = 0; i < q; i++, k += 2) {
      const lo = s[i];
      const hi = s[q + i];
      d[k] = (lo & 0xff) | ((hi & 0xff) << 8) | ((lo & 0xff00) << 8) | ((hi & 0xff00) << 16);
      d[k + 1] =
        ((lo >>> 16) & 0xff) | ((hi >>> 8) & 0xff00) | ((lo >>> 8) & 0xff0000) | (hi & 0xff000000);
    }
  }
}

export function byteShuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  const len = src.length;
  const n = Math.floor(len / typesize);
  if (typesize <= 1 || n === 0) {
    dst.set(src);
    return;
  }
  if ((typesize === 2 || typesize === 4 || typesize === 8) && wordAligned(src, dst, n)) {
    shuffleWords(src, dst, typesize, n);
  } else {
    for (let j = 0; j < typesize; j++) {
      const base = j * n;
      for (let i = 0, s = j; i < n; i++, s += typesize) dst[base + i] = src[s];
    }
  }
  const tail = n * typesize;
  if (tail < len) dst.set(src.subarray(tail), tail);
}

export function byteUnshuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  const len = src.length;
  const n = Math.floor(len / typesize);
  if (typesize <= 1 || n === 0) {
    dst.set(src);
    return;
  }
  if ((typesize === 2 || typesize === 4 || typesize === 8) && wordAligned(src, dst, n)) {
    unshuffleWords(src, dst, typesize, n);
  } else {
    for (let j = 0; j < typesize; j++) {
      const base = j * n;
      for (let i = 0, d = j; i < n; i++, d += typesize) dst[d] = src[base + i];
    }
  }
  const tail = n * typesize;
  if (tail < len) dst.set(src.subarray(tail), tail);
}

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
