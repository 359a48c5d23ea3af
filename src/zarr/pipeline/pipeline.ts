/**
 * A chunk's codec pipeline in the Zarr v3 model, and its two metadata forms.
 *
 *   pipelineFor({dtype, stringLength?, compression}): CodecPipeline   cached per ArrayMeta
 *   encodeChunkBytes(pipeline, chunk, shape): Uint8Array
 *   decodeCompressed(pipeline, bytes): Uint8Array    undoes the bytes→bytes codecs only
 *   v3Codecs(pipeline): JsonObject[]                 zarr.json "codecs"
 *   v2Codecs(pipeline): { compressor, filters }      .zarray (vlen-utf8 is a v2 filter)
 *   pipelineFromV3(codecs, chunk) / pipelineFromV2(compressor, filters, chunk): CodecPipeline
 *   compressionOf(pipeline): CompressionSpec          what ArrayMeta.compression records
 *
 * ArrayMeta stays plain data (it crosses worker-thread boundaries by structured clone, which
 * drops functions), so the pipeline is derived from it rather than stored in it. Metadata
 * errors are CodecMetadataErrors; metadata-parse.ts turns them into InputErrors naming the array.
 */
import type { DataArray } from "../../dataset/types.js";
import type { CompressionSpec } from "../compression.js";
import { type Json, type JsonObject, JsonText } from "../json.js";
import { bytesCodec } from "./bytes.js";
import {
  type ArrayToArrayCodec,
  type ArrayToBytesCodec,
  type BytesToBytesCodec,
  type ChunkSpec,
  type Codec,
  chunkTypesize,
} from "./codec.js";
import { CODEC_NAMES, compressionCodec, v2Entry, v3Entry } from "./registry.js";
import { vlenUtf8Codec } from "./vlen-utf8.js";

export interface CodecPipeline {
  readonly arrayToArray: readonly ArrayToArrayCodec[];
  readonly arrayToBytes: ArrayToBytesCodec;
  readonly bytesToBytes: readonly BytesToBytesCodec[];
}

/** Metadata naming a codec zarrify cannot read, or in an order v3 does not allow. */
export class CodecMetadataError extends Error {
  readonly hint = `zarrify reads the codecs ${CODEC_NAMES.join(", ")} (one compressor at most).`;
}

/** What pipelineFor needs of an ArrayMeta (structural, so this module need not import it). */
export interface PipelineSource {
  dtype: ChunkSpec["dtype"];
  stringLength?: number;
  compression: CompressionSpec;
}

export function chunkSpecOf(source: Omit<PipelineSource, "compression">): ChunkSpec {
  return {
    dtype: source.dtype,
    typesize: chunkTypesize(source.dtype),
    ...(source.stringLength !== undefined ? { stringLength: source.stringLength } : {}),
  };
}

/** The array→bytes codec we write for an element type (as zarr-python 3 does). */
function defaultSerializer(chunk: ChunkSpec): ArrayToBytesCodec {
  return chunk.dtype === "string" && chunk.stringLength === undefined
    ? vlenUtf8Codec
    : bytesCodec(chunk);
}

export function buildPipeline(chunk: ChunkSpec, compression: CompressionSpec): CodecPipeline {
  const compressor = compressionCodec(compression, chunk.typesize);
  return {
    arrayToArray: [],
    arrayToBytes: defaultSerializer(chunk),
    bytesToBytes: compressor ? [compressor] : [],
  };
}

interface Cached {
  dtype: PipelineSource["dtype"];
  stringLength?: number;
  compression: CompressionSpec;
  pipeline: CodecPipeline;
}
const cache = new WeakMap<PipelineSource, Cached>();

/**
 * The pipeline of an array. encodeChunk calls this per chunk, so it is built once per meta
 * object and reused while the fields it depends on are the same ones.
 */
export function pipelineFor(source: PipelineSource): CodecPipeline {
  const hit = cache.get(source);
  if (
    hit &&
    hit.compression === source.compression &&
    hit.dtype === source.dtype &&
    hit.stringLength === source.stringLength
  ) {
    return hit.pipeline;
  }
  const pipeline = buildPipeline(chunkSpecOf(source), source.compression);
  const { dtype, stringLength, compression } = source;
  cache.set(source, { dtype, stringLength, compression, pipeline });
  return pipeline;
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

function codecs(pipeline: CodecPipeline): Codec[] {
  return [...pipeline.arrayToArray, pipeline.arrayToBytes, ...pipeline.bytesToBytes];
}

export function v3Codecs(pipeline: CodecPipeline): JsonObject[] {
  return codecs(pipeline).map((c) => c.v3());
}

export function v2Codecs(pipeline: CodecPipeline): {
  compressor: JsonObject | null;
  filters: JsonObject[] | null;
} {
  if (pipeline.arrayToArray.length > 0 || pipeline.bytesToBytes.length > 1) {
    // Zarr v2 has one compressor slot and no array→array codecs we could put in filters.
    throw new CodecMetadataError("this codec pipeline has no Zarr v2 form");
  }
  return {
    compressor: pipeline.bytesToBytes[0]?.v2() ?? null,
    filters: pipeline.arrayToBytes.v2Filters(),
  };
}

/** ArrayMeta records compression as one spec: a chain of compressors is not representable. */
export function compressionOf(pipeline: CodecPipeline): CompressionSpec {
  const b2b = pipeline.bytesToBytes;
  if (pipeline.arrayToArray.length > 0 || b2b.length > 1) {
    const names = codecs(pipeline).map((c) => String(c.v3().name));
    throw new CodecMetadataError(`codec chain ${names.join(" + ")} is not supported`);
  }
  return b2b.length === 0 ? { method: "none" } : { ...b2b[0].compression };
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof JsonText);
}

/** Runs a codec's builder, naming the codec in what it refuses. */
function build(label: string, make: () => Codec): Codec {
  try {
    return make();
  } catch (err) {
    throw new CodecMetadataError(`${label}: ${(err as Error).message}`, { cause: err });
  }
}

/** From zarr.json's `codecs`, in order: array→array*, array→bytes, bytes→bytes*. */
export function pipelineFromV3(json: readonly JsonObject[], chunk: ChunkSpec): CodecPipeline {
  const arrayToArray: ArrayToArrayCodec[] = [];
  let arrayToBytes: ArrayToBytesCodec | undefined;
  const bytesToBytes: BytesToBytesCodec[] = [];
  for (const c of json) {
    const name = String(c.name);
    const entry = v3Entry(name);
    if (!entry) throw new CodecMetadataError(`codec ${JSON.stringify(name)} is not supported`);
    const cfg = isObject(c.configuration) ? c.configuration : {};
    if (entry.kind === "array_to_bytes" && entry.fits && !entry.fits(chunk)) {
      throw new CodecMetadataError(
        `codec ${name} cannot serialise ${chunk.dtype} data (expected ${String(defaultSerializer(chunk).v3().name)})`,
      );
    }
    const codec = build(`codec ${name}`, () => entry.fromV3(cfg, chunk));
    const misplaced = (where: string): never => {
      throw new CodecMetadataError(`codec ${name} (${codec.kind}) cannot come ${where}`);
    };
    if (codec.kind === "array_to_array") {
      if (arrayToBytes) misplaced("after the array-to-bytes codec");
      arrayToArray.push(codec);
    } else if (codec.kind === "array_to_bytes") {
      if (arrayToBytes) misplaced("after another array-to-bytes codec");
      arrayToBytes = codec;
    } else {
      if (!arrayToBytes) misplaced("before the array-to-bytes codec");
      bytesToBytes.push(codec);
    }
  }
  if (!arrayToBytes) throw new CodecMetadataError("codecs have no array-to-bytes codec");
  return { arrayToArray, arrayToBytes, bytesToBytes };
}

/**
 * From .zarray's `compressor` and `filters`. The only filter is vlen-utf8, which is the array's
 * serializer (on "|O" strings, where it is required); every other dtype has none.
 */
export function pipelineFromV2(
  compressor: Json | undefined,
  filters: Json | undefined,
  chunk: ChunkSpec,
): CodecPipeline {
  const list = filters ?? null;
  const vlen =
    Array.isArray(list) && list.length === 1 && isObject(list[0]) && list[0].id === "vlen-utf8";
  const none = list === null || (Array.isArray(list) && list.length === 0);
  const serializer = defaultSerializer(chunk);
  if (serializer === vlenUtf8Codec ? !vlen : !none) {
    throw new CodecMetadataError(`filters ${JSON.stringify(list)} are not supported`);
  }
  const bytesToBytes: BytesToBytesCodec[] = [];
  if (compressor !== null && compressor !== undefined) {
    if (!isObject(compressor))
      throw new CodecMetadataError(`compressor ${String(compressor)} is not supported`);
    const id = String(compressor.id);
    const entry = v2Entry(id);
    if (!entry?.fromV2)
      throw new CodecMetadataError(`v2 compressor ${JSON.stringify(id)} is not supported`);
    const fromV2 = entry.fromV2;
    bytesToBytes.push(
      build(`compressor ${id}`, () => fromV2(compressor, chunk)) as BytesToBytesCodec,
    );
  }
  return { arrayToArray: [], arrayToBytes: serializer, bytesToBytes };
}
