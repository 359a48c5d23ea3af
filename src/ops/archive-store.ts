/**
 * The store an archive location names: the one place where a location string becomes a Store.
 * Workers open the same store from its describe() (zarr/store/open.ts).
 *
 *   archiveStore(archive)                          local paths only; every URL is refused by name
 *                                                  (localPath), for callers not wired to object
 *                                                  stores yet
 *   archiveStore(archive, { objectStores: true })  also s3://bucket/prefix, as an S3Store
 *                                                  (endpoint, region, credentials: AWS's chain)
 *   archiveExists(archive)                         a local path that exists, or an S3 prefix
 *                                                  holding a finished archive
 */
import { existsSync } from "node:fs";
import { localPath, parseLocation } from "../location.js";
import { FsStore } from "../zarr/store/fs.js";
import { S3Store } from "../zarr/store/s3.js";
import { holdsFinishedArchive } from "../zarr/store/s3-staging.js";
import type { Store } from "../zarr/store/types.js";

export interface ArchiveStoreOptions {
  /** Accept s3:// locations (default false). */
  objectStores?: boolean;
}

export function archiveStore(archive: string, options: ArchiveStoreOptions = {}): Store {
  if (!options.objectStores) return new FsStore(localPath(archive, "archive"));
  const loc = parseLocation(archive, "archive");
  if (loc.kind === "local") return new FsStore(loc.path);
  return new S3Store({ bucket: loc.bucket, prefix: loc.prefix });
}

/**
 * The location as messages and stores take it: a local path made absolute, an s3:// URL tidied.
 */
export function archiveLocation(archive: string, role = "archive"): string {
  const loc = parseLocation(archive, role);
  return loc.kind === "local" ? loc.path : loc.url;
}

/**
 * Whether something is at `archive`: on disk anything (a file, a directory), on S3 a finished
 * archive (a build under way or interrupted is the staging's business, s3-staging.ts).
 */
export async function archiveExists(archive: string): Promise<boolean> {
  const loc = parseLocation(archive, "archive");
  if (loc.kind === "local") return existsSync(loc.path);
  return holdsFinishedArchive(new S3Store({ bucket: loc.bucket, prefix: loc.prefix }));
}
