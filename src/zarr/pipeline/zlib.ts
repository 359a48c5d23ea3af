/**
 * zlib: numcodecs Zlib. v3 has no core zlib codec; like zarr-python 3 we write the
 * numcodecs-named "numcodecs.zlib" (zarrita 0.7 registers it).
 */
import { zlibDecode, zlibEncode } from "../codecs/zlib.js";
import type { BytesToBytesCodec, CodecEntry } from "./codec.js";
import { intField } from "./fields.js";

export function zlibCodec(level: number): BytesToBytesCodec {
  return {
    kind: "bytes_to_bytes",
    compression: { method: "zlib", level },
    v3: () => ({ name: "numcodecs.zlib", configuration: { level } }),
    v2: () => ({ id: "zlib", level }),
    encode: (bytes) => zlibEncode(bytes, level),
    decode: zlibDecode,
  };
}

export const zlibEntry: CodecEntry<BytesToBytesCodec> = {
  name: "zlib",
  kind: "bytes_to_bytes",
  v2Id: "zlib",
  // numcodecs' default level is 1.
  fromV3: (cfg) => zlibCodec(intField(cfg.level, 1)),
  fromV2: (json) => zlibCodec(intField(json.level, 1)),
};
