/**
 * The one place that maps a CompressionSpec to bytes and to metadata.
 *
 *   compressBytes(spec, bytes, typesize): Uint8Array
 *   decompressBytes(spec, bytes): Uint8Array
 *   v2Compressor(spec, typesize): JsonObject | null        .zarray "compressor"
 *   v3Codecs(spec, typesize): JsonObject[]                 zarr.json bytes-to-bytes codecs
 *   specFromV2Compressor(json, typesize): CompressionSpec   reading an archive back
 *   specFromV3Codecs(codecs, typesize): CompressionSpec
 *
 * v3 has no core zlib or lz4 codec; like zarr-python 3 we write the numcodecs-named codecs
 * "numcodecs.zlib" and "numcodecs.lz4" (zarrita 0.7 registers both).
 */
import { InputError } from "../../errors.js";
import type { BloscCname, BloscShuffle, CompressionSpec } from "../compression.js";
import { BLOSC_CNAMES } from "../compression.js";
import { type Json, type JsonObject, JsonText } from "../json.js";
import { bloscCompress, bloscDecompress } from "./blosc.js";
import { gzipDecode, gzipEncode } from "./gzip.js";
import { lz4Decode, lz4Encode } from "./lz4.js";
import { zlibDecode, zlibEncode } from "./zlib.js";
import { zstdDecode, zstdEncode } from "./zstd.js";

export function compressBytes(spec: CompressionSpec, bytes: Uint8Array, typesize: number) {
  switch (spec.method) {
    case "none":
      return bytes;
    case "gzip":
      return gzipEncode(bytes, spec.level);
    case "zlib":
      return zlibEncode(bytes, spec.level);
    case "zstd":
      return zstdEncode(bytes, spec.level);
    case "lz4":
      return lz4Encode(bytes);
    case "blosc":
      return bloscCompress(bytes, {
        cname: spec.cname,
        clevel: spec.clevel,
        shuffle: spec.shuffle,
        typesize,
        blocksize: spec.blocksize,
      });
  }
}

export function decompressBytes(spec: CompressionSpec, bytes: Uint8Array): Uint8Array {
  switch (spec.method) {
    case "none":
      return bytes;
    case "gzip":
      return gzipDecode(bytes);
    case "zlib":
      return zlibDecode(bytes);
    case "zstd":
      return zstdDecode(bytes);
    case "lz4":
      return lz4Decode(bytes);
    case "blosc":
      return bloscDecompress(bytes);
  }
}

const SHUFFLE_CODE: Record<BloscShuffle, number> = { noshuffle: 0, shuffle: 1, bitshuffle: 2 };

export function v2Compressor(spec: CompressionSpec, _typesize: number): JsonObject | null {
  switch (spec.method) {
    case "none":
      return null;
    case "gzip":
    case "zlib":
    case "zstd":
      return { id: spec.method, level: spec.level };
    case "lz4":
      return { id: "lz4", acceleration: 1 };
    case "blosc":
      return {
        id: "blosc",
        cname: spec.cname,
        clevel: spec.clevel,
        shuffle: SHUFFLE_CODE[spec.shuffle],
        blocksize: spec.blocksize,
      };
  }
}

export function v3Codecs(spec: CompressionSpec, typesize: number): JsonObject[] {
  switch (spec.method) {
    case "none":
      return [];
    case "gzip":
      return [{ name: "gzip", configuration: { level: spec.level } }];
    case "zstd":
      return [{ name: "zstd", configuration: { level: spec.level, checksum: false } }];
    case "zlib":
      return [{ name: "numcodecs.zlib", configuration: { level: spec.level } }];
    case "lz4":
      return [{ name: "numcodecs.lz4", configuration: { acceleration: 1 } }];
    case "blosc":
      return [
        {
          name: "blosc",
          configuration: {
            typesize,
            cname: spec.cname,
            clevel: spec.clevel,
            shuffle: spec.shuffle,
            blocksize: spec.blocksize,
          },
        },
      ];
  }
}

function unsupported(what: string): never {
  throw new InputError(`Unsupported Zarr codec: ${what}.`, {
    hint: "zarrify reads back archives using none, gzip, zlib, zstd, lz4 or blosc compression.",
  });
}

function int(v: Json | undefined, fallback: number): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : fallback;
}

function bloscSpec(cfg: JsonObject, typesize: number): CompressionSpec {
  const cname = String(cfg.cname ?? "lz4");
  if (!(BLOSC_CNAMES as readonly string[]).includes(cname)) unsupported(`blosc cname ${cname}`);
  let shuffle: BloscShuffle;
  const s = cfg.shuffle;
  if (s === 0 || s === "noshuffle") shuffle = "noshuffle";
  else if (s === 1 || s === "shuffle") shuffle = "shuffle";
  else if (s === 2 || s === "bitshuffle") shuffle = "bitshuffle";
  // numcodecs' AUTOSHUFFLE (-1): bit shuffle for 1-byte items, byte shuffle otherwise.
  else if (s === -1 || s === undefined || s === null) {
    shuffle = typesize === 1 ? "bitshuffle" : "shuffle";
  } else return unsupported(`blosc shuffle ${String(s)}`);
  return {
    method: "blosc",
    cname: cname as BloscCname,
    clevel: int(cfg.clevel, 5),
    shuffle,
    blocksize: int(cfg.blocksize, 0),
  };
}

export function specFromV2Compressor(json: Json | undefined, typesize: number): CompressionSpec {
  if (json === null || json === undefined) return { method: "none" };
  if (typeof json !== "object" || Array.isArray(json) || json instanceof JsonText) {
    return unsupported(String(json));
  }
  switch (json.id) {
    case "gzip":
    case "zlib":
      return { method: json.id, level: int(json.level, 1) };
    case "zstd":
      return { method: "zstd", level: int(json.level, 1) };
    case "lz4":
      return { method: "lz4" };
    case "blosc":
      return bloscSpec(json, typesize);
    default:
      return unsupported(`v2 compressor ${JSON.stringify(json.id)}`);
  }
}

/** `codecs` are the bytes-to-bytes codecs only (after the array-to-bytes codec). */
export function specFromV3Codecs(codecs: JsonObject[], typesize: number): CompressionSpec {
  if (codecs.length === 0) return { method: "none" };
  if (codecs.length > 1) {
    return unsupported(`chain of ${codecs.map((c) => String(c.name)).join(" + ")}`);
  }
  const codec = codecs[0];
  const name = String(codec.name).replace(/^numcodecs\./, "");
  const cfg = (codec.configuration ?? {}) as JsonObject;
  switch (name) {
    case "gzip":
    case "zlib":
      return { method: name, level: int(cfg.level, 1) };
    case "zstd":
      return { method: "zstd", level: int(cfg.level, 0) || 3 };
    case "lz4":
      return { method: "lz4" };
    case "blosc":
      return bloscSpec(cfg, int(cfg.typesize, typesize));
    default:
      return unsupported(`v3 codec ${JSON.stringify(codec.name)}`);
  }
}
