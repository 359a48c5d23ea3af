/**
 * Hyperslab reads through h5wasm's WASM heap. A large request is split into pieces of at most
 * MAX_PIECE_BYTES along its outermost axis, cut at source-chunk boundaries where possible so no
 * chunk is inflated twice (h5wasm's chunk cache is 1 MiB and not settable), and each piece is
 * copied straight into the caller's buffer — the WASM heap never grows past one piece.
 */
import type { DataArray, NumericArray } from "../../dataset/types.js";
import { product } from "../../util/shape.js";
import { allocate, type H5Module, vlenStrings } from "./runtime.js";
import type { Encoding } from "./types.js";

export const MAX_PIECE_BYTES = 8 * 2 ** 20;

export interface SlabSource {
  module: H5Module;
  fileId: bigint;
  path: string;
  rank: number;
  encoding: Encoding;
  elementSize: number;
  /** Source chunk shape, for aligning pieces; undefined when contiguous. */
  chunks?: number[];
}

/** Raw bytes (or strings) of one hyperslab small enough to read in a single H5Dread. */
function readPiece(
  src: SlabSource,
  start: number[],
  count: number[],
  target: Uint8Array | string[],
  targetOffset: number,
): void {
  const m = src.module;
  const elements = product(count);
  if (elements === 0) return;
  const nbytes = elements * src.elementSize;
  const ptr = allocate(m, nbytes);
  const scalar = src.rank === 0;
  const counts = count.map(BigInt);
  try {
    m.get_dataset_data(
      src.fileId,
      src.path,
      scalar ? null : counts,
      scalar ? null : start.map(BigInt),
      scalar ? null : count.map(() => 1n),
      BigInt(ptr),
    );
    if (Array.isArray(target)) {
      try {
        const strings = vlenStrings(m, ptr, elements);
        for (let i = 0; i < elements; i++) target[targetOffset + i] = strings[i];
      } finally {
        if (scalar) m.reclaim_vlen_memory(src.fileId, src.path, "", BigInt(ptr));
        else m.reclaim_vlen_memory_count(src.fileId, src.path, "", BigInt(ptr), counts);
      }
    } else {
      target.set(m.HEAPU8.subarray(ptr, ptr + nbytes), targetOffset * src.elementSize);
    }
  } finally {
    m._free(ptr);
  }
}

/**
 * Read [start, start+count) into `target` at element offset `targetOffset`, splitting along the
 * first axis with more than one index (earlier axes have count 1, so pieces stay contiguous).
 */
function readInto(
  src: SlabSource,
  start: number[],
  count: number[],
  target: Uint8Array | string[],
  targetOffset: number,
): void {
  const elementSize = src.elementSize;
  if (product(count) * elementSize <= MAX_PIECE_BYTES) {
    readPiece(src, start, count, target, targetOffset);
    return;
  }
  let axis = 0;
  while (count[axis] === 1) axis++;
  const rowElements = product(count.slice(axis + 1));
  const rowBytes = rowElements * elementSize;
  const chunk = src.chunks?.[axis] ?? 1;
  // Whole chunk rows per piece when they fit; otherwise chunks get cut (and inflated repeatedly).
  const aligned = chunk > 1 && rowBytes * chunk <= MAX_PIECE_BYTES;
  const step = aligned
    ? Math.floor(MAX_PIECE_BYTES / (rowBytes * chunk)) * chunk
    : Math.max(1, Math.floor(MAX_PIECE_BYTES / rowBytes));
  const end = start[axis] + count[axis];
  let at = start[axis];
  while (at < end) {
    // End each piece on a chunk boundary so the next piece starts on one.
    let stop = Math.min(end, at + step);
    if (aligned && stop < end) stop = Math.max(at + 1, stop - (stop % chunk));
    const pieceStart = start.slice();
    const pieceCount = count.slice();
    pieceStart[axis] = at;
    pieceCount[axis] = stop - at;
    readInto(src, pieceStart, pieceCount, target, targetOffset + (at - start[axis]) * rowElements);
    at = stop;
  }
}

/** A typed array over all of `bytes.buffer` (which must hold exactly these bytes). */
export function typedView(bytes: Uint8Array, dtype: string): NumericArray {
  const { buffer } = bytes;
  switch (dtype) {
    case "int8":
      return new Int8Array(buffer);
    case "uint8":
    case "char":
      return bytes;
    case "int16":
      return new Int16Array(buffer);
    case "uint16":
      return new Uint16Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "uint32":
      return new Uint32Array(buffer);
    case "int64":
      return new BigInt64Array(buffer);
    case "uint64":
      return new BigUint64Array(buffer);
    case "float32":
      return new Float32Array(buffer);
    default:
      return new Float64Array(buffer);
  }
}

const utf8 = new TextDecoder("utf-8");

function fixedStrings(bytes: Uint8Array, size: number): string[] {
  const n = bytes.length / size;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const element = bytes.subarray(i * size, (i + 1) * size);
    const nul = element.indexOf(0);
    out[i] = utf8.decode(nul >= 0 ? element.subarray(0, nul) : element);
  }
  return out;
}

/** Read a hyperslab that lies inside the dataset's stored extent. */
export function readSlab(
  src: SlabSource,
  dtype: string,
  start: number[],
  count: number[],
): DataArray {
  const elements = product(count);
  if (src.encoding === "vlen-string") {
    const out = new Array<string>(elements).fill("");
    readInto(src, start, count, out, 0);
    return out;
  }
  const bytes = new Uint8Array(elements * src.elementSize);
  readInto(src, start, count, bytes, 0);
  if (src.encoding === "fixed-string") return fixedStrings(bytes, src.elementSize);
  return typedView(bytes, dtype);
}
