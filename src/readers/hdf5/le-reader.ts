/**
 * A little-endian cursor over bytes of an HDF5 file's metadata, sized by the superblock's
 * "size of offsets" and "size of lengths". Reading past the end, or a value no file can hold,
 * throws `FormatError`: the raw read path takes that as "cannot read this raw" and falls back.
 */

/** HDF5 metadata the raw path does not understand or finds inconsistent. */
export class FormatError extends Error {}

/**
 * Metadata no valid file has (a chunk bigger than deflate can make its data, a chunk outside the
 * file, a cycle): the dataset is not handed to h5wasm instead, which would follow it (libhdf5
 * inflates a chunk into a buffer it keeps doubling), but refused.
 */
export class CorruptError extends FormatError {}

/** An address with every bit set: "undefined" (unallocated storage, no sibling, …). */
export const UNDEFINED_ADDRESS = -1;

export class LeReader {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
    readonly offsetSize = 8,
    readonly lengthSize = 8,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number): number {
    if (this.pos + n > this.bytes.length) {
      throw new FormatError(`metadata ends early (need ${n} bytes at ${this.pos})`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  skip(n: number): void {
    this.need(n);
  }

  u8(): number {
    return this.bytes[this.need(1)];
  }

  u16(): number {
    const at = this.need(2);
    return this.bytes[at] | (this.bytes[at + 1] << 8);
  }

  u32(): number {
    const at = this.need(4);
    const b = this.bytes;
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  }

  /**
   * An unsigned integer of `size` bytes (1–8). All bits set reads as UNDEFINED_ADDRESS; other
   * values past 2^53 cannot describe a real file and throw.
   */
  uint(size: number): number {
    if (size < 1 || size > 8) throw new FormatError(`unsupported integer width ${size}`);
    const at = this.need(size);
    const b = this.bytes;
    let allOnes = true;
    let value = 0;
    for (let i = size - 1; i >= 0; i--) {
      if (b[at + i] !== 0xff) allOnes = false;
      value = value * 256 + b[at + i];
    }
    if (allOnes) return UNDEFINED_ADDRESS;
    if (value > Number.MAX_SAFE_INTEGER) throw new FormatError(`value ${value} is out of range`);
    return value;
  }

  /** A file address (size of offsets); UNDEFINED_ADDRESS when undefined. */
  address(): number {
    return this.uint(this.offsetSize);
  }

  /** A length (size of lengths). */
  length(): number {
    const v = this.uint(this.lengthSize);
    if (v === UNDEFINED_ADDRESS) throw new FormatError("undefined length");
    return v;
  }

  /** `n` bytes as a view (not a copy). */
  take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  signature(expected: string): void {
    const at = this.need(expected.length);
    for (let i = 0; i < expected.length; i++) {
      if (this.bytes[at + i] !== expected.charCodeAt(i)) {
        throw new FormatError(`expected signature ${expected} at ${at}`);
      }
    }
  }
}
