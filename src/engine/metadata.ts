/**
 * A plan's arrays as the archive stores them, and its metadata documents: its group (the root, or
 * `path` for a group of a tree whose arrays are named under it), then one document set per array.
 */
import type { ArrayPlan, WritePlan } from "../plan/write-plan.js";
import { writeArrayMetadata, writeConsolidated, writeGroupMetadata } from "../zarr/archive.js";
import { type ArrayMeta, createArrayMeta } from "../zarr/metadata.js";
import type { Store } from "../zarr/store/types.js";

export function arrayMetaFor(array: ArrayPlan, zarrFormat: 2 | 3): ArrayMeta {
  return createArrayMeta({
    zarrFormat,
    path: array.name,
    dtype: array.dtype,
    shape: array.shape,
    chunks: array.chunks,
    shards: array.shards,
    dimensionNames: array.dims,
    attrs: array.attrs,
    fillValue: array.fillValue,
    compression: array.compression,
    attrTypes: array.attrTypes,
    foldChars: array.foldChars,
    stringLength: array.stringLength,
  });
}

export async function writePlanMetadata(store: Store, plan: WritePlan, path = ""): Promise<void> {
  await writeGroupMetadata(store, plan.zarrFormat, plan.attrs, path, plan.attrTypes);
  for (const array of plan.arrays) {
    await writeArrayMetadata(store, arrayMetaFor(array, plan.zarrFormat));
  }
}

/** Consolidated metadata is written once, at the end, from the documents really in the store. */
export async function finishArchive(store: Store, zarrFormat: 2 | 3): Promise<void> {
  await writeConsolidated(store, zarrFormat);
}
