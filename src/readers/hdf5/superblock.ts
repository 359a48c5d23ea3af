/**
 * The HDF5 superblock (versions 0–3): where the file's addresses start (the superblock's own
 * offset, after any user block, as libhdf5 takes it) and how wide offsets and lengths are.
 */
import type { ByteSource } from "../byte-source.js";
import { FormatError, LeReader } from "./le-reader.js";

export interface Superblock {
  /** Absolute file offset that HDF5 addresses are relative to. */
  base: number;
  offsetSize: number;
  lengthSize: number;
}

const SIGNATURE = "\x89HDF\r\n\x1a\n";

export async function readSuperblock(source: ByteSource, fileSize: number): Promise<Superblock> {
  for (let at = 0; at + 16 <= fileSize; at = at === 0 ? 512 : at * 2) {
    const head = await source.read(at, 16);
    const r = new LeReader(head);
    try {
      r.signature(SIGNATURE);
    } catch {
      continue;
    }
    const version = r.u8();
    let offsetSize: number;
    let lengthSize: number;
    if (version === 0 || version === 1) {
      // free-space version, root symbol table version, reserved, shared header version
      r.skip(4);
      offsetSize = r.u8();
      lengthSize = r.u8();
    } else if (version === 2 || version === 3) {
      offsetSize = r.u8();
      lengthSize = r.u8();
    } else {
      throw new FormatError(`superblock version ${version}`);
    }
    const ok = (n: number) => n === 2 || n === 4 || n === 8;
    if (!ok(offsetSize) || !ok(lengthSize)) {
      throw new FormatError(`superblock sizes of offsets/lengths ${offsetSize}/${lengthSize}`);
    }
    return { base: at, offsetSize, lengthSize };
  }
  throw new FormatError("no HDF5 superblock found");
}
