/**
 * The store a new archive is written through: the caller's own (library callers, tests; nothing
 * is staged then), or a staged archive that commit() makes the output (zarr/store/fs-staging.ts).
 * `path` is where the archive is while it is written.
 */
import type { Logger } from "../log.js";
import { type StagedArchive, stageFsArchive } from "../zarr/store/fs-staging.js";
import type { Store } from "../zarr/store/types.js";

export async function newArchiveStore(
  output: string,
  run: { store?: Store; overwrite?: boolean },
  logger: Logger,
): Promise<{ store: Store; staged?: StagedArchive; path: string }> {
  if (run.store) return { store: run.store, path: output };
  const staged = await stageFsArchive(output, run.overwrite ?? false, (dir) =>
    logger.info(`convert: removed ${dir}, left by an interrupted run`),
  );
  return { store: staged.store, staged, path: staged.location };
}
