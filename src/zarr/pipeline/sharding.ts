/**
 * Zarr v3's `sharding_indexed` array→bytes codec: a shard (one chunk of the array's chunk grid,
 * one store object) holds a grid of inner chunks, each encoded by an inner pipeline of its own,
 * followed (or preceded) by an index of (offset, nbytes) pairs as little-endian uint64 with a
 * CRC-32C, as the spec's default index codecs `bytes` + `crc32c` encode it.
 *
 *   shardingCodec(config): ShardingCodec
 *   isSharding(codec): codec is ShardingCodec
 *   parseShardingConfig(configuration): the JSON fields, checked (index codecs, location)
 *   encodeShard(config, data, dataShape, shardShape): an edge shard without padding it first
 *   splitShard / joinShard / encodeInner / decodeInner / innerGrid: a shard's parts, so a merge
 *       can rewrite the inner chunks it touches and keep every other one's bytes (zarr/shard.ts)
 *
 * An inner chunk that holds nothing but the fill value is left out (both index words 2⁶⁴−1), as
 * zarr-python writes with write_empty_chunks off: a shard that only part of its writers have
 * reached stays small, and its unwritten inner chunks read back as the fill value.
 */
import type { DataArray } from "../../dataset/types.js";
import { cIndices } from "../../util/shape.js";
import { filledArray, typedArrayFor } from "../codecs/bytes.js";
import { crc32c } from "../codecs/crc32c.js";
import type { JsonObject } from "../json.js";
import { copyBox, product } from "../nd.js";
import { type CodecPipeline, decodeArray, decodeCompressed, encodeChunkBytes } from "./chain.js";
import type { ArrayToBytesCodec, ChunkSpec } from "./codec.js";

/** Both index words of an inner chunk that is not stored. */
const ABSENT = 0xffffffffffffffffn;
const ENTRY_BYTES = 16;
const CRC_BYTES = 4;

export type IndexLocation = "start" | "end";

/** The index codecs written, as zarr-python writes them by default. */
const INDEX_CODECS: JsonObject[] = [
  { name: "bytes", configuration: { endian: "little" } },
  { name: "crc32c" },
];

export interface ShardingConfig {
  chunk: ChunkSpec;
  /** Inner chunk shape in the model's view (a folded char array keeps its string dimension). */
  innerShape: readonly number[];
  /** The same shape as zarr.json spells it (the folded dimension dropped). */
  jsonInnerShape: readonly number[];
  inner: CodecPipeline;
  /** The inner pipeline's JSON codecs, for zarr.json. */
  innerJson: readonly JsonObject[];
  indexLocation: IndexLocation;
}

export interface ShardingCodec extends ArrayToBytesCodec {
  readonly sharding: ShardingConfig;
}

export function isSharding(codec: ArrayToBytesCodec): codec is ShardingCodec {
  return "sharding" in codec;
}

/** Whether every cell of `data` is the fill value (NaN counts as equal to a NaN fill). */
function onlyFill(data: DataArray, fill: number | bigint | string): boolean {
  if (Array.isArray(data)) return data.every((v) => v === fill);
  if (typeof fill === "number" && Number.isNaN(fill)) {
    for (let i = 0; i < data.length; i++) if (!Number.isNaN(data[i] as number)) return false;
    return true;
  }
  for (let i = 0; i < data.length; i++) if (data[i] !== fill) return false;
  return true;
}

function emptyOf(chunk: ChunkSpec, n: number): DataArray {
  return chunk.dtype === "string"
    ? new Array<string>(n).fill(chunk.fill as string)
    : filledArray(chunk.dtype, n, chunk.fill as number | bigint);
}

/** Inner chunks per dimension of a shard of `shardShape`. */
export function innerGrid(config: ShardingConfig, shardShape: readonly number[]): number[] {
  const { innerShape } = config;
  return shardShape.map((s, d) => {
    if (s % innerShape[d] !== 0) {
      throw new Error(
        `shard shape [${shardShape}] is not a multiple of the inner chunk shape [${innerShape}]`,
      );
    }
    return s / innerShape[d];
  });
}

/** One inner chunk (the inner shape, C order) encoded, or undefined when it holds only fill. */
export function encodeInner(config: ShardingConfig, cells: DataArray): Uint8Array | undefined {
  if (onlyFill(cells, config.chunk.fill)) return undefined;
  return encodeChunkBytes(config.inner, cells, config.innerShape);
}

/** One stored inner chunk decoded; undefined (absent) reads as fill. */
export function decodeInner(config: ShardingConfig, stored: Uint8Array | undefined): DataArray {
  if (stored === undefined) return emptyOf(config.chunk, product(config.innerShape));
  const decompressed = decodeCompressed(config.inner, stored);
  return decodeArray(config.inner, decompressed, config.innerShape, decompressed !== stored);
}

/**
 * A shard's stored inner chunks in C order of the inner grid (`count` of them), undefined where
 * absent: views of `bytes`, not copies.
 */
export function splitShard(
  config: ShardingConfig,
  bytes: Uint8Array,
  count: number,
): (Uint8Array | undefined)[] {
  const indexBytes = count * ENTRY_BYTES + CRC_BYTES;
  if (bytes.byteLength < indexBytes) {
    throw new Error(`shard of ${bytes.byteLength} bytes is shorter than its index`);
  }
  const at = config.indexLocation === "start" ? 0 : bytes.byteLength - indexBytes;
  const raw = bytes.slice(at, at + indexBytes);
  const view = new DataView(raw.buffer);
  if (view.getUint32(count * ENTRY_BYTES, true) !== crc32c(raw.subarray(0, count * ENTRY_BYTES))) {
    throw new Error("shard index checksum (crc32c) does not match");
  }
  const out: (Uint8Array | undefined)[] = [];
  for (let k = 0; k < count; k++) {
    const offset = view.getBigUint64(k * ENTRY_BYTES, true);
    const size = view.getBigUint64(k * ENTRY_BYTES + 8, true);
    if (offset === ABSENT && size === ABSENT) {
      out.push(undefined);
      continue;
    }
    const o = Number(offset);
    const n = Number(size);
    if (o + n > bytes.byteLength) throw new Error(`inner chunk ${k} lies outside the shard`);
    out.push(bytes.subarray(o, o + n));
  }
  return out;
}

/** A shard from its inner chunks in C order (undefined: absent), with its index. */
export function joinShard(
  config: ShardingConfig,
  parts: readonly (Uint8Array | undefined)[],
): Uint8Array {
  const n = parts.length;
  const indexBytes = n * ENTRY_BYTES + CRC_BYTES;
  const index = new BigUint64Array(2 * n).fill(ABSENT);
  const start = config.indexLocation === "start" ? indexBytes : 0;
  let offset = start;
  parts.forEach((p, k) => {
    if (p === undefined) return;
    index[2 * k] = BigInt(offset);
    index[2 * k + 1] = BigInt(p.byteLength);
    offset += p.byteLength;
  });
  const total = offset - start + indexBytes;
  const out = new Uint8Array(total);
  let at = start;
  for (const p of parts) {
    if (p === undefined) continue;
    out.set(p, at);
    at += p.byteLength;
  }
  const indexAt = config.indexLocation === "start" ? 0 : total - indexBytes;
  out.set(new Uint8Array(index.buffer), indexAt);
  const entries = out.subarray(indexAt, indexAt + n * ENTRY_BYTES);
  new DataView(out.buffer).setUint32(indexAt + n * ENTRY_BYTES, crc32c(entries), true);
  return out;
}

/**
 * A shard of `shardShape` from `data` holding only its first `dataShape` cells (an edge shard, not
 * padded first): each inner chunk takes its part of `data`, padded alone, and inner chunks wholly
 * past the data are left out like any other chunk of fill. Saves the edge shard a padded copy of
 * itself, which for a shard over a whole map (721 rows in 724) is every shard.
 */
export function encodeShard(
  config: ShardingConfig,
  data: DataArray,
  dataShape: readonly number[],
  shardShape: readonly number[],
): Uint8Array {
  const { chunk, innerShape } = config;
  const grid = innerGrid(config, shardShape);
  const innerCells = product(innerShape);
  const zeros = innerShape.map(() => 0);
  const parts: (Uint8Array | undefined)[] = [];
  for (const at of cIndices(grid)) {
    const from = at.map((i, d) => i * innerShape[d]);
    const count = from.map((f, d) => Math.max(0, Math.min(innerShape[d], dataShape[d] - f)));
    if (count.some((n) => n === 0)) {
      parts.push(undefined);
      continue;
    }
    let cells = data;
    const full = count.every((n, d) => n === innerShape[d]);
    if (!full || product(grid) > 1) {
      // A whole inner chunk overwrites every cell, so a zeroed array will do (no fill pass).
      cells = !full
        ? emptyOf(chunk, innerCells)
        : chunk.dtype === "string"
          ? new Array<string>(innerCells)
          : typedArrayFor(chunk.dtype, innerCells);
      copyBox(data, dataShape, from, cells, innerShape, zeros, count);
    }
    parts.push(encodeInner(config, cells));
  }
  return joinShard(config, parts);
}

export function shardingCodec(config: ShardingConfig): ShardingCodec {
  const { chunk, innerShape } = config;
  const zeros = innerShape.map(() => 0);
  return {
    kind: "array_to_bytes",
    sharding: config,
    v3: () => ({
      name: "sharding_indexed",
      configuration: {
        chunk_shape: [...config.jsonInnerShape],
        codecs: [...config.innerJson],
        index_codecs: INDEX_CODECS,
        index_location: config.indexLocation,
      },
    }),
    v2Filters: () => {
      throw new Error("Zarr v2 has no sharding");
    },
    encode: (data, shape) => encodeShard(config, data, shape, shape),
    decode(bytes, shape) {
      const grid = innerGrid(config, shape);
      const stored = splitShard(config, bytes, product(grid));
      const out = emptyOf(chunk, product(shape));
      let k = 0;
      for (const pos of cIndices(grid)) {
        const part = stored[k++];
        if (part === undefined) continue;
        const to = pos.map((i, d) => i * innerShape[d]);
        copyBox(decodeInner(config, part), innerShape, zeros, out, shape, to, innerShape);
      }
      return out;
    },
  };
}

/** The parts of a `sharding_indexed` configuration this reader depends on, checked. */
export function parseShardingConfig(cfg: JsonObject): {
  chunkShape: number[];
  codecs: JsonObject[];
  indexLocation: IndexLocation;
} {
  const shape = cfg.chunk_shape;
  if (
    !Array.isArray(shape) ||
    !shape.every((x) => typeof x === "number" && Number.isInteger(x) && x >= 1)
  ) {
    throw new Error("chunk_shape is not a list of positive integers");
  }
  const codecs = cfg.codecs;
  if (!Array.isArray(codecs) || !codecs.every(isObject)) {
    throw new Error("codecs is not a list of codecs");
  }
  const location = cfg.index_location ?? "end";
  if (location !== "start" && location !== "end") {
    throw new Error(`index_location ${JSON.stringify(location)}`);
  }
  const index = cfg.index_codecs;
  const names = Array.isArray(index) ? index.map((c) => (isObject(c) ? c.name : undefined)) : [];
  const endian = Array.isArray(index) && isObject(index[0]) ? index[0].configuration : undefined;
  const little =
    endian === undefined || (isObject(endian) && (endian.endian ?? "little") === "little");
  if (names.length !== 2 || names[0] !== "bytes" || names[1] !== "crc32c" || !little) {
    // Other index codecs are legal v3, but nothing writes them; reading them would be untested.
    throw new Error("index_codecs other than bytes (little-endian) + crc32c are not supported");
  }
  return { chunkShape: shape as number[], codecs: codecs as JsonObject[], indexLocation: location };
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
