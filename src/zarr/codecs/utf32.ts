/**
 * zarr-python 3's `fixed_length_utf32` data type (numpy `<Un`): every element is n UTF-32LE code
 * points, NUL-padded; the plain `bytes` codec then stores it like any other fixed-size element.
 * It is what xarray writes for the `<Un` strings it decodes NetCDF strings into, and reads back
 * as the same `<Un`; variable-length strings would come back as `object` instead.
 *
 *   utf32Encode(items, length): Uint8Array        a string longer than `length` code points throws
 *   utf32Decode(bytes, count, length): string[]   trailing NULs stripped, as numpy does
 *   codePointLength(s): number                    the length that must fit
 */

export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function utf32Encode(items: readonly string[], length: number): Uint8Array {
  const out = new Uint8Array(items.length * length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < items.length; i++) {
    let pos = i * length * 4;
    const end = pos + length * 4;
    for (const ch of items[i] ?? "") {
      if (pos >= end) {
        const s = items[i] ?? "";
        const shown = s.length > 40 ? `${s.slice(0, 40)}…` : s;
        throw new RangeError(
          `string ${JSON.stringify(shown)} (${codePointLength(s)} characters) is longer than the ${length} the array holds`,
        );
      }
      view.setUint32(pos, ch.codePointAt(0) as number, true);
      pos += 4;
    }
  }
  return out;
}

export function utf32Decode(bytes: Uint8Array, count: number, length: number): string[] {
  if (bytes.length !== count * length * 4) {
    throw new RangeError(
      `fixed-length UTF-32 chunk has ${bytes.length} bytes, expected ${count * length * 4}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<string>(count);
  const points: number[] = [];
  for (let i = 0; i < count; i++) {
    points.length = 0;
    for (let k = 0; k < length; k++) points.push(view.getUint32((i * length + k) * 4, true));
    while (points.length > 0 && points[points.length - 1] === 0) points.pop();
    out[i] = String.fromCodePoint(...points);
  }
  return out;
}
