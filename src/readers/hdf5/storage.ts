/**
 * Where a dataset's values are stored, from its object header: the data layout message
 * (compact, contiguous, or chunked with its chunk index), the fill value message (what
 * unallocated storage reads as) and the datatype (element size, byte order). Versions and
 * variants the raw path does not read throw FormatError, which keeps the dataset on h5wasm.
 */
import { parseDatatype, type RawType } from "./datatype.js";
import { FormatError, type LeReader, UNDEFINED_ADDRESS } from "./le-reader.js";
import { type HeaderMessage, MSG, MSG_SHARED, readObjectHeader } from "./object-header.js";
import type { RawFile } from "./raw-file.js";

/** Chunk index types of layout message version 4 (version 3 always uses a v1 B-tree). */
export const INDEX = {
  BTREE_V1: 0,
  SINGLE: 1,
  IMPLICIT: 2,
  FIXED_ARRAY: 3,
  EXTENSIBLE_ARRAY: 4,
  BTREE_V2: 5,
} as const;

export const INDEX_NAMES = [
  "v1 B-tree",
  "single chunk",
  "implicit",
  "fixed array",
  "extensible array",
  "v2 B-tree",
];

export type Layout =
  | { kind: "compact"; data: Uint8Array }
  /** size -1: not recorded (layout versions 1–2); it is the dataspace's. */
  | { kind: "contiguous"; address: number; size: number }
  | {
      kind: "chunked";
      /** Chunk shape in elements, one per dataset axis. */
      chunk: number[];
      index: number;
      address: number;
      /** Single-chunk index of a filtered dataset: the chunk's stored size and filter mask. */
      single?: { size: number; mask: number };
      /** Fixed array page bits, extensible array parameters, v2 B-tree node size, … */
      params: number[];
      /** Edge chunks were stored without filters (layout flag 0). */
      unfilteredEdges: boolean;
    };

/** What unallocated storage reads as: these bytes per element, or undecidable (stay on h5wasm). */
export type Fill = { kind: "value"; bytes: Uint8Array } | { kind: "unknown" };

export interface Storage {
  type: RawType;
  /** Current extent, per the dataspace message. */
  dims: number[];
  /** Maximum extent; Infinity on unlimited axes. */
  maxdims: number[];
  layout: Layout;
  fill: Fill;
}

export async function readStorage(file: RawFile, address: number): Promise<Storage> {
  const messages = await readObjectHeader(file, address);
  const find = (type: number) => messages.find((m) => m.type === type);
  const typeMsg = find(MSG.DATATYPE);
  const layoutMsg = find(MSG.LAYOUT);
  if (!typeMsg || !layoutMsg) throw new FormatError("no datatype or layout message");
  // Values in other files (the layout's address is then undefined, not "unallocated").
  if (find(MSG.EXTERNAL_FILES)) throw new FormatError("data in external files");
  const type = await datatype(file, typeMsg);
  const { dims, maxdims } = parseDataspace(file, find(MSG.DATASPACE));
  const layout = parseLayout(file.reader(layoutMsg.data), dims.length, type.size);
  return { type, dims, maxdims, layout, fill: parseFill(file, find(MSG.FILL_VALUE), type.size) };
}

/** The dataspace message (0x0001): current and maximum extent (Infinity: unlimited). */
function parseDataspace(
  file: RawFile,
  m: HeaderMessage | undefined,
): { dims: number[]; maxdims: number[] } {
  if (!m || m.flags & MSG_SHARED) throw new FormatError("no dataspace message");
  const r = file.reader(m.data);
  const version = r.u8();
  const rank = r.u8();
  const flags = r.u8();
  if (version === 1) r.skip(5);
  else if (version === 2) r.skip(1);
  else throw new FormatError(`dataspace message version ${version}`);
  const dims = Array.from({ length: rank }, () => r.length());
  const maxdims =
    flags & 1
      ? Array.from({ length: rank }, () => {
          const v = r.uint(file.superblock.lengthSize);
          return v === UNDEFINED_ADDRESS ? Number.POSITIVE_INFINITY : v;
        })
      : dims.slice();
  return { dims, maxdims };
}

async function datatype(file: RawFile, msg: HeaderMessage): Promise<RawType> {
  if (!(msg.flags & MSG_SHARED)) return parseDatatype(file.reader(msg.data));
  // A committed (named) datatype, as netCDF-4 enums are: the type lives in its own header.
  const r = file.reader(msg.data);
  const version = r.u8();
  const kind = r.u8();
  if ((version !== 2 && version !== 3) || (version === 3 && kind !== 2)) {
    throw new FormatError(`shared datatype message version ${version} type ${kind}`);
  }
  const target = await readObjectHeader(file, r.address());
  const own = target.find((m) => m.type === MSG.DATATYPE && !(m.flags & MSG_SHARED));
  if (!own) throw new FormatError("committed datatype without a datatype message");
  return parseDatatype(file.reader(own.data));
}

function parseLayout(r: LeReader, rank: number, elementSize: number): Layout {
  const version = r.u8();
  if (version === 1 || version === 2) return parseOldLayout(r, rank, elementSize);
  // Version 5 (libhdf5 2.0 with libver latest) is laid out as version 4.
  if (version < 3 || version > 5) throw new FormatError(`layout message version ${version}`);
  const cls = r.u8();
  if (cls === 0) {
    const size = r.u16();
    return { kind: "compact", data: r.take(size) };
  }
  if (cls === 1) return { kind: "contiguous", address: r.address(), size: r.length() };
  if (cls !== 2) throw new FormatError(`layout class ${cls}`);
  if (version === 3) {
    const ndims = r.u8();
    const address = r.address();
    const dims = Array.from({ length: ndims }, () => r.u32());
    return chunked(dims, rank, elementSize, INDEX.BTREE_V1, address, [], false);
  }
  const flags = r.u8();
  const ndims = r.u8();
  const width = r.u8();
  const dims = Array.from({ length: ndims }, () => r.uint(width));
  const index = r.u8();
  let single: { size: number; mask: number } | undefined;
  const params: number[] = [];
  switch (index) {
    case INDEX.SINGLE:
      if (flags & 0x02) single = { size: r.length(), mask: r.u32() };
      break;
    case INDEX.IMPLICIT:
      break;
    case INDEX.FIXED_ARRAY:
      params.push(r.u8());
      break;
    case INDEX.EXTENSIBLE_ARRAY:
      for (let i = 0; i < 5; i++) params.push(r.u8());
      break;
    case INDEX.BTREE_V2:
      params.push(r.u32(), r.u8(), r.u8());
      break;
    default:
      throw new FormatError(`chunk index type ${index}`);
  }
  const layout = chunked(dims, rank, elementSize, index, r.address(), params, (flags & 1) !== 0);
  if (single && layout.kind === "chunked") layout.single = single;
  return layout;
}

/** Layout message versions 1 and 2 (files from libhdf5 before 1.6.3). */
function parseOldLayout(r: LeReader, rank: number, elementSize: number): Layout {
  const ndims = r.u8();
  const cls = r.u8();
  r.skip(5);
  const address = cls === 0 ? UNDEFINED_ADDRESS : r.address();
  const dims = Array.from({ length: ndims }, () => r.u32());
  if (cls === 0) return { kind: "compact", data: r.take(r.u32()) };
  // Contiguous: the size is the dataspace's, which the caller knows.
  if (cls === 1) return { kind: "contiguous", address, size: -1 };
  if (cls !== 2) throw new FormatError(`layout class ${cls}`);
  return chunked(dims, rank, elementSize, INDEX.BTREE_V1, address, [], false);
}

function chunked(
  dims: number[],
  rank: number,
  elementSize: number,
  index: number,
  address: number,
  params: number[],
  unfilteredEdges: boolean,
): Layout {
  // The last "dimension" is the element size.
  if (dims.length !== rank + 1 || dims[rank] !== elementSize) {
    throw new FormatError(`chunk dimensions [${dims}] do not fit rank ${rank}`);
  }
  const chunk = dims.slice(0, rank);
  if (chunk.some((c) => !Number.isInteger(c) || c < 1)) {
    throw new FormatError(`chunk dimensions [${dims}]`);
  }
  return { kind: "chunked", chunk, index, address, params, unfilteredEdges };
}

/**
 * The fill value message (version 1–3). libhdf5 fills a read of unallocated storage with the
 * fill value unless the fill time is "never", or is "if set" and no value was set; for those
 * (and for shared or missing messages) the answer is "unknown" and such reads stay on h5wasm.
 */
function parseFill(file: RawFile, msg: HeaderMessage | undefined, size: number): Fill {
  const unknown: Fill = { kind: "unknown" };
  if (!msg || msg.flags & MSG_SHARED) return unknown;
  const r = file.reader(msg.data);
  const version = r.u8();
  let fillTime: number;
  let value: Uint8Array | undefined;
  let isDefault = false;
  if (version === 1 || version === 2) {
    r.u8(); // space allocation time
    fillTime = r.u8();
    const defined = r.u8();
    if (version === 2 && defined === 0) return unknown;
    const n = r.u32();
    if (n === 0) {
      if (version === 1 && defined === 0) return unknown;
      isDefault = true;
    } else {
      value = r.take(n);
    }
  } else if (version === 3) {
    const flags = r.u8();
    fillTime = (flags >> 2) & 3;
    if (flags & 0x10) return unknown; // fill value undefined
    if (flags & 0x20) {
      const n = r.u32();
      if (n === 0) isDefault = true;
      else value = r.take(n);
    } else {
      isDefault = true;
    }
  } else {
    return unknown;
  }
  if (fillTime === 1) return unknown; // never
  if (value) return value.length === size ? { kind: "value", bytes: value.slice() } : unknown;
  return isDefault ? { kind: "value", bytes: new Uint8Array(size) } : unknown;
}

export { UNDEFINED_ADDRESS };
