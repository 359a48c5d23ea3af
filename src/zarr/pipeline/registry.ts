/**
 * Every codec zarrify reads and writes, by v3 name and v2 numcodecs id, and the bytes→bytes codec
 * a CompressionSpec stands for. A new codec is a module in this directory exporting a CodecEntry,
 * listed here.
 *
 *   v3Entry(name): CodecEntry | undefined      "numcodecs.zlib" and "zlib" are the same codec
 *   v2Entry(id): CodecEntry | undefined        compressors only (v2 filters are not codecs here)
 *   compressionCodec(spec, typesize): BytesToBytesCodec | null    null for "none"
 */
import type { CompressionSpec } from "../compression.js";
import { bloscCodec, bloscEntry } from "./blosc.js";
import { bytesEntry } from "./bytes.js";
import type { BytesToBytesCodec, CodecEntry } from "./codec.js";
import { gzipCodec, gzipEntry } from "./gzip.js";
import { lz4Codec, lz4Entry } from "./lz4.js";
import { vlenUtf8Entry } from "./vlen-utf8.js";
import { zlibCodec, zlibEntry } from "./zlib.js";
import { zstdCodec, zstdEntry } from "./zstd.js";

const ENTRIES: readonly CodecEntry[] = [
  bytesEntry,
  vlenUtf8Entry,
  gzipEntry,
  zlibEntry,
  zstdEntry,
  lz4Entry,
  bloscEntry,
];

const BY_NAME = new Map(ENTRIES.map((e) => [e.name, e]));
const BY_V2_ID = new Map(ENTRIES.flatMap((e) => (e.v2Id ? [[e.v2Id, e] as const] : [])));

/** The codec names readers of our archives see, for messages. */
export const CODEC_NAMES: readonly string[] = ENTRIES.map((e) => e.name);

export function v3Entry(name: string): CodecEntry | undefined {
  // zarr-python 3 writes numcodecs' codecs under "numcodecs.<id>"; other writers drop the prefix.
  return BY_NAME.get(name.replace(/^numcodecs\./, ""));
}

export function v2Entry(id: string): CodecEntry | undefined {
  return BY_V2_ID.get(id);
}

type FromSpec = {
  [M in CompressionSpec["method"]]: (
    spec: Extract<CompressionSpec, { method: M }>,
    typesize: number,
  ) => BytesToBytesCodec | null;
};

const FROM_SPEC: FromSpec = {
  none: () => null,
  gzip: (s) => gzipCodec(s.level),
  zlib: (s) => zlibCodec(s.level),
  zstd: (s) => zstdCodec(s.level),
  lz4: () => lz4Codec,
  blosc: (s, typesize) => bloscCodec(s, typesize),
};

export function compressionCodec(
  spec: CompressionSpec,
  typesize: number,
): BytesToBytesCodec | null {
  const build = FROM_SPEC[spec.method] as (
    s: CompressionSpec,
    t: number,
  ) => BytesToBytesCodec | null;
  return build(spec, typesize);
}
