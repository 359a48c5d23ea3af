/**
 * Sequential big-endian reader over the start of a file, filled by positioned reads on demand so a
 * header of any size is read incrementally and the data section is never touched.
 */
import { type ByteSource, readInto } from "../byte-source.js";

const FIRST_READ = 64 * 1024;
const MAX_READ = 16 * 1024 * 1024;

export class HeaderCursor {
  /** File offset of the next unread byte. */
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  /** File offset of buf[0]. */
  private bufStart = 0;
  private nextRead = FIRST_READ;

  constructor(
    private readonly source: ByteSource,
    readonly fileSize: number,
    /** Throws the caller's InputError; the cursor knows offsets, not file names. */
    private readonly fail: (message: string) => never,
  ) {}

  /** Bytes left in the file after pos. */
  get remaining(): number {
    return this.fileSize - this.pos;
  }

  /** Make the next n bytes available to the synchronous getters. */
  async ensure(n: number): Promise<void> {
    if (this.pos + n <= this.bufStart + this.buf.length) return;
    if (n > this.remaining) {
      this.fail(
        `truncated header: expected ${n} bytes at offset ${this.pos} (file is ${this.fileSize} bytes)`,
      );
    }
    const size = Math.min(Math.max(n, this.nextRead), this.remaining);
    this.nextRead = Math.min(this.nextRead * 2, MAX_READ);
    const buf = new Uint8Array(size);
    const got = await readInto(this.source, buf, 0, size, this.pos);
    if (got < n) {
      this.fail(
        `truncated header: expected ${n} bytes at offset ${this.pos} (file shrank to ${this.pos + got} bytes while reading)`,
      );
    }
    this.buf = buf.subarray(0, got);
    this.view = new DataView(buf.buffer, 0, got);
    this.bufStart = this.pos;
  }

  private at(n: number): number {
    const i = this.pos - this.bufStart;
    this.pos += n;
    return i;
  }

  u32(): number {
    return this.view.getUint32(this.at(4), false);
  }

  /** An unsigned 64-bit count or offset; values beyond 2^53 cannot address a real file. */
  u64(what: string): number {
    const at = this.pos;
    const v = this.view.getBigUint64(this.at(8), false);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail(`bad header: ${what} at offset ${at} is ${v}, larger than any file`);
    }
    return Number(v);
  }

  u64Raw(): bigint {
    return this.view.getBigUint64(this.at(8), false);
  }

  /** A view of the next n bytes, valid until the next ensure(). */
  bytes(n: number): Uint8Array {
    const i = this.at(n);
    return this.buf.subarray(i, i + n);
  }

  skip(n: number): void {
    this.pos += n;
  }
}
