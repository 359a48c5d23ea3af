/**
 * Compression by CompressionSpec alone, for callers that measure or compare compressors without
 * an array (analyze). Arrays go through their codec pipeline (pipeline/pipeline.ts); both use
 * the same codec modules (pipeline/registry.ts), so a spec means the same bytes either way.
 *
 *   compressBytes(spec, bytes, typesize): Uint8Array
 *   decompressBytes(spec, bytes): Uint8Array
 *   v2Compressor(spec, typesize): JsonObject | null        .zarray "compressor"
 */
import type { CompressionSpec } from "../compression.js";
import type { JsonObject } from "../json.js";
import { compressionCodec } from "../pipeline/registry.js";

export function compressBytes(
  spec: CompressionSpec,
  bytes: Uint8Array,
  typesize: number,
): Uint8Array {
  return compressionCodec(spec, typesize)?.encode(bytes) ?? bytes;
}

export function decompressBytes(spec: CompressionSpec, bytes: Uint8Array): Uint8Array {
  // Decoding never depends on the typesize (blosc frames record theirs).
  return compressionCodec(spec, 1)?.decode(bytes) ?? bytes;
}

export function v2Compressor(spec: CompressionSpec, typesize: number): JsonObject | null {
  return compressionCodec(spec, typesize)?.v2() ?? null;
}
