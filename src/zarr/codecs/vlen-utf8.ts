/**
 * numcodecs' VLenUTF8 layout, shared by zarr v2 (filter {"id": "vlen-utf8"} on a "|O" array) and
 * zarr v3 (array-to-bytes codec "vlen-utf8" on data_type "string"):
 *   uint32 LE item count, then per item uint32 LE byte length + the UTF-8 bytes.
 *
 *   vlenUtf8Encode(items): Uint8Array
 *   vlenUtf8Decode(bytes, expectedCount?): string[]
 */

export function vlenUtf8Encode(items: readonly string[]): Uint8Array {
  let total = 4;
  const lengths = new Array<number>(items.length);
  for (let i = 0; i < items.length; i++) {
    lengths[i] = Buffer.byteLength(items[i] ?? "", "utf8");
    total += 4 + lengths[i];
  }
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32LE(items.length, 0);
  let pos = 4;
  for (let i = 0; i < items.length; i++) {
    out.writeUInt32LE(lengths[i], pos);
    pos += 4;
    pos += out.write(items[i] ?? "", pos, lengths[i], "utf8");
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function vlenUtf8Decode(bytes: Uint8Array, expectedCount?: number): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) throw new Error("vlen-utf8 buffer is shorter than its header");
  const n = buf.readUInt32LE(0);
  if (expectedCount !== undefined && n !== expectedCount) {
    throw new Error(`vlen-utf8 buffer holds ${n} items, expected ${expectedCount}`);
  }
  const items = new Array<string>(n);
  let pos = 4;
  for (let i = 0; i < n; i++) {
    if (pos + 4 > buf.length) throw new Error("vlen-utf8 buffer is truncated");
    const len = buf.readUInt32LE(pos);
    pos += 4;
    if (pos + len > buf.length) throw new Error("vlen-utf8 buffer is truncated");
    items[i] = buf.toString("utf8", pos, pos + len);
    pos += len;
  }
  return items;
}
