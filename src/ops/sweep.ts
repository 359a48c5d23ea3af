/**
 * Temp files that killed writers left in an archive (`.<chunk>.<host>-<pid>-….zarrify-tmp`, see
 * zarr/store/fs.ts) are removed the next time the archive is written. Finding them costs a walk
 * of the whole archive, so it is done once per archive-level operation (run, append) and, for
 * write-region, of which thousands may run against one archive, at most once per
 * STALE_TEMP_AGE_MS across all writers, as recorded in `.zarrify/swept`.
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import { isRemoteInput } from "../location.js";
import type { Logger } from "../log.js";
import { inputDocumentKey } from "../region/state.js";
import { FsStore, STALE_TEMP_AGE_MS } from "../zarr/store/fs.js";
import type { Store } from "../zarr/store/types.js";

const SWEPT_KEY = ".zarrify/swept";
/** One document per file while a write-region of it runs: `<sha-256 of its path>.json`. */
const WRITING_PREFIX = ".zarrify/writing/";

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

/**
 * The sweep of a write-region, and its record of being under way. The rate limit would let a
 * killed writer's temp files outlive the re-run that completes its region (for up to 10 minutes,
 * until some later write sweeps), so each write of a file leaves `.zarrify/writing/<file>.json`
 * while it runs, and a write that finds one of the same file (an earlier attempt that never
 * finished: killed, or still running elsewhere, in which case a sweep is merely early and still
 * safe), or debris of one, sweeps at once. Returns what removes the record once the write is
 * recorded complete.
 * A Dataset handed in has no path to name a record by: only the rate-limited sweep then.
 */
export async function sweepForRegionWrite(
  store: Store,
  logger: Logger,
  verb: string,
  input: string | undefined,
): Promise<() => Promise<void>> {
  if (!(store instanceof FsStore)) return async () => {};
  if (input === undefined) {
    await sweepArchiveTemps(store, logger, verb, { rateLimited: true });
    return async () => {};
  }
  const absolute = isRemoteInput(input) ? input : resolve(input);
  const key = inputDocumentKey(WRITING_PREFIX, absolute);
  // A write killed while it put its own record leaves only that put's temp and lock files: the
  // records' directory is small (one document per write under way), so it is swept every time.
  const debris = await store.sweepStaleTemps(WRITING_PREFIX.slice(0, -1));
  const interrupted = debris > 0 || (await store.get(key)) !== undefined;
  await sweepArchiveTemps(store, logger, verb, { rateLimited: !interrupted });
  await store.set(
    key,
    new TextEncoder().encode(
      JSON.stringify({ input: absolute, host: hostname(), pid: process.pid, started: new Date() }),
    ),
  );
  return () => store.delete(key);
}
