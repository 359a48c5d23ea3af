/** Positioned reads that tolerate short reads and the per-call size limit of read(2). */
import type { FileHandle } from "node:fs/promises";

/** A single read(2) transfers at most ~2 GiB on Linux; stay well below. */
const MAX_CALL = 1024 * 1024 * 1024;

/**
 * Read `length` bytes at file `position` into buf[offset...]. Returns the number of bytes read,
 * which is less than `length` only at end of file.
 */
export async function readFully(
  fh: FileHandle,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const want = Math.min(length - done, MAX_CALL);
    const { bytesRead } = await fh.read(buf, offset + done, want, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
