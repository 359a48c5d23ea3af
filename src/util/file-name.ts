/**
 * File names that are not valid UTF-8. Linux allows any bytes in a name, but Node decodes names
 * (in argv and in directory listings) as UTF-8, turning each invalid byte into U+FFFD: the string
 * no longer names the file, so it cannot be opened by it. What is left to do is to say so, naming
 * the file with its invalid bytes escaped (`caf\xe9.nc`), which a user can read and type.
 */
import { isUtf8 } from "node:buffer";

export { isUtf8 };

/** The name with every byte that is not part of a valid UTF-8 sequence written as `\xNN`. */
export function legibleName(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let out = "";
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : 4;
    const seq = buf.subarray(i, i + len);
    if (b <= 0xf4 && seq.length === len && isUtf8(seq)) {
      out += seq.toString("utf8");
      i += len;
    } else {
      out += `\\x${b.toString(16).padStart(2, "0")}`;
      i += 1;
    }
  }
  return out;
}
