/**
 * Where a reader's bytes come from. Readers that parse a format themselves (NetCDF-3, the raw
 * HDF5 chunk path) read through a `ByteSource` instead of the filesystem, so a ranged http/s3
 * source is one more implementation of this interface. h5wasm still opens local paths itself.
 */
import { type FileHandle, open } from "node:fs/promises";

export interface ByteSource {
  /** Total length in bytes. */
  size(): Promise<number>;
  /**
   * The bytes at [offset, offset + length): fewer only where the source ends. The result owns its
   * buffer from byteOffset 0 (a typed-array view of `.buffer` sees exactly these bytes).
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional zero-copy form of `read`: fill target[at, at + length) and return how many bytes
   * arrived (fewer only at the end of the source). `readInto` falls back to `read` + copy.
   */
  readInto?(target: Uint8Array, at: number, length: number, offset: number): Promise<number>;
  close(): Promise<void>;
  /** What the source is, for messages: a path or a URL. */
  describe(): string;
}

/** Fill target[at, at + length) from `source` at `offset`; returns the bytes that arrived. */
export async function readInto(
  source: ByteSource,
  target: Uint8Array,
  at: number,
  length: number,
  offset: number,
): Promise<number> {
  if (source.readInto) return source.readInto(target, at, length, offset);
  const bytes = await source.read(offset, length);
  target.set(bytes, at);
  return bytes.length;
}

/** A single read(2) transfers at most ~2 GiB on Linux; stay well below. */
const MAX_CALL = 1024 * 1024 * 1024;

/** A local file read with positioned reads (pread on libuv's thread pool). */
export class FileByteSource implements ByteSource {
  private cachedSize?: number;

  private constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Open `path` for reading; errors are the filesystem's own (ENOENT, EACCES, …). */
  static async open(path: string): Promise<FileByteSource> {
    return new FileByteSource(path, await open(path, "r"));
  }

  async size(): Promise<number> {
    this.cachedSize ??= (await this.handle.stat()).size;
    return this.cachedSize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    // allocUnsafeSlow: not pooled, so the bytes start at byteOffset 0 of their own buffer.
    const buf = Buffer.allocUnsafeSlow(length);
    const got = await this.readInto(buf, 0, length, offset);
    // Short only at the end of the file: copy, so the result still owns its whole buffer.
    return got === length ? buf : new Uint8Array(buf.subarray(0, got));
  }

  async readInto(target: Uint8Array, at: number, length: number, offset: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const want = Math.min(length - done, MAX_CALL);
      const { bytesRead } = await this.handle.read(target, at + done, want, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  describe(): string {
    return this.path;
  }
}
