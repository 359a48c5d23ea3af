/**
 * HDF5 signature sniffing. The superblock sits at 0 or, after a user block, at 512, 1024, 2048, …
 * (powers of two); we look at every such offset the caller's bytes reach.
 */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]; // "\x89HDF\r\n\x1a\n"

/** Bytes needed to see a superblock at offsets 0 … 2048: 2048 + 8. */
export const HDF5_SNIFF_BYTES = 2056;

export function hdf5Magic(bytes: Uint8Array): boolean {
  for (
    let offset = 0;
    offset + SIGNATURE.length <= bytes.length;
    offset = offset ? offset * 2 : 512
  ) {
    if (SIGNATURE.every((b, i) => bytes[offset + i] === b)) return true;
  }
  return false;
}
