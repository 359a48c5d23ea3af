/**
 * The Zarr v3 codec model: a chunk goes through array→array codecs (none yet; transpose would be
 * one), exactly one array→bytes codec (bytes, vlen-utf8, or sharding_indexed, which holds an inner
 * pipeline of its own), then bytes→bytes codecs (compressors, checksums).
 *
 * A codec is a plain object built for one array's chunks (`ChunkSpec`): it knows its JSON forms
 * and encodes/decodes synchronously (every codec here is; worker threads give the parallelism).
 * Each codec lives in its own module in this directory with a `CodecEntry` that builds it from
 * metadata; registry.ts lists the entries.
 */
import { type DataArray, DTYPE_SIZE, type DType } from "../../dataset/types.js";
import type { CompressionSpec } from "../compression.js";
import type { JsonObject } from "../json.js";

/** What a codec may depend on: the array's element type, not its shape or path. */
export interface ChunkSpec {
  dtype: DType;
  /** Strings only: fixed-length UTF-32 of this many code points; absent, variable-length. */
  stringLength?: number;
  /** Bytes per element as blosc's shuffle sees it (chunkTypesize: 1 for strings). */
  typesize: number;
  /**
   * What a cell nobody wrote reads as (padValue): the sharding codec fills absent inner chunks
   * with it and leaves inner chunks holding only it out.
   */
  fill: number | bigint | string;
}

/**
 * An array's fill value in its element type, as padding and never-written cells hold it: v2's
 * "no fill" (null) pads with zeros, as zarr does.
 */
export function padValue(dtype: DType, fillValue: unknown): number | bigint | string {
  const v = fillValue;
  if (dtype === "string") return typeof v === "string" ? v : "";
  if (dtype === "int64" || dtype === "uint64") {
    return typeof v === "bigint" ? v : BigInt(typeof v === "number" ? v : 0);
  }
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : 0;
}

/** Blosc's typesize for a dtype: strings (vlen-utf8 or UTF-32) shuffle as single bytes. */
export function chunkTypesize(dtype: DType): number {
  return dtype === "string" ? 1 : DTYPE_SIZE[dtype];
}

export interface ArrayToArrayCodec {
  readonly kind: "array_to_array";
  v3(): JsonObject;
  /** The shape a chunk of `shape` has after this codec (transpose permutes it). */
  encodedShape(shape: readonly number[]): number[];
  /** `shape`: the chunk's shape before this codec. */
  encode(chunk: DataArray, shape: readonly number[]): DataArray;
  /** `shape`: the shape decode gives back, i.e. the one encode was given. */
  decode(chunk: DataArray, shape: readonly number[]): DataArray;
}

export interface ArrayToBytesCodec {
  readonly kind: "array_to_bytes";
  v3(): JsonObject;
  /**
   * Zarr v2 has no array→bytes slot: its dtype implies the layout, and vlen-utf8 is a filter.
   * The filters this codec stands for there (null: none, the v2 `filters: null`).
   */
  v2Filters(): JsonObject[] | null;
  /** May return a view of `chunk`'s memory (little-endian numbers on a little-endian host). */
  encode(chunk: DataArray, shape: readonly number[]): Uint8Array;
  /**
   * `owned`: nobody else holds `bytes`, so the result may view it instead of copying. The
   * result never aliases memory the caller keeps using otherwise.
   */
  decode(bytes: Uint8Array, shape: readonly number[], owned: boolean): DataArray;
}

export interface BytesToBytesCodec {
  readonly kind: "bytes_to_bytes";
  v3(): JsonObject;
  /** numcodecs' `{id, ...}`, Zarr v2's `compressor`. */
  v2(): JsonObject;
  /** The compression setting this codec is, for ArrayMeta.compression. */
  readonly compression: CompressionSpec;
  encode(bytes: Uint8Array): Uint8Array;
  /** Always a fresh buffer the caller owns. */
  decode(bytes: Uint8Array): Uint8Array;
}

export type Codec = ArrayToArrayCodec | ArrayToBytesCodec | BytesToBytesCodec;
export type CodecKind = Codec["kind"];

/** How a codec is found in metadata and built from it. */
export interface CodecEntry<C extends Codec = Codec> {
  /** The v3 name it is read under, without the `numcodecs.` prefix other writers may add. */
  readonly name: string;
  readonly kind: C["kind"];
  /** From a v3 `configuration`; throws an Error saying what is unsupported. */
  fromV3(configuration: JsonObject, chunk: ChunkSpec): C;
  /** numcodecs id and builder, where Zarr v2 has this codec as a compressor. */
  readonly v2Id?: string;
  fromV2?(json: JsonObject, chunk: ChunkSpec): C;
  /** Array→bytes only: whether it can serialise this element type at all. */
  fits?(chunk: ChunkSpec): boolean;
}
