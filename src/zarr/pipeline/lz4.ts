/**
 * LZ4: numcodecs LZ4 (a 4-byte size header + one LZ4 block). v3 has no core lz4 codec; like
 * zarr-python 3 we write "numcodecs.lz4". The acceleration is always 1: the native encoder
 * exposes no other, and decoding does not depend on it.
 */
import { lz4Decode, lz4Encode } from "../codecs/lz4.js";
import type { BytesToBytesCodec, CodecEntry } from "./codec.js";

export const lz4Codec: BytesToBytesCodec = {
  kind: "bytes_to_bytes",
  compression: { method: "lz4" },
  v3: () => ({ name: "numcodecs.lz4", configuration: { acceleration: 1 } }),
  v2: () => ({ id: "lz4", acceleration: 1 }),
  encode: lz4Encode,
  decode: lz4Decode,
};

export const lz4Entry: CodecEntry<BytesToBytesCodec> = {
  name: "lz4",
  kind: "bytes_to_bytes",
  v2Id: "lz4",
  fromV3: () => lz4Codec,
  fromV2: () => lz4Codec,
};
