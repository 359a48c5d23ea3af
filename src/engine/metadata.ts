/** Writes a plan's metadata documents: root group, then one document set per array. */
import type { WritePlan } from "../plan/write-plan.js";
import { writeArrayMetadata, writeConsolidated, writeGroupMetadata } from "../zarr/archive.js";
import type { Store } from "../zarr/store/types.js";
import { arrayMetaFor } from "./zarr-sink.js";

export async function writePlanMetadata(store: Store, plan: WritePlan): Promise<void> {
  await writeGroupMetadata(store, plan.zarrFormat, plan.attrs, "", plan.attrTypes);
  for (const array of plan.arrays) {
    await writeArrayMetadata(store, arrayMetaFor(array, plan.zarrFormat));
  }
}

/** Consolidated metadata is written once, at the end, from the documents really in the store. */
export async function finishArchive(store: Store, zarrFormat: 2 | 3): Promise<void> {
  await writeConsolidated(store, zarrFormat);
}
