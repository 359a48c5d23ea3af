/**
 * The part of an HDF5 datatype message the raw path needs: whether stored elements are plain
 * IEEE floats, full-width integers (enums through their base type) or 1-byte strings, so raw
 * bytes equal what HDF5 would convert to (after a byte swap for big-endian). Anything else —
 * odd precisions, bit offsets, VAX floats — throws FormatError and the read stays with h5wasm.
 */
import { FormatError, type LeReader } from "./le-reader.js";

export interface RawType {
  size: number;
  bigEndian: boolean;
}

const IEEE: Record<number, number[]> = {
  // precision, exponent location, exponent size, mantissa location, mantissa size, bias
  4: [32, 23, 8, 0, 23, 127],
  8: [64, 52, 11, 0, 52, 1023],
};

export function parseDatatype(r: LeReader): RawType {
  const classAndVersion = r.u8();
  const cls = classAndVersion & 0x0f;
  const bits = r.u8() | (r.u8() << 8) | (r.u8() << 16);
  const size = r.u32();
  switch (cls) {
    case 0: {
      const offset = r.u16();
      const precision = r.u16();
      if (offset !== 0 || precision !== size * 8 || ![1, 2, 4, 8].includes(size)) {
        throw new FormatError(`integer type of ${precision} bits at offset ${offset}`);
      }
      return { size, bigEndian: (bits & 1) !== 0 };
    }
    case 1: {
      const expected = IEEE[size];
      const byteOrder = (bits & 1) | ((bits >> 5) & 2);
      const sign = (bits >> 8) & 0xff;
      const fields = [r.u16(), r.u16(), r.u8(), r.u8(), r.u8(), r.u8(), r.u32()];
      const [offset, ...layout] = fields;
      if (
        !expected ||
        byteOrder > 1 ||
        offset !== 0 ||
        sign !== size * 8 - 1 ||
        ((bits >> 4) & 3) !== 2 || // mantissa normalization: implied msb
        layout.some((v, i) => v !== expected[i])
      ) {
        throw new FormatError(`non-IEEE floating-point type of ${size} bytes`);
      }
      return { size, bigEndian: byteOrder === 1 };
    }
    case 3:
      if (size !== 1) throw new FormatError("strings longer than one byte");
      return { size, bigEndian: false };
    case 8: {
      const base = parseDatatype(r);
      if (base.size !== size) throw new FormatError("enum base type of another size");
      return base;
    }
    default:
      throw new FormatError(`datatype class ${cls}`);
  }
}
