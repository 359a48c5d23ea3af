/** Zstandard: v3 core codec "zstd" (no checksum, as zarr-python writes), numcodecs Zstd. */
import { zstdDecode, zstdEncode } from "../codecs/zstd.js";
import type { BytesToBytesCodec, CodecEntry } from "./codec.js";
import { intField } from "./fields.js";

export function zstdCodec(level: number): BytesToBytesCodec {
  return {
    kind: "bytes_to_bytes",
    compression: { method: "zstd", level },
    v3: () => ({ name: "zstd", configuration: { level, checksum: false } }),
    v2: () => ({ id: "zstd", level }),
    encode: (bytes) => zstdEncode(bytes, level),
    decode: (bytes) => zstdDecode(bytes),
  };
}

export const zstdEntry: CodecEntry<BytesToBytesCodec> = {
  name: "zstd",
  kind: "bytes_to_bytes",
  v2Id: "zstd",
  // Level 0 is zstd's "default", which is 3; a v2 document without a level gets numcodecs' 1.
  fromV3: (cfg) => zstdCodec(intField(cfg.level, 0) || 3),
  fromV2: (json) => zstdCodec(intField(json.level, 1)),
};
