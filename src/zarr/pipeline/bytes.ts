/**
 * The v3 `bytes` array→bytes codec: fixed-size elements laid out little-endian. It also carries
 * the fixed-length data types (`null_terminated_bytes` chars, `fixed_length_utf32` strings):
 * their elements are fixed-size too. Zarr v2 needs no filter for it: the dtype ("<f4") says it.
 *
 * Numbers encode as a view of the chunk on little-endian hosts (no copy on the hot path).
 */

import type { DataArray, NumericArray } from "../../dataset/types.js";
import { DTYPE_SIZE } from "../../dataset/types.js";
import { bytesToNumeric, type FixedDType, numericToBytes } from "../codecs/bytes.js";
import { utf32Decode, utf32Encode } from "../codecs/utf32.js";
import type { JsonObject } from "../json.js";
import { product } from "../nd.js";
import type { ArrayToBytesCodec, ChunkSpec, CodecEntry } from "./codec.js";

/** Bytes per element in the stored layout (a UTF-32 code point is 4, whatever the string length). */
function elementSize(chunk: ChunkSpec): number {
  return chunk.dtype === "string" ? 4 : DTYPE_SIZE[chunk.dtype];
}

function bytesCodec(chunk: ChunkSpec): ArrayToBytesCodec {
  // Single-byte elements have no byte order; zarr-python writes no configuration for them.
  const json: JsonObject =
    elementSize(chunk) === 1
      ? { name: "bytes" }
      : { name: "bytes", configuration: { endian: "little" } };
  const { dtype, stringLength } = chunk;
  if (dtype === "string") {
    if (stringLength === undefined)
      throw new Error("bytes cannot serialise variable-length strings");
    return {
      kind: "array_to_bytes",
      v3: () => json,
      v2Filters: () => null,
      encode: (data) => utf32Encode(data as string[], stringLength),
      decode: (bytes, shape) => utf32Decode(bytes, product(shape), stringLength),
    };
  }
  const size = DTYPE_SIZE[dtype];
  return {
    kind: "array_to_bytes",
    v3: () => json,
    v2Filters: () => null,
    encode: (data) => numericToBytes(data as NumericArray),
    decode: (bytes, shape, owned): DataArray => {
      const n = product(shape);
      if (bytes.length !== n * size) {
        throw new Error(`chunk decodes to ${bytes.length} bytes, expected ${n * size}.`);
      }
      return bytesToNumeric(dtype as FixedDType, bytes, owned);
    },
  };
}

export const bytesEntry: CodecEntry<ArrayToBytesCodec> = {
  name: "bytes",
  kind: "array_to_bytes",
  fits: (chunk) => chunk.dtype !== "string" || chunk.stringLength !== undefined,
  fromV3(configuration, chunk) {
    const endian = configuration.endian;
    // Big-endian data would need a swap on every read and write; nothing we write uses it.
    if (endian !== undefined && endian !== "little") throw new Error(`endian ${String(endian)}`);
    return bytesCodec(chunk);
  },
};

export { bytesCodec };
