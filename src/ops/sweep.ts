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
