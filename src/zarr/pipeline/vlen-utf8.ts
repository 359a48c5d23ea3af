/**
 * numcodecs' vlen-utf8 layout as a codec: v3's array→bytes codec for `string` data, and in
 * Zarr v2 the filter `{"id": "vlen-utf8"}` on an object ("|O") array.
 */
import { vlenUtf8Decode, vlenUtf8Encode } from "../codecs/vlen-utf8.js";
import { product } from "../nd.js";
import type { ArrayToBytesCodec, CodecEntry } from "./codec.js";

export const vlenUtf8Codec: ArrayToBytesCodec = {
  kind: "array_to_bytes",
  v3: () => ({ name: "vlen-utf8", configuration: {} }),
  v2Filters: () => [{ id: "vlen-utf8" }],
  encode: (data) => vlenUtf8Encode(data as string[]),
  decode: (bytes, shape) => vlenUtf8Decode(bytes, product(shape)),
};

export const vlenUtf8Entry: CodecEntry<ArrayToBytesCodec> = {
  name: "vlen-utf8",
  kind: "array_to_bytes",
  fits: (chunk) => chunk.dtype === "string" && chunk.stringLength === undefined,
  fromV3: () => vlenUtf8Codec,
};
