/**
 * NetCDF-3 header parser (CDF-1, CDF-2, CDF-5). Every count and length read from the file is
 * checked against the bytes the file can still hold before anything is allocated, so a corrupt
 * header fails with a message instead of a giant allocation or a crash.
 */

import type { Attrs, DType } from "../../dataset/types.js";
import type { ByteSource } from "../byte-source.js";
import { decodeAttr } from "./attrs.js";
import { HeaderCursor } from "./cursor.js";
import { type NcType, ncType } from "./nctypes.js";

export type CdfVersion = 1 | 2 | 5;

export interface NcDim {
  name: string;
  /** 0 for the record (unlimited) dimension, whose length is numrecs. */
  size: number;
}

export interface NcVar {
  name: string;
  type: NcType;
  dimIds: number[];
  attrs: Attrs;
  attrTypes: Record<string, DType>;
  /** File offset of the variable's first byte (of its first record for record variables). */
  begin: number;
}

export interface NcHeader {
  version: CdfVersion;
  /** Number of records, or undefined for STREAMING (to be derived from the file size). */
  numrecs: number | undefined;
  dims: NcDim[];
  attrs: Attrs;
  attrTypes: Record<string, DType>;
  vars: NcVar[];
  /** File offset just past the header. */
  headerEnd: number;
}

const NC_DIMENSION = 0x0a;
const NC_VARIABLE = 0x0b;
const NC_ATTRIBUTE = 0x0c;

/** NC_MAX_VAR_DIMS in netCDF-C. */
const MAX_VAR_DIMS = 1024;
/** netCDF names are at most 256 bytes (NC_MAX_NAME); allow slack for odd writers. */
const MAX_NAME_BYTES = 64 * 1024;
/** No real header holds an attribute this big; a larger length is corruption. */
const MAX_ATTR_BYTES = 256 * 1024 * 1024;

const utf8 = new TextDecoder("utf-8");

export function magicVersion(bytes: Uint8Array): CdfVersion | undefined {
  if (bytes.length < 4 || bytes[0] !== 0x43 || bytes[1] !== 0x44 || bytes[2] !== 0x46) {
    return undefined;
  }
  const v = bytes[3];
  return v === 1 || v === 2 || v === 5 ? v : undefined;
}

export async function parseHeader(
  source: ByteSource,
  fileSize: number,
  fail: (message: string) => never,
): Promise<NcHeader> {
  if (fileSize === 0) fail("file is empty");
  const c = new HeaderCursor(source, fileSize, fail);
  await c.ensure(Math.min(4, fileSize));
  const magic = c.bytes(Math.min(4, fileSize));
  const version = magicVersion(magic);
  if (version === undefined) {
    const shown = JSON.stringify(Buffer.from(magic).toString("latin1"));
    fail(
      `bad magic: not a NetCDF-3 file (expected "CDF\\x01", "CDF\\x02" or "CDF\\x05", found ${shown})`,
    );
  }
  // CDF-5 widens counts, lengths and offsets to 64 bits; CDF-2 widens only offsets.
  const sizeBytes = version === 5 ? 8 : 4;
  const offsetBytes = version === 1 ? 4 : 8;
  const size = (what: string): number => (sizeBytes === 8 ? c.u64(what) : c.u32());
  const offset = (what: string): number => (offsetBytes === 8 ? c.u64(what) : c.u32());

  const checkCount = (count: number, minBytesEach: number, what: string): void => {
    const need = count * minBytesEach;
    if (need > c.remaining) {
      fail(
        `truncated header: expected at least ${need} bytes at offset ${c.pos} for ${count} ${what}, but the file is ${fileSize} bytes (truncated file or corrupt count)`,
      );
    }
  };

  const readName = async (what: string): Promise<string> => {
    await c.ensure(sizeBytes);
    const at = c.pos;
    const len = size(`${what} name length`);
    if (len === 0) fail(`bad header: empty ${what} name at offset ${at}`);
    if (len > MAX_NAME_BYTES) fail(`bad header: ${what} name length ${len} at offset ${at}`);
    const padded = pad4(len);
    await c.ensure(padded);
    // netCDF-C treats names as C strings: anything after a NUL is not part of the name.
    const raw = c.bytes(len);
    const nul = raw.indexOf(0);
    const name = utf8.decode(nul < 0 ? raw : raw.subarray(0, nul)).normalize("NFC");
    // Empty once cut at the NUL, or with a '/' (which netCDF-C refuses in names): no valid writer
    // makes one, and downstream it would be an empty or nested Zarr path, not a name.
    if (name.length === 0) fail(`bad header: empty ${what} name at offset ${at}`);
    if (name.includes("/")) {
      fail(`bad header: ${what} name ${JSON.stringify(name)} at offset ${at} contains '/'`);
    }
    // Padding bytes are not checked: some writers put '0' characters there
    // (netCDF-C's ref_null_byte_padding_test.nc), and netCDF-C accepts them too.
    c.skip(padded - len);
    return name;
  };

  /** The tag + count that starts a dim/att/var list; ABSENT is a zero tag with a zero count. */
  const readListHead = async (tag: number, what: string): Promise<number> => {
    await c.ensure(4 + sizeBytes);
    const at = c.pos;
    const t = c.u32();
    const n = size(`${what} count`);
    if (t === 0 && n === 0) return 0;
    if (t !== tag) {
      fail(
        `bad header: expected ${what} list tag 0x${tag.toString(16)} at offset ${at}, found 0x${t.toString(16)}`,
      );
    }
    return n;
  };

  const readAttrs = async (
    owner: string,
  ): Promise<{ attrs: Attrs; attrTypes: Record<string, DType> }> => {
    const n = await readListHead(NC_ATTRIBUTE, "attribute");
    checkCount(n, 2 * sizeBytes + 4, `attributes of ${owner}`);
    const attrs: Attrs = {};
    const attrTypes: Record<string, DType> = {};
    for (let i = 0; i < n; i++) {
      const name = await readName(`attribute of ${owner}`);
      await c.ensure(4 + sizeBytes);
      const typeAt = c.pos;
      const typeCode = c.u32();
      const type = ncType(typeCode, version);
      if (type === undefined) {
        fail(
          `bad header: attribute ${owner}:${name} has invalid type ${typeCode} at offset ${typeAt} for CDF-${version}`,
        );
      }
      const nelems = size(`length of attribute ${owner}:${name}`);
      const bytes = nelems * type.size;
      if (bytes > c.remaining || bytes > MAX_ATTR_BYTES) {
        fail(
          `truncated or corrupt header: attribute ${owner}:${name} claims ${nelems} values (${bytes} bytes) at offset ${c.pos}, file has ${c.remaining} bytes left`,
        );
      }
      const padded = pad4(bytes);
      await c.ensure(padded);
      attrs[name] = decodeAttr(name, type, c.bytes(bytes), nelems);
      attrTypes[name] = type.dtype;
      c.skip(padded - bytes);
    }
    return { attrs, attrTypes };
  };

  await c.ensure(sizeBytes);
  const numrecsRaw = sizeBytes === 8 ? c.u64Raw() : BigInt(c.u32());
  const streaming = numrecsRaw === (sizeBytes === 8 ? 0xffffffffffffffffn : 0xffffffffn);
  if (!streaming && numrecsRaw > BigInt(Number.MAX_SAFE_INTEGER)) {
    fail(`bad header: numrecs is ${numrecsRaw}`);
  }
  const numrecs = streaming ? undefined : Number(numrecsRaw);

  const ndims = await readListHead(NC_DIMENSION, "dimension");
  checkCount(ndims, 2 * sizeBytes + 4, "dimensions");
  const dims: NcDim[] = [];
  for (let i = 0; i < ndims; i++) {
    const name = await readName("dimension");
    await c.ensure(sizeBytes);
    dims.push({ name, size: size(`length of dimension ${name}`) });
  }
  if (dims.filter((d) => d.size === 0).length > 1) {
    fail("bad header: more than one unlimited dimension (NetCDF-3 allows one)");
  }

  const { attrs, attrTypes } = await readAttrs("global");

  const nvars = await readListHead(NC_VARIABLE, "variable");
  checkCount(nvars, 3 * sizeBytes + 12 + offsetBytes, "variables");
  const vars: NcVar[] = [];
  for (let i = 0; i < nvars; i++) {
    const name = await readName("variable");
    await c.ensure(sizeBytes);
    const ndimsAt = c.pos;
    const nd = size(`rank of variable ${name}`);
    if (nd > MAX_VAR_DIMS) {
      fail(
        `bad header: variable ${name} has ${nd} dimensions at offset ${ndimsAt} (at most ${MAX_VAR_DIMS})`,
      );
    }
    checkCount(nd, sizeBytes, `dimension ids of variable ${name}`);
    await c.ensure(nd * sizeBytes);
    const dimIds: number[] = [];
    for (let d = 0; d < nd; d++) {
      const id = size(`dimension id of variable ${name}`);
      if (id >= dims.length) {
        fail(
          `bad header: variable ${name} uses dimension id ${id} but the file defines ${dims.length}`,
        );
      }
      if (dims[id].size === 0 && d !== 0) {
        fail(
          `bad header: variable ${name} uses the unlimited dimension ${dims[id].name} in position ${d} (it must be first)`,
        );
      }
      dimIds.push(id);
    }
    const varAttrs = await readAttrs(name);
    await c.ensure(4 + sizeBytes + offsetBytes);
    const typeAt = c.pos;
    const typeCode = c.u32();
    const type = ncType(typeCode, version);
    if (type === undefined) {
      fail(
        `bad header: variable ${name} has invalid type ${typeCode} at offset ${typeAt} for CDF-${version}`,
      );
    }
    // vsize is redundant and wrong for variables over 4 GiB in CDF-1/2; like netCDF-C we
    // recompute it from the shape, so it is skipped here.
    c.skip(sizeBytes);
    const begin = offset(`data offset of variable ${name}`);
    vars.push({ name, type, dimIds, attrs: varAttrs.attrs, attrTypes: varAttrs.attrTypes, begin });
  }

  // Two dimensions or variables of one name: the second would silently replace the first.
  for (const [what, names] of [
    ["dimension", dims.map((d) => d.name)],
    ["variable", vars.map((v) => v.name)],
  ] as const) {
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) fail(`bad header: two ${what}s named ${JSON.stringify(twice)}`);
  }
  return { version, numrecs, dims, attrs, attrTypes, vars, headerEnd: c.pos };
}

function pad4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}
