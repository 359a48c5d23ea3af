/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Zarr v3's `crc32c` codec
 * appends little-endian. The sharding codec checks its index with it; an index is 16 bytes per
 * inner chunk, so a byte-at-a-time table is fast enough.
 *
 *   crc32c(bytes): number      unsigned 32-bit
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
