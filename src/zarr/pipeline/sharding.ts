/**
 * Zarr v3's `sharding_indexed` array→bytes codec: a shard (one chunk of the array's chunk grid,
 * one store object) holds a grid of inner chunks, each encoded by an inner pipeline of its own,
 * followed (or preceded) by an index of (offset, nbytes) pairs as little-endian uint64 with a
 * CRC-32C, as the spec's default index codecs `bytes` + `crc32c` encode it.
 *
 *   shardingCodec(config): ShardingCodec
 *   isSharding(codec): codec is ShardingCodec
 *   parseShardingConfig(configuration): the JSON fields, checked (index codecs, location)
 *
 * An inner chunk that holds nothing but the fill value is left out (both index words 2⁶⁴−1), as
 * zarr-python writes with write_empty_chunks off: a shard that only part of its writers have
 * reached stays small, and its unwritten inner chunks read back as the fill value.
 */
import type { DataArray } from "../../dataset/types.js";
import { cIndices } from "../../util/shape.js";
import { filledArray } from "../codecs/bytes.js";
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

function innerGrid(shardShape: readonly number[], innerShape: readonly number[]): number[] {
  return shardShape.map((s, d) => {
    if (s % innerShape[d] !== 0) {
      throw new Error(
        `shard shape [${shardShape}] is not a multiple of the inner chunk shape [${innerShape}]`,
      );
    }
    return s / innerShape[d];
  });
}

export function shardingCodec(config: ShardingConfig): ShardingCodec {
  const { chunk, innerShape, inner, indexLocation } = config;
  const innerCells = product(innerShape);
  return {
    kind: "array_to_bytes",
    sharding: config,
    v3: () => ({
      name: "sharding_indexed",
      configuration: {
        chunk_shape: [...config.jsonInnerShape],
        codecs: [...config.innerJson],
        index_codecs: INDEX_CODECS,
        index_location: indexLocation,
      },
    }),
    v2Filters: () => {
      throw new Error("Zarr v2 has no sharding");
    },
    encode(data, shape) {
      const grid = innerGrid(shape, innerShape);
      const n = product(grid);
      const whole = n === 1;
      const zeros = innerShape.map(() => 0);
      const parts: Uint8Array[] = [];
      const index = new BigUint64Array(2 * n).fill(ABSENT);
      const indexBytes = n * ENTRY_BYTES + CRC_BYTES;
      let offset = indexLocation === "start" ? indexBytes : 0;
      let k = 0;
      for (const at of cIndices(grid)) {
        let sub = data;
        if (!whole) {
          sub = emptyOf(chunk, innerCells);
          const from = at.map((i, d) => i * innerShape[d]);
          copyBox(data, shape, from, sub, innerShape, zeros, innerShape);
        }
        if (!onlyFill(sub, chunk.fill)) {
          const bytes = encodeChunkBytes(inner, sub, innerShape);
          index[2 * k] = BigInt(offset);
          index[2 * k + 1] = BigInt(bytes.byteLength);
          offset += bytes.byteLength;
          parts.push(bytes);
        }
        k++;
      }
      const indexView = new Uint8Array(indexBytes);
      indexView.set(new Uint8Array(index.buffer), 0);
      new DataView(indexView.buffer).setUint32(
        n * ENTRY_BYTES,
        crc32c(indexView.subarray(0, n * ENTRY_BYTES)),
        true,
      );
      const total = parts.reduce((s, p) => s + p.byteLength, 0) + indexBytes;
      const out = new Uint8Array(total);
      let at = indexLocation === "start" ? indexBytes : 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.byteLength;
      }
      out.set(indexView, indexLocation === "start" ? 0 : total - indexBytes);
      return out;
    },
    decode(bytes, shape) {
      const grid = innerGrid(shape, innerShape);
      const n = product(grid);
      const indexBytes = n * ENTRY_BYTES + CRC_BYTES;
      if (bytes.byteLength < indexBytes) {
        throw new Error(`shard of ${bytes.byteLength} bytes is shorter than its index`);
      }
      const at = indexLocation === "start" ? 0 : bytes.byteLength - indexBytes;
      const raw = bytes.slice(at, at + indexBytes);
      const view = new DataView(raw.buffer);
      if (view.getUint32(n * ENTRY_BYTES, true) !== crc32c(raw.subarray(0, n * ENTRY_BYTES))) {
        throw new Error("shard index checksum (crc32c) does not match");
      }
      const out = emptyOf(chunk, product(shape));
      const zeros = innerShape.map(() => 0);
      let k = 0;
      for (const pos of cIndices(grid)) {
        const offset = view.getBigUint64(k * ENTRY_BYTES, true);
        const size = view.getBigUint64(k * ENTRY_BYTES + 8, true);
        k++;
        if (offset === ABSENT && size === ABSENT) continue;
        const o = Number(offset);
        const s = Number(size);
        if (o + s > bytes.byteLength) {
          throw new Error(`inner chunk [${pos}] lies outside the shard`);
        }
        const stored = bytes.subarray(o, o + s);
        const decompressed = decodeCompressed(inner, stored);
        const cells = decodeArray(inner, decompressed, innerShape, decompressed !== stored);
        const to = pos.map((i, d) => i * innerShape[d]);
        copyBox(cells, innerShape, zeros, out, shape, to, innerShape);
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
