/**
 * gzip (RFC 1952) over node:zlib. numcodecs' GZip and zarr v3's "gzip" codec both read a plain
 * single-member gzip stream, which is what gzipSync writes.
 *
 *   gzipEncode(bytes, level): Uint8Array
 *   gzipDecode(bytes): Uint8Array
 */
import { gunzipSync, gzipSync } from "node:zlib";

export function gzipEncode(bytes: Uint8Array, level: number): Uint8Array {
  return gzipSync(bytes, { level });
}

export function gzipDecode(bytes: Uint8Array): Uint8Array {
  return gunzipSync(bytes);
}
