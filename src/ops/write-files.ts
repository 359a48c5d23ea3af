/**
 * Many files into one archive, planned together (multi-file convert, run): each file is checked
 * and placed first (ops/region.ts prepareRegion), then all their pieces go through the engine at
 * once, so a chunk several of them fill is assembled once and stored once, blind.
 */
import { onInterrupt } from "../cleanup.js";
import type { ZarrifyConfig } from "../config/schema.js";
import type { DataArray, Dataset } from "../dataset/types.js";
import { type ProgressListener, progressFor } from "../engine/progress.js";
import { prestartFor } from "../engine/run.js";
import type { Logger } from "../log.js";
import { openDataset } from "../readers/index.js";
import { archiveAxis } from "../region/place.js";
import type { RegionInput } from "../region/spec.js";
import { type Layout, recordWritten } from "../region/state.js";
import { matchTargets } from "../region/targets.js";
import { checkTargets } from "../region/verify.js";
import { Semaphore } from "../util/retry.js";
import { type ArchiveMetadata, readArchiveMetadata } from "../zarr/archive.js";
import type { Store } from "../zarr/store/types.js";
import {
  type InternalRegionOptions,
  openTemplate,
  type PreparedRegion,
  prepareRegion,
  type RegionWriteResult,
  rangeAction,
  resultOf,
  stepRanges,
  verifyRegion,
  type Written,
  writePrepared,
} from "./region.js";

/**
 * Completion markers written at once: a chunk can complete thousands of files together (one chunk
 * along time for a file per day), and a write each would hold a descriptor each meanwhile.
 */
const MARKERS_IN_FLIGHT = 16;

/** A file of a multi-file write: placed by its times, or by a region given by hand. */
export interface FileWrite {
  path: string;
  region?: RegionInput;
  /** For the log line. */
  where?: string;
}

export interface FilesWriteResult {
  /** Per file, in the order given. */
  results: RegionWriteResult[];
  chunks: number;
  bytesWritten: number;
  /** Worker threads the engine ran on (0: inline). */
  workers: number;
}

/**
 * Many files into one archive, planned together: each is checked and placed first (nothing is
 * written when one is refused), then all their pieces go through the engine at once, so chunks
 * they share are assembled and stored once. Where files overlap, the later one in `writes` wins.
 * A file's completion marker is written as soon as its last chunk is stored.
 */
/** Files opened ahead of the one being prepared. */
const OPEN_AHEAD = 3;

export async function writeFiles(
  writes: readonly FileWrite[],
  archive: string,
  o: {
    config: ZarrifyConfig;
    store: Store;
    logger: Logger;
    progress?: boolean | ProgressListener;
    internal: InternalRegionOptions;
    /**
     * Files the caller has open already (multi-file convert's scan), by path: taken instead of
     * opened again, and closed here like the others once prepared.
     */
    opened?: Map<string, Dataset>;
    /**
     * Given, a file that is refused or fails is reported here and the others are still written
     * (run); otherwise the first failure stops everything before anything is written (convert).
     */
    onFailed?: (input: string, err: unknown) => void;
  },
): Promise<FilesWriteResult> {
  const { config, store, logger, internal } = o;
  const verbName = internal.verb ?? "write-region";
  const started = performance.now();
  prestartFor(
    writes.map((w) => w.path),
    config.jobs,
  );
  const [info, md]: [Layout, ArchiveMetadata] = internal.layout
    ? [internal.layout, internal.metadata ?? (await readArchiveMetadata(store))]
    : await openTemplate(store, archive);
  // Read once for all files, not once per file.
  const axis =
    internal.archiveAxis ??
    (writes.some((w) => w.region === undefined)
      ? await archiveAxis(store, info, md, archive)
      : undefined);
  const claimed = new Set<number>();
  const coordinates = new Map<string, Promise<DataArray>>();
  const placed: (PreparedRegion | undefined)[] = new Array(writes.length);
  // Files are opened a few ahead of the one being prepared: opening is mostly h5wasm on this
  // thread, and the next files' reads then overlap this one's parsing.
  const ahead = new Map<number, Promise<Dataset>>();
  const openAt = (i: number): Promise<Dataset> => {
    let pending = ahead.get(i);
    const path = writes[i].path;
    const lent = pending ? undefined : o.opened?.get(path);
    if (lent) {
      o.opened?.delete(path);
      pending = Promise.resolve(lent);
      ahead.set(i, pending);
    } else if (!pending) {
      pending = openDataset(path, { group: config.group });
      // Awaited when its turn comes, or closed below: not an unhandled rejection meanwhile.
      pending.catch(() => {});
      ahead.set(i, pending);
    }
    return pending;
  };
  try {
    // Winner first: a step the later file writes is not the earlier file's to write.
    for (let i = writes.length - 1; i >= 0; i--) {
      const w = writes[i];
      logger.info(
        `${verbName}: [${i + 1}/${writes.length}] ${w.path}${w.where ? ` → ${w.where}` : ""}`,
      );
      for (let j = i - 1; j >= Math.max(0, i - OPEN_AHEAD); j--) openAt(j);
      const opening = openAt(i);
      ahead.delete(i);
      const keep = internal.keepStep;
      try {
        const ds = await opening;
        try {
          const p = await prepareRegion(ds, w.region, {
            store,
            archive,
            info,
            md,
            config,
            internal: {
              ...internal,
              archiveAxis: axis,
              keepStep: (k) => !claimed.has(k) && (keep === undefined || keep(k)),
            },
            logger,
            verb: verbName,
            coordinates,
          });
          for (const r of p.runs) {
            for (let k = 0; k < r.count; k++) claimed.add(r.archiveStart + k);
          }
          placed[i] = p;
        } finally {
          await ds.close();
        }
      } catch (err) {
        if (!o.onFailed) throw err;
        o.onFailed(w.path, err);
      }
    }
  } finally {
    // Opened ahead of a failure that stopped the loop.
    await Promise.all(
      [...ahead.values()].map((p) =>
        p.then(
          (ds) => ds.close(),
          () => {},
        ),
      ),
    );
  }
  const prepared = placed.filter((p): p is PreparedRegion => p !== undefined);
  const checking = prepared.length > 0 && checkTargets(prepared[0].targets, config).length > 0;
  const markers: Promise<void>[] = [];
  const recorded = new Set<number>();
  const failed = new Set<number>();
  const markerSlots = new Semaphore(MARKERS_IN_FLIGHT);
  // Interrupted (SIGINT/SIGTERM), the engine's threads stop (engine/pool.ts), which fails the
  // write: no reason to write the files again one by one, nor to begin a marker. `stopping` is
  // registered once a write has started, after the pool's cleanup, so it runs first (cleanups
  // run newest first); the markers under way are let end after it, so none is cut off half done.
  let interrupted = false;
  const forgetInterrupt = onInterrupt(() => Promise.allSettled(markers).then(() => {}));
  const stopping = <T>(write: Promise<T>): Promise<T> => {
    const forget = onInterrupt(() => {
      interrupted = true;
    });
    return write.finally(forget);
  };
  const mark = (i: number) => {
    const p = prepared[i];
    recorded.add(i);
    if (internal.marker === false || interrupted) return;
    const marker = markerSlots.run(() =>
      recordWritten(store, p.input, info.timeDim, stepRanges(p)),
    );
    // Awaited only once every chunk is stored: a marker failing before that (a full disk, a store
    // error) would meanwhile be an unhandled rejection, which ends the process.
    marker.catch(() => {});
    markers.push(marker);
  };
  const reporter = progressFor(o.progress, verbName, "files");
  const totals: Written = {
    bytesRead: 0,
    workers: 0,
    chunks: 0,
    merged: 0,
    conflicts: 0,
    bytesWritten: 0,
    clipped: prepared.map(() => 0),
  };
  const add = (w: Written, at: (k: number) => number) => {
    totals.workers = Math.max(totals.workers, w.workers);
    totals.chunks += w.chunks;
    totals.merged += w.merged;
    totals.conflicts += w.conflicts;
    totals.bytesWritten += w.bytesWritten;
    totals.bytesRead += w.bytesRead;
    w.clipped.forEach((n, k) => {
      totals.clipped[at(k)] += n;
    });
  };
  const progress =
    reporter.update &&
    ((u: Parameters<ProgressListener>[0]) =>
      reporter.update?.({ ...u, doneTasks: recorded.size, totalTasks: prepared.length }));
  try {
    try {
      const all = await stopping(
        writePrepared(prepared, store, info, {
          jobs: config.jobs,
          group: config.group,
          progress,
          // Verified files are recorded once the check passed.
          onFileDone: checking ? undefined : mark,
        }),
      );
      add(all, (k) => k);
    } catch (err) {
      if (!o.onFailed || interrupted) throw err;
      // Which file broke the shared write is not known: the files not finished are written again
      // one by one (writes are idempotent), so only the broken one fails.
      logger.warn(
        `${verbName}: ${(err as Error).message}; writing the unfinished files one by one`,
      );
      for (const [i, p] of prepared.entries()) {
        if (recorded.has(i)) continue;
        if (interrupted) throw err;
        try {
          const one = await stopping(
            writePrepared([p], store, info, { jobs: config.jobs, group: config.group }),
          );
          add(one, () => i);
          if (!checking) mark(i);
        } catch (e) {
          o.onFailed(p.input, e);
          failed.add(i);
        }
      }
    }
  } finally {
    // Interrupted, the write fails before the cleanups reach the markers: left for them to wait.
    if (!interrupted) forgetInterrupt();
    reporter.stop();
    await Promise.all(markers);
  }
  const retries = prepared.map(() => 0);
  if (checking) {
    for (const [i, p] of prepared.entries()) {
      if (failed.has(i)) continue;
      try {
        const ds = await openDataset(p.input, { group: config.group });
        try {
          // The datasets of the write are closed: the check reads the file again.
          const again = { ...p, ds, targets: matchTargets(ds, info, md, p.spec) };
          retries[i] = await verifyRegion(
            again,
            store,
            info,
            config,
            logger,
            verbName,
            async () => {
              await writePrepared([again], store, info, {
                jobs: 1,
                group: config.group,
                lent: true,
              });
            },
          );
        } finally {
          await ds.close();
        }
        mark(i);
      } catch (err) {
        if (!o.onFailed) throw err;
        o.onFailed(p.input, err);
        failed.add(i);
      }
    }
    await Promise.all(markers);
  }
  const seconds = (performance.now() - started) / 1000;
  for (const [i, p] of prepared.entries()) {
    if (totals.clipped[i] > 0 && rangeAction(config) === "warn") {
      logger.warn(
        `${verbName}: ${p.input}: ${totals.clipped[i]} values outside the archive's range were clipped`,
      );
    }
  }
  logger.info(
    `${verbName}: ${prepared.length} file(s): ${totals.chunks} chunks (${totals.merged} shared, ${totals.conflicts} conflicts redone), ${(totals.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(2)} s`,
  );
  return {
    // Chunks are shared between files: the totals are the write's, each file's own counts empty.
    results: prepared.flatMap((p, i) =>
      failed.has(i) ? [] : [resultOf(p, archive, NONE, totals.clipped[i], retries[i], seconds)],
    ),
    chunks: totals.chunks,
    bytesWritten: totals.bytesWritten,
    workers: totals.workers,
  };
}

const NONE = { chunks: 0, merged: 0, conflicts: 0, bytesWritten: 0 };
