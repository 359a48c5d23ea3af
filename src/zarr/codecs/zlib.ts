/**
 * zlib (RFC 1950: deflate with the 2-byte header and adler32 trailer) over node:zlib. This is the
 * stream numcodecs' Zlib codec and c-blosc's zlib compressor (compress2) both produce and expect.
 *
 *   zlibEncode(bytes, level): Uint8Array
 *   zlibDecode(bytes): Uint8Array
 */
import { deflateSync, inflateSync } from "node:zlib";

export function zlibEncode(bytes: Uint8Array, level: number): Uint8Array {
  return deflateSync(bytes, { level });
}

export function zlibDecode(bytes: Uint8Array): Uint8Array {
  return inflateSync(bytes);
}
