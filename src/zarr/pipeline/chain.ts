/**
 * A codec pipeline as data, and running it: what the array layer and the sharding codec (whose
 * inner chunks go through a pipeline of their own) both call. Building pipelines and their JSON
 * forms is pipeline.ts's job.
 *
 *   encodeChunkBytes(pipeline, chunk, shape): Uint8Array
 *   decodeCompressed(pipeline, bytes): Uint8Array    undoes the bytes→bytes codecs only
 *   decodeArray(pipeline, raw, shape, owned): DataArray
 */
import type { DataArray } from "../../dataset/types.js";
import type { ArrayToArrayCodec, ArrayToBytesCodec, BytesToBytesCodec } from "./codec.js";

export interface CodecPipeline {
  readonly arrayToArray: readonly ArrayToArrayCodec[];
  readonly arrayToBytes: ArrayToBytesCodec;
  readonly bytesToBytes: readonly BytesToBytesCodec[];
}

/**
 * Array→array codecs, the serializer, then bytes→bytes codecs. The serializer may return a view
 * of `chunk` (bytes on a little-endian host); no codec writes into its input, so that is safe.
 */
export function encodeChunkBytes(
  pipeline: CodecPipeline,
  chunk: DataArray,
  shape: readonly number[],
): Uint8Array {
  let data = chunk;
  let dataShape = shape;
  for (const c of pipeline.arrayToArray) {
    data = c.encode(data, dataShape);
    dataShape = c.encodedShape(dataShape);
  }
  let bytes = pipeline.arrayToBytes.encode(data, dataShape);
  for (const c of pipeline.bytesToBytes) bytes = c.encode(bytes);
  return bytes;
}

/** The bytes→bytes codecs undone, last first: what the array→bytes codec decodes. */
export function decodeCompressed(pipeline: CodecPipeline, bytes: Uint8Array): Uint8Array {
  let out = bytes;
  for (let i = pipeline.bytesToBytes.length - 1; i >= 0; i--) {
    out = pipeline.bytesToBytes[i].decode(out);
  }
  return out;
}

/** Undoes the array→bytes and array→array codecs (`shape`: the chunk's shape, decoded). */
export function decodeArray(
  pipeline: CodecPipeline,
  raw: Uint8Array,
  shape: readonly number[],
  owned: boolean,
): DataArray {
  const a2a = pipeline.arrayToArray;
  if (a2a.length === 0) return pipeline.arrayToBytes.decode(raw, shape, owned);
  // shapes[i]: what array→array codec i is given when encoding.
  const shapes: (readonly number[])[] = [shape];
  for (const c of a2a) shapes.push(c.encodedShape(shapes[shapes.length - 1]));
  let data = pipeline.arrayToBytes.decode(raw, shapes[a2a.length], owned);
  for (let i = a2a.length - 1; i >= 0; i--) data = a2a[i].decode(data, shapes[i]);
  return data;
}
