/**
 * The store a new archive is written through: the caller's own (library callers, tests; nothing
 * is staged then), or a staged archive that commit() makes the output: on a file system built
 * beside it and renamed into place (zarr/store/fs-staging.ts), on S3 built in place with its
 * metadata documents held back until commit (zarr/store/s3-staging.ts).
 * `path` is where the archive is while it is written.
 */

import { parseLocation } from "../location.js";
import type { Logger } from "../log.js";
import { type StagedArchive, stageFsArchive } from "../zarr/store/fs-staging.js";
import { S3Store } from "../zarr/store/s3.js";
import { stageS3Archive } from "../zarr/store/s3-staging.js";
import type { Store } from "../zarr/store/types.js";
import { archiveLocation } from "./archive-store.js";

/** Stages a new archive at `location` (a local path or s3://bucket/prefix). */
export async function stageArchive(
  location: string,
  overwrite: boolean,
  onSwept: (what: string) => void = () => {},
): Promise<StagedArchive> {
  const loc = parseLocation(location, "output");
  if (loc.kind === "local") return stageFsArchive(loc.path, overwrite, onSwept);
  return stageS3Archive(
    new S3Store({ bucket: loc.bucket, prefix: loc.prefix }),
    overwrite,
    onSwept,
  );
}

export async function newArchiveStore(
  output: string,
  run: { store?: Store; overwrite?: boolean },
  logger: Logger,
): Promise<{ store: Store; staged?: StagedArchive; path: string }> {
  if (run.store) return { store: run.store, path: archiveLocation(output, "output") };
  const staged = await stageArchive(output, run.overwrite ?? false, (what) =>
    logger.info(`convert: removed ${what}, left by an interrupted run`),
  );
  return { store: staged.store, staged, path: staged.location };
}
