/** gzip: v3 core codec "gzip", numcodecs GZip (`{"id": "gzip", "level"}`). */
import { gzipDecode, gzipEncode } from "../codecs/gzip.js";
import type { BytesToBytesCodec, CodecEntry } from "./codec.js";
import { intField } from "./fields.js";

export function gzipCodec(level: number): BytesToBytesCodec {
  return {
    kind: "bytes_to_bytes",
    compression: { method: "gzip", level },
    v3: () => ({ name: "gzip", configuration: { level } }),
    v2: () => ({ id: "gzip", level }),
    encode: (bytes) => gzipEncode(bytes, level),
    decode: gzipDecode,
  };
}

export const gzipEntry: CodecEntry<BytesToBytesCodec> = {
  name: "gzip",
  kind: "bytes_to_bytes",
  v2Id: "gzip",
  // numcodecs' default level is 1.
  fromV3: (cfg) => gzipCodec(intField(cfg.level, 1)),
  fromV2: (json) => gzipCodec(intField(json.level, 1)),
};
