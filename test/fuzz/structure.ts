/**
 * Where the fields of real files are, so corruptions are made by editing a named field of a
 * parsed structure instead of an offset that fits one build: a NetCDF-3 header walker, and for
 * HDF5 the superblock (v2/v3), v2 object headers ("OHDR"/"OCHK") with their messages, v1 chunk
 * B-tree nodes, and the Jenkins lookup3 checksum libhdf5 verifies on the checksummed ones (an
 * edit that is not re-checksummed only tests the checksum check).
 */
import { SIZE as NC3_TYPE_BYTES } from "../readers/netcdf3-builder.js";

// --------------------------------------------------------------------------------- NetCDF-3

export interface Nc3Attr {
  name: string;
  nameLenAt: number;
  typeAt: number;
  nelemsAt: number;
}

export interface Nc3Var {
  name: string;
  nameLenAt: number;
  rankAt: number;
  dimIds: number[];
  attrCountAt: number;
  attrs: Nc3Attr[];
  typeAt: number;
  vsizeAt: number;
  beginAt: number;
  begin: number;
}

export interface Nc3Fields {
  version: 1 | 2 | 5;
  /** Bytes of a count/length field (8 in CDF-5) and of an offset (4 in CDF-1). */
  sizeBytes: 4 | 8;
  offsetBytes: 4 | 8;
  numrecsAt: number;
  dimCountAt: number;
  dims: { name: string; nameLenAt: number; lengthAt: number; length: number }[];
  gattCountAt: number;
  gatts: Nc3Attr[];
  varCountAt: number;
  vars: Nc3Var[];
  headerEnd: number;
}

const pad4 = (n: number) => n + ((4 - (n % 4)) % 4);

/** Walks a well-formed NetCDF-3 header (the files this is used on are known good). */
export function nc3Fields(b: Uint8Array): Nc3Fields {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = b[3] as 1 | 2 | 5;
  const sizeBytes = version === 5 ? 8 : 4;
  const offsetBytes = version === 1 ? 4 : 8;
  let p = 4;
  const size = () => {
    const x = sizeBytes === 8 ? Number(v.getBigUint64(p)) : v.getUint32(p);
    p += sizeBytes;
    return x;
  };
  const offset = () => {
    const x = offsetBytes === 8 ? Number(v.getBigUint64(p)) : v.getUint32(p);
    p += offsetBytes;
    return x;
  };
  const name = () => {
    const at = p;
    const n = size();
    const s = Buffer.from(b.subarray(p, p + n)).toString("utf8");
    p += pad4(n);
    return { name: s, nameLenAt: at };
  };
  const attrs = (): { countAt: number; list: Nc3Attr[] } => {
    p += 4; // tag
    const countAt = p;
    const n = size();
    const list: Nc3Attr[] = [];
    for (let i = 0; i < n; i++) {
      const nm = name();
      const typeAt = p;
      const type = v.getUint32(p);
      p += 4;
      const nelemsAt = p;
      const ne = size();
      p += pad4(ne * NC3_TYPE_BYTES[type]);
      list.push({ ...nm, typeAt, nelemsAt });
    }
    return { countAt, list };
  };
  const numrecsAt = p;
  p += sizeBytes;
  p += 4;
  const dimCountAt = p;
  const ndims = size();
  const dims: Nc3Fields["dims"] = [];
  for (let i = 0; i < ndims; i++) {
    const nm = name();
    const lengthAt = p;
    dims.push({ ...nm, lengthAt, length: size() });
  }
  const g = attrs();
  p += 4;
  const varCountAt = p;
  const nvars = size();
  const vars: Nc3Var[] = [];
  for (let i = 0; i < nvars; i++) {
    const nm = name();
    const rankAt = p;
    const rank = size();
    const dimIds = Array.from({ length: rank }, size);
    const a = attrs();
    const typeAt = p;
    p += 4;
    const vsizeAt = p;
    p += sizeBytes;
    const beginAt = p;
    const begin = offset();
    vars.push({
      ...nm,
      rankAt,
      dimIds,
      attrCountAt: a.countAt,
      attrs: a.list,
      typeAt,
      vsizeAt,
      beginAt,
      begin,
    });
  }
  return {
    version,
    sizeBytes,
    offsetBytes,
    numrecsAt,
    dimCountAt,
    dims,
    gattCountAt: g.countAt,
    gatts: g.list,
    varCountAt,
    vars,
    headerEnd: p,
  };
}

/** Big-endian unsigned integer of `width` bytes at `at`. */
export function putBE(b: Uint8Array, at: number, width: number, value: bigint | number): void {
  const x = BigInt.asUintN(width * 8, BigInt(value));
  for (let i = 0; i < width; i++) b[at + i] = Number((x >> BigInt(8 * (width - 1 - i))) & 0xffn);
}

// ------------------------------------------------------------------------------------- HDF5

/** Little-endian unsigned integer of `width` bytes at `at`. */
export function putLE(b: Uint8Array, at: number, width: number, value: bigint | number): void {
  const x = BigInt.asUintN(width * 8, BigInt(value));
  for (let i = 0; i < width; i++) b[at + i] = Number((x >> BigInt(8 * i)) & 0xffn);
}

export function getLE(b: Uint8Array, at: number, width: number): number {
  let x = 0;
  for (let i = width - 1; i >= 0; i--) x = x * 256 + b[at + i];
  return x;
}

const rot = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** Bob Jenkins' lookup3 hashlittle, which libhdf5 uses for metadata checksums. */
export function lookup3(key: Uint8Array, initval = 0): number {
  let length = key.length;
  let a = (0xdeadbeef + length + initval) >>> 0;
  let b = a;
  let c = a;
  let k = 0;
  const word = (i: number) =>
    (key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24)) >>> 0;
  while (length > 12) {
    a = (a + word(k)) >>> 0;
    b = (b + word(k + 4)) >>> 0;
    c = (c + word(k + 8)) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c;
  const tail = (i: number) => (i < length ? key[k + i] : 0);
  a = (a + (tail(0) | (tail(1) << 8) | (tail(2) << 16) | (tail(3) << 24))) >>> 0;
  b = (b + (tail(4) | (tail(5) << 8) | (tail(6) << 16) | (tail(7) << 24))) >>> 0;
  c = (c + (tail(8) | (tail(9) << 8) | (tail(10) << 16) | (tail(11) << 24))) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 24)) >>> 0;
  return c;
}

/** Stores the lookup3 checksum of [from, to) at `to`. */
export function checksum(b: Uint8Array, from: number, to: number): void {
  if (!(from >= 0 && from < to && to + 4 <= b.length)) throw new Error("checksum out of range");
  putLE(b, to, 4, lookup3(b.subarray(from, to)));
}

export interface Superblock2 {
  at: number;
  offsetSize: number;
  lengthSize: number;
  eofAt: number;
  rootAt: number;
  checksumAt: number;
}

/** A version 2 or 3 superblock (what every fixture of ours has). */
export function superblock(b: Uint8Array): Superblock2 {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  for (let at = 0; at + 48 <= b.length; at = at === 0 ? 512 : at * 2) {
    if (!sig.every((x, i) => b[at + i] === x)) continue;
    const version = b[at + 8];
    if (version !== 2 && version !== 3) throw new Error(`superblock version ${version}`);
    const O = b[at + 9];
    const L = b[at + 10];
    const base = at + 12;
    return {
      at,
      offsetSize: O,
      lengthSize: L,
      eofAt: base + 2 * O,
      rootAt: base + 3 * O,
      checksumAt: base + 4 * O,
    };
  }
  throw new Error("no v2/v3 superblock");
}

export function fixSuperblock(b: Uint8Array): void {
  const s = superblock(b);
  checksum(b, s.at, s.checksumAt);
}

/** Sets the end-of-file address to the file's length (after appending), re-checksummed. */
export function setEof(b: Uint8Array, eof = b.length): void {
  const s = superblock(b);
  putLE(b, s.eofAt, s.offsetSize, eof - s.at);
  checksum(b, s.at, s.checksumAt);
}

export interface HeaderMessage {
  type: number;
  /** Offset of the message's type byte. */
  headerAt: number;
  /** Offset of its data, and its length. */
  dataAt: number;
  size: number;
}

export interface HeaderBlock {
  /** Checksummed span [from, checksumAt), checksum at checksumAt. */
  from: number;
  checksumAt: number;
}

export interface ObjectHeader {
  address: number;
  /** Messages carry a 2-byte creation order after their 4-byte header (flag 0x04). */
  orderTracked: boolean;
  messages: HeaderMessage[];
  blocks: HeaderBlock[];
}

/** A version 2 object header ("OHDR") and its continuation blocks ("OCHK"). */
export function objectHeader(b: Uint8Array, address: number, offsetSize = 8): ObjectHeader {
  const sig = Buffer.from(b.buffer, b.byteOffset + address, 4).toString("latin1");
  if (sig !== "OHDR") throw new Error(`no OHDR at ${address}`);
  const flags = b[address + 5];
  let p = address + 6;
  if (flags & 0x20) p += 16;
  if (flags & 0x10) p += 4;
  const width = 1 << (flags & 3);
  const chunk0 = getLE(b, p, width);
  p += width;
  const order = (flags & 0x04) !== 0;
  const messages: HeaderMessage[] = [];
  const blocks: HeaderBlock[] = [{ from: address, checksumAt: p + chunk0 }];
  const parse = (from: number, to: number) => {
    let q = from;
    while (q + (order ? 6 : 4) <= to) {
      const type = b[q];
      const size = getLE(b, q + 1, 2);
      const dataAt = q + (order ? 6 : 4);
      messages.push({ type, headerAt: q, dataAt, size });
      if (type === 0x10) {
        const at = getLE(b, dataAt, offsetSize);
        const len = getLE(b, dataAt + offsetSize, 8);
        pending.push([at, len]);
      }
      q = dataAt + size;
    }
  };
  const pending: [number, number][] = [];
  parse(p, p + chunk0);
  for (let i = 0; i < pending.length && i < 100; i++) {
    const [at, len] = pending[i];
    blocks.push({ from: at, checksumAt: at + len - 4 });
    parse(at + 4, at + len - 4);
  }
  return { address, orderTracked: order, messages, blocks };
}

export function fixObjectHeader(b: Uint8Array, h: ObjectHeader): void {
  for (const blk of h.blocks) checksum(b, blk.from, blk.checksumAt);
}

export const MSG_DATASPACE = 0x01;
export const MSG_LAYOUT = 0x08;
export const MSG_ATTRIBUTE = 0x0c;
export const MSG_CONTINUATION = 0x10;

/** The chunk B-tree address and chunk shape of a layout message version 3, class chunked. */
export function chunkedLayout(
  b: Uint8Array,
  m: HeaderMessage,
  offsetSize = 8,
): { btree: number; btreeAt: number; dims: number[] } {
  if (b[m.dataAt] !== 3 || b[m.dataAt + 1] !== 2) throw new Error("not a v3 chunked layout");
  const ndims = b[m.dataAt + 2];
  const btreeAt = m.dataAt + 3;
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(getLE(b, btreeAt + offsetSize + 4 * i, 4));
  return { btree: getLE(b, btreeAt, offsetSize), btreeAt, dims };
}

export interface BtreeEntry {
  sizeAt: number;
  size: number;
  childAt: number;
  child: number;
}

/** A v1 chunk B-tree node ("TREE", type 1) of a dataset of rank `rank`. */
export function btreeNode(
  b: Uint8Array,
  address: number,
  rank: number,
  offsetSize = 8,
): { levelAt: number; level: number; entries: BtreeEntry[] } {
  const sig = Buffer.from(b.buffer, b.byteOffset + address, 4).toString("latin1");
  if (sig !== "TREE" || b[address + 4] !== 1) throw new Error(`no chunk B-tree node at ${address}`);
  const level = b[address + 5];
  const n = getLE(b, address + 6, 2);
  const keySize = 8 + 8 * (rank + 1);
  let p = address + 8 + 2 * offsetSize;
  const entries: BtreeEntry[] = [];
  for (let i = 0; i < n; i++) {
    const sizeAt = p;
    const size = getLE(b, p, 4);
    p += keySize;
    entries.push({ sizeAt, size, childAt: p, child: getLE(b, p, offsetSize) });
    p += offsetSize;
  }
  return { levelAt: address + 5, level, entries };
}

/** The object header address of `h5path` in the file at `file`, from h5wasm (as the reader does). */
export async function objectAddress(file: string, h5path: string): Promise<number> {
  const { h5module } = await import("../../src/readers/hdf5/runtime.js");
  const m = await h5module();
  const id = m.open(file, m.H5F_ACC_RDONLY, false, -1, -1);
  try {
    const ref = Uint8Array.from(m.create_object_reference(id, h5path));
    return Number(new DataView(ref.buffer).getBigUint64(0, true));
  } finally {
    m.close_file(id);
  }
}
