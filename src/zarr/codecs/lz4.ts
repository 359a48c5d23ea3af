/**
 * LZ4 in the two framings we need.
 *
 *   lz4Encode(bytes) / lz4Decode(bytes)   numcodecs' LZ4 format: a 4-byte little-endian
 *                                        uncompressed size, then one raw LZ4 block. zarr v2
 *                                        ("id": "lz4") and zarr v3 "numcodecs.lz4" both use it.
 *   lz4BlockCompress(bytes): Uint8Array   a bare LZ4 block, as c-blosc stores per (split) block.
 *   lz4BlockDecompress(block, out)        decodes a bare block into `out`, which must be exactly
 *                                        the decompressed size; throws on malformed input.
 *
 * Compression is native (lz4-napi's lz4_flex, which already writes numcodecs' size prefix).
 * Decompression of bare blocks is a small bounds-checked decoder here, which saves re-framing every
 * blosc block to feed the native one.
 */
import { createRequire } from "node:module";

type Lz4Napi = typeof import("lz4-napi");

let native: Lz4Napi | undefined;

/**
 * lz4-napi loaded when first used: finding its binary (it probes the C library first) costs every
 * thread ~20 ms, and most archives never use lz4.
 */
function lz4(): Lz4Napi {
  native ??= createRequire(import.meta.url)("lz4-napi") as Lz4Napi;
  return native;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function lz4Encode(bytes: Uint8Array): Uint8Array {
  return lz4().compressSync(asBuffer(bytes));
}

export function lz4Decode(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4) throw new Error("lz4 buffer shorter than its 4-byte size header");
  const expected = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const out = new Uint8Array(expected);
  lz4BlockDecompress(bytes.subarray(4), out);
  return out;
}

export function lz4BlockCompress(bytes: Uint8Array): Uint8Array {
  return lz4().compressSync(asBuffer(bytes)).subarray(4);
}

/** Native decode of a size-prefixed buffer; used only to cross-check the JS decoder in tests. */
export function lz4DecodeNative(bytes: Uint8Array): Uint8Array {
  return lz4().uncompressSync(bytes);
}

export function lz4BlockDecompress(src: Uint8Array, out: Uint8Array): void {
  const srcEnd = src.length;
  const outEnd = out.length;
  let ip = 0;
  let op = 0;
  const corrupt = (why: string): never => {
    throw new Error(`corrupt lz4 block: ${why}`);
  };
  while (ip < srcEnd) {
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) corrupt("truncated literal length");
        b = src[ip++];
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > srcEnd || op + lit > outEnd) corrupt("literal run past the end");
    out.set(src.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip === srcEnd) break; // the last sequence carries literals only
    if (ip + 2 > srcEnd) corrupt("truncated match offset");
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) corrupt("match offset outside the output");
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) corrupt("truncated match length");
        b = src[ip++];
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (op + len > outEnd) corrupt("match past the end of the output");
    let ref = op - offset;
    if (offset >= len) {
      out.copyWithin(op, ref, ref + len);
      op += len;
    } else {
      // Overlapping copy: byte by byte reproduces the run semantics.
      const end = op + len;
      while (op < end) out[op++] = out[ref++];
    }
  }
  if (op !== outEnd) corrupt(`decoded ${op} bytes, expected ${outEnd}`);
}
