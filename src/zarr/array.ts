/**
 * Chunk encoding and decoding for one array.
 *
 *   encodeChunk(meta, data, dataShape): Uint8Array
 *       `data` (C order, shape `dataShape` <= storedChunk(meta) per dimension: the chunk, or the
 *       shard of a sharded array) is padded to that whole shape with the fill value (zarr stores
 *       whole chunks, also at the array's edges),
 *       then run through the array's codec pipeline (pipeline/pipeline.ts: serialised by its
 *       array→bytes codec, compressed by its bytes→bytes codecs). The result
 *       always owns its whole ArrayBuffer (offset 0, exact length, not shared with `data`), so it
 *       can be listed in a postMessage transfer list without copying or detaching anything else
 *       (Node's zlib, for one, returns slices of a shared pool).
 *   decodeChunk(meta, bytes): DataArray           always the full storedChunk(meta) shape
 *   emptyChunk(meta): DataArray                   one of fill values (what a missing key reads as)
 *   chunkGrid(meta): number[]                     grid cells (shards when sharded) per dimension
 *   chunkExtent(meta, index): number[]            the part of grid cell `index` inside the array
 *
 * "Chunk" in these names is the chunk grid's cell, the unit behind one store key; a sharded
 * array's shard is one (its inner chunks are the sharding codec's business).
 *
 * Element types must match the dtype exactly (Float32Array for float32, BigInt64Array for int64,
 * Uint8Array for char, string[] for string): silently converting would hide a packing bug.
 */
import { ARRAY_TYPES, type DataArray, type DType } from "../dataset/types.js";
import { ConversionError, ZarrifyError } from "../errors.js";
import { filledArray } from "./codecs/bytes.js";
import { type ArrayMeta, storedChunk } from "./metadata.js";
import { copyBox, product } from "./nd.js";
import { padValue } from "./pipeline/codec.js";
import {
  decodeArray,
  decodeCompressed,
  encodeChunkBytes,
  pipelineFor,
  shardingOf,
} from "./pipeline/pipeline.js";
import { encodeShard } from "./pipeline/sharding.js";

const CTOR: Record<Exclude<DType, "string">, new (n: number) => ArrayBufferView> = ARRAY_TYPES;

function checkType(meta: ArrayMeta, data: DataArray): void {
  const ok = meta.dtype === "string" ? Array.isArray(data) : data instanceof CTOR[meta.dtype];
  if (!ok) {
    const got = Array.isArray(data) ? "Array" : data.constructor.name;
    const want = meta.dtype === "string" ? "string[]" : CTOR[meta.dtype].name;
    throw new ConversionError(
      `Array ${meta.path}: got ${got} data for dtype ${meta.dtype} (expected ${want}).`,
    );
  }
}

export function chunkGrid(meta: ArrayMeta): number[] {
  const cell = storedChunk(meta);
  return meta.shape.map((s, i) => Math.ceil(s / cell[i]));
}

export function chunkExtent(meta: ArrayMeta, index: readonly number[]): number[] {
  return storedChunk(meta).map((c, i) => Math.max(0, Math.min(c, meta.shape[i] - index[i] * c)));
}

export function emptyChunk(meta: ArrayMeta): DataArray {
  const n = product(storedChunk(meta));
  const fill = padValue(meta.dtype, meta.fillValue);
  if (meta.dtype === "string") return new Array<string>(n).fill(fill as string);
  return filledArray(meta.dtype, n, fill as number | bigint);
}

export function encodeChunk(
  meta: ArrayMeta,
  data: DataArray,
  dataShape: readonly number[],
): Uint8Array {
  checkType(meta, data);
  const chunks = storedChunk(meta);
  if (dataShape.length !== chunks.length) {
    throw new ConversionError(
      `Array ${meta.path}: chunk data has ${dataShape.length} dimensions, the array ${chunks.length}.`,
    );
  }
  if (dataShape.some((s, i) => s > chunks[i] || s < 0)) {
    throw new ConversionError(
      `Array ${meta.path}: chunk data [${dataShape}] exceeds the chunk shape [${chunks}].`,
    );
  }
  if (product(dataShape) !== data.length) {
    throw new ConversionError(
      `Array ${meta.path}: chunk data has ${data.length} elements, shape [${dataShape}] needs ${product(dataShape)}.`,
    );
  }
  const pipeline = pipelineFor(meta);
  // A shard pads each inner chunk on its own (encodeShard), not the whole shard first.
  const sharding = shardingOf(pipeline);
  let full = data;
  if (!sharding && dataShape.some((s, i) => s !== chunks[i])) {
    full = emptyChunk(meta);
    const zeros = dataShape.map(() => 0);
    copyBox(data, dataShape, zeros, full, chunks, zeros, dataShape);
  }
  let out: Uint8Array;
  try {
    out = sharding
      ? encodeShard(sharding, data, dataShape, chunks)
      : encodeChunkBytes(pipeline, full, chunks);
  } catch (err) {
    // Our own errors (a chunk too large for blosc) already say what to do; a codec's plain
    // Error (a string longer than a fixed-length string array holds) gets the array's name.
    if (err instanceof ZarrifyError) throw err;
    throw new ConversionError(`Array ${meta.path}: ${(err as Error).message}`, { cause: err });
  }
  return own(out, data);
}

/** `out` as a buffer of its own, whole and not shared with `data` (see the header). */
function own(out: Uint8Array, data: DataArray): Uint8Array {
  const owns =
    out.byteOffset === 0 &&
    out.byteLength === out.buffer.byteLength &&
    !Buffer.isBuffer(out) &&
    (Array.isArray(data) || out.buffer !== data.buffer);
  return owns ? out : new Uint8Array(out); // new Uint8Array copies (Buffer#slice would not)
}

export function decodeChunk(meta: ArrayMeta, bytes: Uint8Array): DataArray {
  const pipeline = pipelineFor(meta);
  let raw: Uint8Array;
  try {
    raw = decodeCompressed(pipeline, bytes);
  } catch (err) {
    throw new ConversionError(
      `Array ${meta.path}: cannot decompress chunk: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    // Decompressors return fresh buffers; only a pipeline without one hands back `bytes` itself,
    // which the caller still holds, so the array→bytes codec must copy it then.
    return decodeArray(pipeline, raw, storedChunk(meta), raw !== bytes);
  } catch (err) {
    throw new ConversionError(`Array ${meta.path}: ${(err as Error).message}`, { cause: err });
  }
}
