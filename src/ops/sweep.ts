/**
 * Temp files that killed writers left in an archive (`.<chunk>.<host>-<pid>-….zarrify-tmp`, see
 * zarr/store/fs.ts) are removed the next time the archive is written. Finding them costs a walk
 * of the whole archive, so it is done once per archive-level operation (run, append) and, for
 * write-region, of which thousands may run against one archive, at most once per
 * STALE_TEMP_AGE_MS across all writers, as recorded in `.zarrify/swept`.
 */
import type { Logger } from "../log.js";
import { FsStore, STALE_TEMP_AGE_MS } from "../zarr/store/fs.js";
import type { Store } from "../zarr/store/types.js";

const SWEPT_KEY = ".zarrify/swept";

export async function sweepArchiveTemps(
  store: Store,
  logger: Logger,
  verb: string,
  options: { rateLimited?: boolean } = {},
): Promise<void> {
  if (!(store instanceof FsStore)) return;
  const now = Date.now();
  if (options.rateLimited) {
    const last = Date.parse(
      new TextDecoder().decode((await store.get(SWEPT_KEY)) ?? new Uint8Array()),
    );
    if (now - last < STALE_TEMP_AGE_MS) return;
    // Recorded first, so writers starting together do not all walk the archive.
    await store.set(SWEPT_KEY, new TextEncoder().encode(new Date(now).toISOString()));
  }
  const removed = await store.sweepStaleTemps("", now);
  if (removed > 0) {
    logger.info(
      `${verb}: removed ${removed} temp file(s) left in ${store.root} by interrupted writers`,
    );
  }
}

/**
 * At the end of a verb whose writes all ran in this process (run): removes the temp files this
 * process's own threads left, which happens when a worker thread is terminated in the middle of a
 * put (an engine failure the verb recovered from by writing the files again). No other rule
 * catches them while this process lives, and once it exits they would sit in a finished archive
 * until another verb's sweep.
 */
export async function sweepOwnTemps(store: Store, logger: Logger, verb: string): Promise<void> {
  if (!(store instanceof FsStore)) return;
  const removed = await store.sweepStaleTemps("", Date.now(), { ownProcess: true });
  if (removed > 0) {
    logger.info(`${verb}: removed ${removed} temp file(s) of its own stopped threads`);
  }
}
