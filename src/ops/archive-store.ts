/**
 * The store an archive location names: the one place where a location string becomes a Store.
 * Workers open the same store from its describe() (zarr/store/open.ts).
 *
 *   archiveStore(archive)                          local paths only; every URL is refused by name
 *                                                  (localPath), as the verbs rely on for now
 *   archiveStore(archive, { objectStores: true })  also s3://bucket/prefix, as an S3Store
 *                                                  (endpoint, region, credentials: AWS's chain)
 */
import { localPath, parseLocation } from "../location.js";
import { FsStore } from "../zarr/store/fs.js";
import { S3Store } from "../zarr/store/s3.js";
import type { Store } from "../zarr/store/types.js";

export interface ArchiveStoreOptions {
  /** Accept s3:// locations (default false: the verbs are not wired to object stores yet). */
  objectStores?: boolean;
}

export function archiveStore(archive: string, options: ArchiveStoreOptions = {}): Store {
  if (!options.objectStores) return new FsStore(localPath(archive, "archive"));
  const loc = parseLocation(archive, "archive");
  if (loc.kind === "local") return new FsStore(loc.path);
  return new S3Store({ bucket: loc.bucket, prefix: loc.prefix });
}
