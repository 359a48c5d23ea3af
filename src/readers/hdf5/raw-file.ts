/**
 * One HDF5 file as the raw read path sees it: a byte source plus the superblock's address base
 * and field widths. Every read of metadata or chunk bytes goes through `read`, which refuses
 * ranges outside the file before anything is allocated.
 */
import { type ByteSource, FileByteSource } from "../byte-source.js";
import { FormatError, LeReader, UNDEFINED_ADDRESS } from "./le-reader.js";
import { readSuperblock, type Superblock } from "./superblock.js";

export class RawFile {
  private constructor(
    readonly source: ByteSource,
    readonly size: number,
    readonly superblock: Superblock,
  ) {}

  static async open(path: string): Promise<RawFile> {
    return RawFile.over(await FileByteSource.open(path));
  }

  /** The raw view of an HDF5 file behind any byte source; it owns (and closes) the source. */
  static async over(source: ByteSource): Promise<RawFile> {
    try {
      const size = await source.size();
      return new RawFile(source, size, await readSuperblock(source, size));
    } catch (err) {
      await source.close().catch(() => {});
      throw err;
    }
  }

  /**
   * A file whose superblock was read elsewhere (another thread's `RawFile`, carried across as
   * plain data); it owns (and closes) `source`.
   */
  static fromParts(source: ByteSource, size: number, superblock: Superblock): RawFile {
    return new RawFile(source, size, { ...superblock });
  }

  describe(): string {
    return this.source.describe();
  }

  /** The file offset of HDF5 address `address`. */
  absolute(address: number): number {
    return this.superblock.base + address;
  }

  /** Whether [address, address + length) lies inside the file. */
  contains(address: number, length: number): boolean {
    if (address === UNDEFINED_ADDRESS || address < 0 || length < 0) return false;
    return this.superblock.base + address + length <= this.size;
  }

  /** `length` bytes at HDF5 address `address`; FormatError if they are not all in the file. */
  async read(address: number, length: number): Promise<Uint8Array> {
    if (!this.contains(address, length)) {
      throw new FormatError(
        `${length} bytes at address ${address} lie outside the file (${this.size} bytes)`,
      );
    }
    const bytes = await this.source.read(this.superblock.base + address, length);
    if (bytes.length < length) throw new FormatError(`short read at address ${address}`);
    return bytes;
  }

  /** Up to `length` bytes at `address`, cut at the end of the file (for headers of unknown size). */
  async readUpTo(address: number, length: number): Promise<Uint8Array> {
    const available = this.size - this.superblock.base - address;
    if (address === UNDEFINED_ADDRESS || available <= 0) {
      throw new FormatError(`address ${address} lies outside the file`);
    }
    return this.read(address, Math.min(length, available));
  }

  reader(bytes: Uint8Array, pos = 0): LeReader {
    return new LeReader(bytes, pos, this.superblock.offsetSize, this.superblock.lengthSize);
  }

  close(): Promise<void> {
    return this.source.close();
  }
}
