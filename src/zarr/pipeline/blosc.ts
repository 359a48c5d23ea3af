/**
 * Blosc 1 (our own framer, codecs/blosc.ts): v3 core codec "blosc" (shuffle by name, typesize
 * recorded), numcodecs Blosc (shuffle as 0/1/2, -1 for AUTOSHUFFLE).
 */
import { bloscCompress, bloscDecompress } from "../codecs/blosc.js";
import {
  BLOSC_CNAMES,
  type BloscCname,
  type BloscShuffle,
  type CompressionSpec,
} from "../compression.js";
import type { Json, JsonObject } from "../json.js";
import type { BytesToBytesCodec, ChunkSpec, CodecEntry } from "./codec.js";
import { intField } from "./fields.js";

type BloscSpec = Extract<CompressionSpec, { method: "blosc" }>;

const SHUFFLE_CODE: Record<BloscShuffle, number> = { noshuffle: 0, shuffle: 1, bitshuffle: 2 };

/** `typesize` is the element size shuffle works on; the frame records it, so decoding needs none. */
export function bloscCodec(spec: BloscSpec, typesize: number): BytesToBytesCodec {
  const { cname, clevel, shuffle, blocksize } = spec;
  const options = { cname, clevel, shuffle, typesize, blocksize };
  return {
    kind: "bytes_to_bytes",
    compression: spec,
    v3: () => ({ name: "blosc", configuration: { typesize, cname, clevel, shuffle, blocksize } }),
    v2: () => ({ id: "blosc", cname, clevel, shuffle: SHUFFLE_CODE[shuffle], blocksize }),
    encode: (bytes) => bloscCompress(bytes, options),
    decode: bloscDecompress,
  };
}

function shuffleOf(s: Json | undefined, typesize: number): BloscShuffle {
  if (s === 0 || s === "noshuffle") return "noshuffle";
  if (s === 1 || s === "shuffle") return "shuffle";
  if (s === 2 || s === "bitshuffle") return "bitshuffle";
  // numcodecs' AUTOSHUFFLE (-1): bit shuffle for 1-byte items, byte shuffle otherwise.
  if (s === -1 || s === undefined || s === null) return typesize === 1 ? "bitshuffle" : "shuffle";
  throw new Error(`blosc shuffle ${String(s)}`);
}

/** Read from either form; absent fields take numcodecs' defaults (lz4, clevel 5). */
function fromJson(cfg: JsonObject, chunk: ChunkSpec, typesize: number): BytesToBytesCodec {
  const cname = String(cfg.cname ?? "lz4");
  if (!(BLOSC_CNAMES as readonly string[]).includes(cname)) throw new Error(`blosc cname ${cname}`);
  const spec: BloscSpec = {
    method: "blosc",
    cname: cname as BloscCname,
    clevel: intField(cfg.clevel, 5),
    shuffle: shuffleOf(cfg.shuffle, typesize),
    blocksize: intField(cfg.blocksize, 0),
  };
  // Written back with the element size this array shuffles by, whatever the document said.
  return bloscCodec(spec, chunk.typesize);
}

export const bloscEntry: CodecEntry<BytesToBytesCodec> = {
  name: "blosc",
  kind: "bytes_to_bytes",
  v2Id: "blosc",
  // A v3 document records the typesize AUTOSHUFFLE was resolved against.
  fromV3: (cfg, chunk) => fromJson(cfg, chunk, intField(cfg.typesize, chunk.typesize)),
  fromV2: (json, chunk) => fromJson(json, chunk, chunk.typesize),
};
