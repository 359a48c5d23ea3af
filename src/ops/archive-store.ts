/**
 * The store an archive location names: the one place where a location string becomes a Store.
 * Local paths only for now (localPath refuses every URL scheme by name); object stores join
 * here, and their workers open them from the store's description (zarr/store/open.ts).
 */
import { localPath } from "../location.js";
import { openStore } from "../zarr/store/open.js";
import type { Store } from "../zarr/store/types.js";

export function archiveStore(archive: string): Store {
  return openStore({ kind: "fs", root: localPath(archive, "archive") });
}
