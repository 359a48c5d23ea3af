/**
 * The Zarr side of zarrify: formats, codecs, chunk keys, metadata and stores. See each module's
 * header for its contract; this file only re-exports the public surface.
 */
export {
  type ArchiveMetadata,
  detectFormat,
  readArchiveMetadata,
  readJson,
  writeArrayMetadata,
  writeConsolidated,
  writeGroupMetadata,
} from "./archive.js";
export { chunkExtent, chunkGrid, decodeChunk, emptyChunk, encodeChunk } from "./array.js";
export {
  BLOSC_CNAMES,
  BLOSC_SHUFFLES,
  type BloscCname,
  type BloscShuffle,
  COMPRESSION_FORMS,
  type CompressionConfig,
  type CompressionSpec,
  formatCompression,
  parseCompression,
} from "./compression.js";
export { chunkKey, joinPath, metadataKeys, parseChunkKey, type ZarrFormat } from "./keys.js";
export {
  type ArrayMeta,
  type ArrayMetaInput,
  arrayDocuments,
  createArrayMeta,
  type FillValue,
  groupDocuments,
} from "./metadata.js";
export { parseArrayDocuments, parseGroupAttrs } from "./metadata-parse.js";
export { copyBox, product } from "./nd.js";
export { FsStore, type FsStoreOptions } from "./store/fs.js";
export { MemoryStore } from "./store/memory.js";
export type { DirListing, Store, VersionedValue } from "./store/types.js";
