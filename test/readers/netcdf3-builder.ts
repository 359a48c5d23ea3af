/**
 * A minimal NetCDF-3 header writer for tests: hand-made files the Python stack cannot produce
 * quickly (sparse multi-GiB files) or at all (corrupt headers).
 */

export const NC = {
  BYTE: 1,
  CHAR: 2,
  SHORT: 3,
  INT: 4,
  FLOAT: 5,
  DOUBLE: 6,
  UBYTE: 7,
  USHORT: 8,
  UINT: 9,
  INT64: 10,
  UINT64: 11,
} as const;
/** Bytes per value of each NetCDF-3 type code. */
export const SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 4,
  6: 8,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 8,
};

/** Big-endian byte writer with the NetCDF-3 primitives. */
export class Writer {
  private parts: Buffer[] = [];
  constructor(readonly version: 1 | 2 | 5) {}

  get length(): number {
    return this.parts.reduce((s, p) => s + p.length, 0);
  }
  raw(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return this.raw(b);
  }
  u64(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(v));
    return this.raw(b);
  }
  /** A count, length or dim id: 64-bit in CDF-5, 32-bit otherwise. */
  size(v: number | bigint): this {
    return this.version === 5 ? this.u64(v) : this.u32(Number(v));
  }
  /** A data offset: 32-bit in CDF-1, 64-bit otherwise. */
  offset(v: number): this {
    return this.version === 1 ? this.u32(v) : this.u64(v);
  }
  padded(b: Uint8Array): this {
    this.raw(b);
    return this.raw(new Uint8Array((4 - (b.length % 4)) % 4));
  }
  name(s: string): this {
    const b = Buffer.from(s, "utf8");
    return this.size(b.length).padded(b);
  }
  magic(): this {
    return this.raw(Buffer.from([0x43, 0x44, 0x46, this.version]));
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export interface BDim {
  name: string;
  /** 0 marks the record dimension. */
  size: number;
}
export interface BAttr {
  name: string;
  type: number;
  values: string | Array<number | bigint>;
}
export interface BVar {
  name: string;
  type: number;
  dims: number[];
  attrs?: BAttr[];
}
export interface BFile {
  version: 1 | 2 | 5;
  numrecs: number | bigint;
  dims: BDim[];
  attrs?: BAttr[];
  vars: BVar[];
}

/** Big-endian bytes of values of the given nc_type (strings as UTF-8 chars). */
export function encodeValues(type: number, values: BAttr["values"]): Buffer {
  if (typeof values === "string") return Buffer.from(values, "utf8");
  const size = SIZE[type];
  const b = Buffer.alloc(values.length * size);
  for (const [i, v] of values.entries()) writeValue(b, i * size, type, v);
  return b;
}

function writeValue(b: Buffer, at: number, type: number, v: number | bigint): void {
  switch (type) {
    case NC.BYTE:
      b.writeInt8(Number(v), at);
      break;
    case NC.CHAR:
    case NC.UBYTE:
      b.writeUInt8(Number(v), at);
      break;
    case NC.SHORT:
      b.writeInt16BE(Number(v), at);
      break;
    case NC.USHORT:
      b.writeUInt16BE(Number(v), at);
      break;
    case NC.INT:
      b.writeInt32BE(Number(v), at);
      break;
    case NC.UINT:
      b.writeUInt32BE(Number(v), at);
      break;
    case NC.FLOAT:
      b.writeFloatBE(Number(v), at);
      break;
    case NC.DOUBLE:
      b.writeDoubleBE(Number(v), at);
      break;
    case NC.INT64:
      b.writeBigInt64BE(BigInt(v), at);
      break;
    case NC.UINT64:
      b.writeBigUInt64BE(BigInt(v), at);
      break;
  }
}

function attrList(w: Writer, attrs: BAttr[] = []): void {
  if (attrs.length === 0) {
    w.u32(0).size(0);
    return;
  }
  w.u32(0x0c).size(attrs.length);
  for (const a of attrs) {
    const vals = encodeValues(a.type, a.values);
    w.name(a.name)
      .u32(a.type)
      .size(vals.length / SIZE[a.type])
      .padded(vals);
  }
}

export interface Built {
  header: Buffer;
  /** Data offset of each variable. */
  begins: number[];
  recsize: number;
  /** Total file size implied by the header and numrecs. */
  fileSize: number;
}

/** Lay the variables out the way netCDF-C does (fixed ones first, then records) and encode. */
export function buildFile(f: BFile): Built {
  // Tolerates invalid dim ids and types: tests use it to write corrupt headers too.
  const isRec = (v: BVar) => v.dims.length > 0 && f.dims[v.dims[0]]?.size === 0;
  const unpadded = (v: BVar) =>
    v.dims.reduce(
      (s, d, i) => (i === 0 && isRec(v) ? s : s * (f.dims[d]?.size ?? 1)),
      SIZE[v.type] ?? 1,
    );
  const vsize = (v: BVar) => {
    const n = unpadded(v);
    return n + ((4 - (n % 4)) % 4);
  };
  const recVars = f.vars.filter(isRec);
  const recsize =
    recVars.length === 1 ? unpadded(recVars[0]) : recVars.reduce((s, v) => s + vsize(v), 0);

  const encode = (begins: number[]): Buffer => {
    const w = new Writer(f.version).magic().size(f.numrecs);
    if (f.dims.length === 0) w.u32(0).size(0);
    else {
      w.u32(0x0a).size(f.dims.length);
      for (const d of f.dims) w.name(d.name).size(d.size);
    }
    attrList(w, f.attrs);
    if (f.vars.length === 0) w.u32(0).size(0);
    else {
      w.u32(0x0b).size(f.vars.length);
      f.vars.forEach((v, i) => {
        w.name(v.name).size(v.dims.length);
        for (const d of v.dims) w.size(d);
        attrList(w, v.attrs);
        const vs = vsize(v);
        w.u32(v.type)
          .size(f.version === 5 ? vs : Math.min(vs, 0xffffffff))
          .offset(begins[i]);
      });
    }
    return w.bytes();
  };

  const headerLength = encode(f.vars.map(() => 0)).length;
  const begins: number[] = [];
  let at = headerLength;
  f.vars.forEach((v, i) => {
    if (!isRec(v)) {
      begins[i] = at;
      at += vsize(v);
    }
  });
  f.vars.forEach((v, i) => {
    if (isRec(v)) {
      begins[i] = at;
      at += recVars.length === 1 ? unpadded(v) : vsize(v);
    }
  });
  const nrec = Number(f.numrecs) >= 0xffffffff ? 0 : Number(f.numrecs);
  const recBegin =
    recVars.length > 0
      ? Math.min(...f.vars.filter(isRec).map((v) => begins[f.vars.indexOf(v)]))
      : at;
  const fileSize = recVars.length > 0 ? recBegin + nrec * recsize : at;
  return { header: encode(begins), begins, recsize, fileSize };
}
