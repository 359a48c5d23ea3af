/** Header attribute bytes (big-endian) → AttrValue, the way netCDF4-python presents them. */
import type { AttrValue } from "../../dataset/types.js";
import type { NcType } from "./nctypes.js";

const utf8 = new TextDecoder("utf-8");

export function decodeAttr(name: string, type: NcType, raw: Uint8Array, n: number): AttrValue {
  if (type.dtype === "char") {
    // netCDF4-python keeps a char _FillValue as raw bytes (it is a byte value, not text); latin1
    // maps each byte to one code unit so the writer can recover the byte exactly.
    if (name === "_FillValue") return Buffer.from(raw).toString("latin1");
    // Everything else: decode UTF-8 (invalid bytes become U+FFFD) and drop NULs, as netCDF4-python.
    return utf8.decode(raw).replaceAll("\0", "");
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const get = getter(type.dtype, view);
  if (n === 1) return get(0);
  const out: Array<number | bigint> = new Array(n);
  for (let i = 0; i < n; i++) out[i] = get(i);
  return out as number[] | bigint[];
}

function getter(dtype: NcType["dtype"], v: DataView): (i: number) => number | bigint {
  switch (dtype) {
    case "int8":
      return (i) => v.getInt8(i);
    case "uint8":
      return (i) => v.getUint8(i);
    case "int16":
      return (i) => v.getInt16(i * 2);
    case "uint16":
      return (i) => v.getUint16(i * 2);
    case "int32":
      return (i) => v.getInt32(i * 4);
    case "uint32":
      return (i) => v.getUint32(i * 4);
    case "int64":
      return (i) => v.getBigInt64(i * 8);
    case "uint64":
      return (i) => v.getBigUint64(i * 8);
    case "float32":
      return (i) => v.getFloat32(i * 4);
    case "float64":
      return (i) => v.getFloat64(i * 8);
    case "char":
      throw new Error("unreachable: char attributes are decoded as text");
  }
}
