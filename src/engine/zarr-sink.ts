/** The ChunkSink that encodes through the array's Zarr codecs and puts into a Store. */
import type { ArrayPlan } from "../plan/write-plan.js";
import { encodeChunk } from "../zarr/array.js";
import { type ArrayMeta, arrayChunkKey, createArrayMeta } from "../zarr/metadata.js";
import type { Store } from "../zarr/store/types.js";
import type { ChunkSink } from "./write-block.js";

export function arrayMetaFor(array: ArrayPlan, zarrFormat: 2 | 3): ArrayMeta {
  return createArrayMeta({
    zarrFormat,
    path: array.name,
    dtype: array.dtype,
    shape: array.shape,
    chunks: array.chunks,
    dimensionNames: array.dims,
    attrs: array.attrs,
    fillValue: array.fillValue,
    compression: array.compression,
    attrTypes: array.attrTypes,
    foldChars: array.foldChars,
    stringLength: array.stringLength,
  });
}

export function zarrSink(store: Store, zarrFormat: 2 | 3): ChunkSink {
  const metas = new Map<ArrayPlan, ArrayMeta>();
  return {
    async put(array, coords, data, dataShape) {
      let meta = metas.get(array);
      if (!meta) {
        meta = arrayMetaFor(array, zarrFormat);
        metas.set(array, meta);
      }
      const bytes = encodeChunk(meta, data, dataShape);
      await store.set(arrayChunkKey(meta, coords), bytes);
      return bytes.byteLength;
    },
  };
}
