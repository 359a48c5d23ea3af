/**
 * Undoing an HDF5 filter pipeline made of deflate (1), shuffle (2) and fletcher32 (3), in
 * reverse pipeline order, skipping filters the chunk's mask says were not applied. Inflate runs
 * on libuv's thread pool (node:zlib), bounded to the chunk's expected size.
 */
import { promisify } from "node:util";
import { inflate as inflateCb } from "node:zlib";
import { byteUnshuffle } from "../../util/byte-shuffle.js";

const inflateAsync = promisify(inflateCb);

export const DEFLATE = 1;
export const SHUFFLE = 2;
export const FLETCHER32 = 3;

export interface RawFilter {
  id: number;
  cd_values: number[];
}

/** Whether the raw path can undo this pipeline. */
export function rawFilters(filters: RawFilter[]): boolean {
  return filters.every((f) => f.id === DEFLATE || f.id === SHUFFLE || f.id === FLETCHER32);
}

/** A chunk that fails its checksum or does not inflate; the caller names file and variable. */
export class ChunkDataError extends Error {}

/**
 * Decode one stored chunk to `expected` bytes. The result may share memory with `stored`; when
 * the last step is an unshuffle and `target` (of `expected` bytes) is given, it lands there.
 */
export async function decodeChunk(
  stored: Uint8Array,
  filters: RawFilter[],
  mask: number,
  elementSize: number,
  expected: number,
  target?: Uint8Array,
): Promise<Uint8Array> {
  let data = stored;
  let last = -1;
  for (let i = 0; i < filters.length && last < 0; i++) if (!(mask & (1 << i))) last = i;
  for (let i = filters.length - 1; i >= 0; i--) {
    if (mask & (1 << i)) continue;
    const f = filters[i];
    if (f.id === FLETCHER32) data = stripFletcher32(data);
    else if (f.id === SHUFFLE) {
      const into = i === last && data.length === expected ? target : undefined;
      data = unshuffle(data, f.cd_values[0] ?? elementSize, into);
    } else if (f.id === DEFLATE) data = await inflate(data, expected);
    else throw new ChunkDataError(`filter ${f.id} is not supported`);
  }
  if (data.length !== expected) {
    throw new ChunkDataError(`chunk decodes to ${data.length} bytes, expected ${expected}`);
  }
  return data;
}

async function inflate(data: Uint8Array, expected: number): Promise<Uint8Array> {
  // A fletcher32 listed before deflate leaves 4 more bytes inside the deflate stream. The output
  // buffer has room beyond `expected` because node:zlib allocates a second whole buffer to
  // look for the stream's end when the first one fills exactly.
  const limit = expected + 64;
  try {
    return await inflateAsync(data, { chunkSize: limit, maxOutputLength: limit });
  } catch (err) {
    throw new ChunkDataError(`deflate stream is corrupt: ${(err as Error).message}`);
  }
}

function stripFletcher32(data: Uint8Array): Uint8Array {
  if (data.length < 4) throw new ChunkDataError("chunk too short for its fletcher32 checksum");
  const body = data.subarray(0, data.length - 4);
  const t = data.length - 4;
  const stored = (data[t] | (data[t + 1] << 8) | (data[t + 2] << 16) | (data[t + 3] << 24)) >>> 0;
  const sum = fletcher32(body);
  // libhdf5 before 1.6.3 stored the checksum byte-swapped; it still accepts both.
  const swapped =
    (((sum & 0xff) << 24) | ((sum & 0xff00) << 8) | ((sum >>> 8) & 0xff00) | (sum >>> 24)) >>> 0;
  if (stored !== sum && stored !== swapped) {
    throw new ChunkDataError("fletcher32 checksum mismatch");
  }
  return body;
}

/** HDF5's fletcher32 (H5_checksum_fletcher32): 16-bit big-endian words, sums folded to 16 bits. */
export function fletcher32(data: Uint8Array): number {
  let sum1 = 0;
  let sum2 = 0;
  let i = 0;
  let words = data.length >>> 1;
  while (words > 0) {
    const n = Math.min(words, 360);
    words -= n;
    for (let k = 0; k < n; k++) {
      sum1 += (data[i] << 8) | data[i + 1];
      sum2 += sum1;
      i += 2;
    }
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  if (data.length & 1) {
    sum1 += data[i] << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  return ((sum2 << 16) | sum1) >>> 0;
}

/** Undo the byte shuffle: byte b of element i sits at b * n + i; a remainder is left as is. */
export function unshuffle(data: Uint8Array, size: number, target?: Uint8Array): Uint8Array {
  if (size <= 1 || data.length < size) {
    if (!target) return data;
    target.set(data);
    return target;
  }
  const out = target && target.length === data.length ? target : new Uint8Array(data.length);
  byteUnshuffle(data, out, size);
  if (target && out !== target) {
    target.set(out);
    return target;
  }
  return out;
}
