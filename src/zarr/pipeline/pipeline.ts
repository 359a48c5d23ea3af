/**
 * A chunk's codec pipeline in the Zarr v3 model, and its two metadata forms.
 *
 *   pipelineFor(meta): CodecPipeline                 cached per ArrayMeta
 *   v3Codecs(pipeline): JsonObject[]                 zarr.json "codecs"
 *   v2Codecs(pipeline): { compressor, filters }      .zarray (vlen-utf8 is a v2 filter)
 *   pipelineFromV3(codecs, chunk) / pipelineFromV2(compressor, filters, chunk): CodecPipeline
 *   compressionOf(pipeline): CompressionSpec          what ArrayMeta.compression records
 *   shardingOf(pipeline): ShardingConfig | undefined  the sharding codec's, when it has one
 *   (running a pipeline is chain.ts's: encodeChunkBytes, decodeCompressed, decodeArray)
 *
 * A sharded array's pipeline is one sharding_indexed codec whose inner pipeline is what the same
 * array unsharded would have: the compression setting describes the inner chunks either way.
 *
 * ArrayMeta stays plain data (it crosses worker-thread boundaries by structured clone, which
 * drops functions), so the pipeline is derived from it rather than stored in it. Metadata
 * errors are CodecMetadataErrors; metadata-parse.ts turns them into InputErrors naming the array.
 */
import { v3CharFold } from "../char-fold.js";
import type { CompressionSpec } from "../compression.js";
import { type Json, type JsonObject, JsonText } from "../json.js";
import { bytesCodec } from "./bytes.js";
import type { CodecPipeline } from "./chain.js";
import {
  type ArrayToArrayCodec,
  type ArrayToBytesCodec,
  type BytesToBytesCodec,
  type ChunkSpec,
  type Codec,
  chunkTypesize,
  padValue,
} from "./codec.js";
import { CODEC_NAMES, compressionCodec, v2Entry, v3Entry } from "./registry.js";
import { isSharding, parseShardingConfig, type ShardingConfig, shardingCodec } from "./sharding.js";
import { vlenUtf8Codec } from "./vlen-utf8.js";

export type { CodecPipeline } from "./chain.js";
export { decodeArray, decodeCompressed, encodeChunkBytes } from "./chain.js";

/** Metadata naming a codec zarrify cannot read, or in an order v3 does not allow. */
export class CodecMetadataError extends Error {
  readonly hint =
    `zarrify reads the codecs ${[...CODEC_NAMES, "sharding_indexed"].join(", ")} (one compressor at most).`;
}

/** What pipelineFor needs of an ArrayMeta (structural, so this module need not import it). */
export interface PipelineSource {
  dtype: ChunkSpec["dtype"];
  stringLength?: number;
  compression: CompressionSpec;
  /** ArrayMeta's; absent is no fill (zeros). */
  fillValue?: unknown;
  /** Needed with `shards`: the inner chunk shape. */
  chunks?: readonly number[];
  /** Set: the chunk grid's cells are shards of this shape, holding `chunks`-shaped inner chunks. */
  shards?: readonly number[];
  shardIndexLocation?: "start" | "end";
  foldChars?: boolean;
}

export function chunkSpecOf(
  source: Pick<PipelineSource, "dtype" | "stringLength" | "fillValue">,
): ChunkSpec {
  return {
    dtype: source.dtype,
    typesize: chunkTypesize(source.dtype),
    fill: padValue(source.dtype, source.fillValue),
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

/** The fields of a PipelineSource its pipeline depends on, compared by identity. */
const KEYED = [
  "dtype",
  "stringLength",
  "compression",
  "fillValue",
  "chunks",
  "shards",
  "shardIndexLocation",
  "foldChars",
] as const;

interface Cached {
  fields: unknown[];
  pipeline: CodecPipeline;
}
const cache = new WeakMap<PipelineSource, Cached>();

function sharded(
  chunk: ChunkSpec,
  inner: CodecPipeline,
  innerShape: readonly number[],
  jsonInnerShape: readonly number[],
  indexLocation: "start" | "end",
): CodecPipeline {
  const codec = shardingCodec({
    chunk,
    innerShape,
    jsonInnerShape,
    inner,
    innerJson: v3Codecs(inner),
    indexLocation,
  });
  return { arrayToArray: [], arrayToBytes: codec, bytesToBytes: [] };
}

/**
 * The pipeline of an array. encodeChunk calls this per chunk, so it is built once per meta
 * object and reused while the fields it depends on are the same ones.
 */
export function pipelineFor(source: PipelineSource): CodecPipeline {
  const fields = KEYED.map((k) => source[k]);
  const hit = cache.get(source);
  if (hit?.fields.every((v, i) => Object.is(v, fields[i]))) return hit.pipeline;
  const chunk = chunkSpecOf(source);
  let pipeline = buildPipeline(chunk, source.compression);
  if (source.shards) {
    const inner = source.chunks ?? source.shards;
    // Sharding is v3 only; a folded char array's inner chunks drop the string dimension in JSON.
    const fold = v3CharFold({
      zarrFormat: 3,
      dtype: source.dtype,
      shape: inner,
      foldChars: source.foldChars,
    });
    const jsonInner = fold ? inner.slice(0, -1) : inner;
    // New shards keep their index at the end, zarr-python's default: readers fetch it with one
    // suffix request. Archives written otherwise keep their own layout.
    pipeline = sharded(chunk, pipeline, inner, jsonInner, source.shardIndexLocation ?? "end");
  }
  cache.set(source, { fields, pipeline });
  return pipeline;
}

/** The sharding codec's configuration, when the pipeline is a sharded one. */
export function shardingOf(pipeline: CodecPipeline): ShardingConfig | undefined {
  const a2b = pipeline.arrayToBytes;
  return isSharding(a2b) ? a2b.sharding : undefined;
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
  if (
    pipeline.arrayToArray.length > 0 ||
    pipeline.bytesToBytes.length > 1 ||
    shardingOf(pipeline)
  ) {
    // Zarr v2 has one compressor slot, no array→array codecs we could put in filters, and no
    // sharding.
    throw new CodecMetadataError("this codec pipeline has no Zarr v2 form");
  }
  return {
    compressor: pipeline.bytesToBytes[0]?.v2() ?? null,
    filters: pipeline.arrayToBytes.v2Filters(),
  };
}

/** ArrayMeta records compression as one spec: a chain of compressors is not representable. */
export function compressionOf(pipeline: CodecPipeline): CompressionSpec {
  const shard = shardingOf(pipeline);
  if (shard) {
    if (pipeline.bytesToBytes.length > 0 || pipeline.arrayToArray.length > 0) {
      throw new CodecMetadataError("codecs around sharding_indexed are not supported");
    }
    return compressionOf(shard.inner);
  }
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
    if (name === "sharding_indexed") {
      if (arrayToBytes)
        throw new CodecMetadataError("sharding_indexed after an array-to-bytes codec");
      arrayToBytes = shardingFromV3(isObject(c.configuration) ? c.configuration : {}, chunk);
      continue;
    }
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

/** A sharding_indexed codec from its configuration; its inner codecs are read like any chain. */
function shardingFromV3(cfg: JsonObject, chunk: ChunkSpec): ArrayToBytesCodec {
  let parsed: ReturnType<typeof parseShardingConfig>;
  try {
    parsed = parseShardingConfig(cfg);
  } catch (err) {
    throw new CodecMetadataError(`codec sharding_indexed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const inner = pipelineFromV3(parsed.codecs, chunk);
  if (shardingOf(inner)) throw new CodecMetadataError("nested sharding is not supported");
  // The folded char dimension is added back by the caller, which knows the data type.
  return sharded(chunk, inner, parsed.chunkShape, parsed.chunkShape, parsed.indexLocation)
    .arrayToBytes;
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
