/**
 * `write-region`: one file into its place in a template archive, safely alongside any number of
 * other writers (see engine/chunk-sink.ts for why no update is lost).
 *
 *   1. the archive must be a zarrify template (.zarrify/template.json);
 *   2. the file must have the template's time-dependent variables, with the same dimensions and
 *      the same grid (non-time dimension lengths and coordinate values: region/targets.ts);
 *   3. the region comes from the file's decoded times (any units/calendar spelling, exact match
 *      to the archive's grid) or from a manual `region` (region/place.ts);
 *   4. the engine converts the values to the archive's stored form and writes them chunk by
 *      chunk (engine/region-tasks.ts, engine/write-task.ts);
 *   5. with retriesOnMissing > 0 the region is read back and its missing-value mask compared with
 *      the file's (region/verify.ts); a mismatch rewrites the region, up to that many times;
 *   6. a marker records the file as written (what `run --resume` skips).
 *
 * Many files at once go through the same steps in ops/write-files.ts.
 *
 * Every check happens before the first chunk is written, so a refused file leaves the archive as
 * it was. Coordinates are never rewritten.
 */
import { type ConfigInput, resolveConfig, type ZarrifyConfig } from "../config/schema.js";
import { formatDate } from "../dataset/cftime/date.js";
import type { DataArray, Dataset } from "../dataset/types.js";
import type { Piece, SinkResult } from "../engine/job.js";
import { type ProgressListener, progressFor } from "../engine/progress.js";
import { regionTasks } from "../engine/region-tasks.js";
import { type EngineTotals, execute } from "../engine/run.js";
import { RegionError, RetryLimitExceededError } from "../errors.js";
import { hint, opt, verb } from "../hint.js";
import { type Logger, libraryLogger } from "../log.js";
import { DEFAULT_MAX_BLOCK_MB } from "../plan/blocks.js";
import { type DetachedSource, detachVariables } from "../readers/detached.js";
import { inputVersion } from "../readers/identity.js";
import { openDataset } from "../readers/index.js";
import type { RegionRun } from "../region/locate.js";
import { dimLength, filterRuns, placeRuns } from "../region/place.js";
import { parseRegion, type RegionInput, type RegionSpec } from "../region/spec.js";
import {
  type Layout,
  readTemplateInfo,
  recordWritten,
  type TemplateInfo,
} from "../region/state.js";
import { boxFor, checkGrid, matchTargets, type Target } from "../region/targets.js";
import { hasTimeUnits, type TimeAxis, timeAxisOf } from "../region/time-axis.js";
import { checkTargets, forEachBlock, missingMismatches } from "../region/verify.js";
import { type ArchiveMetadata, detectFormat, readArchiveMetadata } from "../zarr/archive.js";
import type { ArrayMeta } from "../zarr/metadata.js";
import { readBox } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import { archiveStore } from "./archive-store.js";
import { splitOptions } from "./options.js";
import { checkStringsFit } from "./strings.js";
import { sweepForRegionWrite } from "./sweep.js";

export interface RegionOptions {
  /** Set the region by hand instead of from the file's times. */
  region?: RegionInput;
  logger?: Logger;
  /** Write through this store instead of opening the archive path (tests, embedding). */
  store?: Store;
  /** A bar (CLI on a TTY) or periodic lines on stderr, or a listener of the bytes written. */
  progress?: boolean | ProgressListener;
}

export type WriteRegionOptions = RegionOptions & ConfigInput;

/**
 * For zarrify's own verbs that build on region writing (multi-file convert, append): an archive
 * without a template record, metadata not yet in the store (resized), steps to leave alone.
 */
export interface InternalRegionOptions {
  layout?: Layout;
  metadata?: ArchiveMetadata;
  /** Write only the archive steps for which this is true. */
  keepStep?: (archiveIndex: number) => boolean;
  /** Repeated times in one file: an error (default), or the first one kept. */
  duplicates?: "error" | "first";
  /** Record the file as written for `run --resume` (default true). */
  marker?: boolean;
  /** Verb name for log lines. */
  verb?: string;
  /** The archive's time axis as it will be (append extends it before writing). */
  archiveAxis?: TimeAxis;
  /** Runs after every check passed and the region is known, before the first chunk is written. */
  beforeWrite?: () => Promise<void>;
}

export interface RegionWriteResult {
  input: string;
  archive: string;
  /** [start, stop) archive steps written along the time dimension. */
  runs: [number, number][];
  steps: number;
  first: string;
  last: string;
  arrays: string[];
  chunks: number;
  /** Chunks shared with a neighbouring region, merged under compare-and-swap. */
  mergedChunks: number;
  /** Merges redone because another writer changed the chunk first. */
  conflicts: number;
  bytesWritten: number;
  /** Rewrites after a failed missing-data check. */
  retries: number;
  /** Values the archive's type or packing could not hold, clipped. */
  clipped: number;
  seconds: number;
}

const REGION_KEYS = ["region", "logger", "store", "progress"] as const;

export async function openTemplate(
  store: Store,
  archive: string,
): Promise<[TemplateInfo, ArchiveMetadata]> {
  if ((await detectFormat(store)) === undefined) {
    throw new RegionError(`${archive}: no Zarr archive here`, {
      hint: hint`create it first with ${verb("create-template")}`,
    });
  }
  const info = await readTemplateInfo(store, archive);
  if (info === undefined) {
    throw new RegionError(
      `${archive} is not a zarrify template (it has no .zarrify/template.json)`,
      {
        hint: hint`${verb("write-region")} fills archives made by ${verb("create-template")}; use ${verb("append")} to extend other archives`,
      },
    );
  }
  return [info, await readArchiveMetadata(store)];
}

/** One file's pieces of every target array, in archive coordinates. */
function regionPieces(
  targets: readonly Target[],
  runs: readonly RegionRun[],
  info: Layout,
  spec: RegionSpec,
  input: number,
): Piece[][] {
  return targets.map((t) =>
    runs.map((run) => {
      const box = boxFor(t, info, spec, run);
      return {
        input,
        variable: t.variable.name,
        start: box.start,
        count: box.count,
        from: box.source,
        mapping: { kind: "form", src: t.src, dst: t.dst },
      };
    }),
  );
}

/** A file checked against the archive and placed in it: everything its write needs. */
export interface PreparedRegion {
  input: string;
  ds: Dataset;
  targets: Target[];
  runs: RegionRun[];
  spec: RegionSpec;
  steps: number;
  first: string;
  last: string;
  /** The targets' variables as worker threads read them without the file open (closed by then). */
  detached: Record<string, DetachedSource>;
}

interface PrepareContext {
  store: Store;
  archive: string;
  info: Layout;
  md: ArchiveMetadata;
  config: ZarrifyConfig;
  internal: InternalRegionOptions;
  logger: Logger;
  verb: string;
  coordinates?: Map<string, Promise<DataArray>>;
}

/**
 * Every check a file must pass before anything of it is written (a refused file leaves the archive
 * as it was), and where it goes: the runs of archive steps it fills.
 */
export async function prepareRegion(
  ds: Dataset,
  region: RegionInput | undefined,
  c: PrepareContext,
): Promise<PreparedRegion> {
  const { store, info, md, internal, archive } = c;
  const spec = region === undefined ? {} : parseRegion(region);
  checkRegionBounds(ds, md, info.timeDim, spec);
  const targets = matchTargets(ds, info, md, spec, c.verb);
  await checkGrid(ds, store, info, md, spec, c.coordinates);
  await checkStringsFit(ds, targets);
  const placed = await placeRuns(
    ds,
    store,
    info,
    md,
    spec,
    targets,
    archive,
    internal.duplicates ?? "error",
    internal.archiveAxis,
  );
  const runs = internal.keepStep ? filterRuns(placed, internal.keepStep) : placed;
  const axisMeta = md.arrays.get(info.timeVariable);
  const steps = runs.reduce((n, r) => n + r.count, 0);
  const firstStep = runs[0]?.archiveStart ?? 0;
  const lastRun = runs[runs.length - 1];
  const lastStep = lastRun ? lastRun.archiveStart + lastRun.count - 1 : 0;
  // Records joined by position (multi-file convert without CF times) have no dates to show.
  // The axis the caller knows (append: the grown one, its new steps not written yet) first.
  const dateOf = async (i: number) =>
    internal.archiveAxis
      ? formatDate(internal.archiveAxis.dates[i])
      : axisMeta && hasTimeUnits(axisMeta.attrs)
        ? formatDate(
            timeAxisOf(await readBox(store, axisMeta, [i], [1]), axisMeta.attrs, archive).dates[0],
          )
        : String(i);
  const first = steps > 0 ? await dateOf(firstStep) : "";
  const last = steps > 0 ? await dateOf(lastStep) : "";
  c.logger.info(
    `${c.verb}: ${ds.path}: region ${info.timeDim} ${runs.map((r) => `${r.archiveStart}:${r.archiveStart + r.count}`).join(",")} (${steps} steps, ${first} .. ${last})`,
  );
  if (
    rangeAction(c.config) === "error" &&
    targets.some((t) => t.dst.scale !== 1 || t.dst.offset !== 0)
  ) {
    // Refuse before the first chunk: a dry pass through the conversion only.
    const outside = new Map<string, number>();
    await forEachBlock(targets, runs, info, spec, async (t, _s, _c, converted) => {
      if (converted.clipped > 0)
        outside.set(t.name, (outside.get(t.name) ?? 0) + converted.clipped);
    });
    if (outside.size > 0) {
      throw new RegionError(
        `${ds.path}: values outside the archive's packing range (${[...outside].map(([n, k]) => `${n}: ${k}`).join(", ")})`,
        {
          hint: hint`the template fixed the packing range; recreate it with a wider ${opt("packing.manualRanges")}, or set ${opt("packing.rangeExceededAction", "warn")} to clip`,
        },
      );
    }
  }
  const detached = await detachVariables(
    ds,
    targets.map((t) => t.variable.name),
  );
  return { input: ds.path, ds, targets, runs, spec, steps, first, last, detached };
}

/**
 * The region's dimensions are the archive's and its non-time ranges lie inside the archive and
 * are as long as the file's dimensions (time is placed, and checked, by placeRuns): otherwise a
 * write would land partly outside the arrays.
 */
function checkRegionBounds(ds: Dataset, md: ArchiveMetadata, timeDim: string, spec: RegionSpec) {
  const archiveDims = [...new Set([...md.arrays.values()].flatMap((a) => a.dimensionNames))];
  for (const [dim, r] of Object.entries(spec)) {
    if (!archiveDims.includes(dim)) {
      throw new RegionError(`region names '${dim}', which is not a dimension of the archive`, {
        hint: `the archive's dimensions are ${archiveDims.join(", ")}`,
      });
    }
    if (dim === timeDim || (r.start === undefined && r.stop === undefined)) continue;
    const length = dimLength(md, dim);
    const start = r.start ?? 0;
    const stop = r.stop ?? length;
    if (stop > length || start >= length) {
      throw new RegionError(
        `${ds.path}: region ${dim}:${start}:${stop} lies outside the archive, whose ${dim} has ${length} cells`,
        { hint: `give ${dim}:start:stop within 0..${length}` },
      );
    }
    const theirs = ds.dims.find((d) => d.name === dim)?.size;
    if (theirs !== undefined && theirs !== stop - start) {
      throw new RegionError(
        `${ds.path}: region ${dim}:${start}:${stop} is ${stop - start} cells long, but the file has ${theirs} along ${dim}`,
        { hint: `give a region of exactly ${theirs} cells along ${dim}, within 0..${length}` },
      );
    }
  }
}

export function rangeAction(config: ZarrifyConfig) {
  return config.packing.checkRangeExceeded ? config.packing.rangeExceededAction : "ignore";
}

export interface Written extends EngineTotals {
  /** Values clipped, per file (index into the prepared list). */
  clipped: number[];
}

/**
 * Writes prepared files together: their pieces of each array go into one set of engine tasks, so a
 * chunk several of them fill is assembled once and stored blind, and only chunks shared with
 * writers outside this set are merged. Files are read by path where their datasets are closed.
 */
export async function writePrepared(
  prepared: readonly PreparedRegion[],
  store: Store,
  info: Layout,
  o: {
    jobs: number;
    group?: string;
    progress?: ProgressListener;
    lent?: boolean;
    /** A file whose every task is done (its data is all in the store), by its index. */
    onFileDone?: (input: number) => void;
  },
): Promise<Written> {
  const arrays: ArrayMeta[] = [];
  const index = new Map<string, number>();
  const pieces: Piece[][] = [];
  prepared.forEach((p, input) => {
    const perTarget = regionPieces(p.targets, p.runs, info, p.spec, input);
    p.targets.forEach((t, k) => {
      let a = index.get(t.name);
      if (a === undefined) {
        a = arrays.length;
        index.set(t.name, a);
        arrays.push(t.meta);
        pieces.push([]);
      }
      pieces[a].push(...perTarget[k]);
    });
  });
  const maxBlockBytes = DEFAULT_MAX_BLOCK_MB * 1024 * 1024;
  const tasks = arrays.flatMap((meta, a) => regionTasks(meta, a, pieces[a], maxBlockBytes));
  const clipped = prepared.map(() => 0);
  const pending = prepared.map(() => 0);
  for (const t of tasks) for (const i of new Set(t.pieces.map((q) => q.input))) pending[i]++;
  for (const [i, n] of pending.entries()) if (n === 0) o.onFileDone?.(i);
  const done = await execute({
    inputs: prepared.map((p) => ({
      path: p.input,
      group: o.group,
      version: inputVersion(p.input),
      variables: p.detached,
    })),
    arrays,
    tasks,
    store,
    jobs: o.jobs,
    lent: o.lent ? new Map(prepared.map((p, i) => [i, p.ds])) : undefined,
    onProgress: o.progress,
    onTask(task, r) {
      task.pieces.forEach((piece, i) => {
        clipped[piece.input] += r.outOfRange[i] ?? 0;
      });
      for (const i of new Set(task.pieces.map((q) => q.input))) {
        if (--pending[i] === 0) o.onFileDone?.(i);
      }
    },
  });
  return { ...done, clipped };
}

/** Rewrites a file's region while its missing-value mask disagrees with the archive's. */
export async function verifyRegion(
  p: PreparedRegion,
  store: Store,
  info: Layout,
  config: ZarrifyConfig,
  logger: Logger,
  verbName: string,
  rewrite: () => Promise<void>,
): Promise<number> {
  const checked = checkTargets(p.targets, config);
  if (checked.length === 0) return 0;
  for (let retries = 0; ; retries++) {
    const bad = await missingMismatches(store, checked, p.runs, info, p.spec);
    if (bad.size === 0) return retries;
    const what = [...bad].map(([n, k]) => `${n}: ${k} values`).join(", ");
    if (retries >= config.retriesOnMissing) {
      throw new RetryLimitExceededError(
        `${p.input}: region ${p.first} .. ${p.last} still differs from the file after ${retries} rewrite(s) (${what})`,
        {
          hint: "another process may be writing the same time steps; check the file list for duplicates",
        },
      );
    }
    logger.warn(
      `${verbName}: ${p.input}: missing data after writing (${what}); rewrite ${retries + 1} of ${config.retriesOnMissing}`,
    );
    await rewrite();
  }
}

/** The file's runs as [start, stop) archive steps, as results and completion markers give them. */
export function stepRanges(p: PreparedRegion): [number, number][] {
  return p.runs.map((r) => [r.archiveStart, r.archiveStart + r.count]);
}

export function resultOf(
  p: PreparedRegion,
  archive: string,
  w: SinkResult,
  clipped: number,
  retries: number,
  seconds: number,
): RegionWriteResult {
  return {
    input: p.input,
    archive,
    runs: stepRanges(p),
    steps: p.steps,
    first: p.first,
    last: p.last,
    arrays: p.targets.map((t) => t.name),
    chunks: w.chunks,
    mergedChunks: w.merged,
    conflicts: w.conflicts,
    bytesWritten: w.bytesWritten,
    retries,
    clipped,
    seconds,
  };
}

export async function writeRegion(
  input: string | Dataset,
  archive: string,
  options: WriteRegionOptions = {},
  internal: InternalRegionOptions = {},
): Promise<RegionWriteResult> {
  const { own: runOptions, config: configInput } = splitOptions(options, REGION_KEYS);
  const verbName = internal.verb ?? "write-region";
  const config = resolveConfig({ cli: configInput });
  const logger = runOptions.logger ?? libraryLogger;
  const started = performance.now();
  const store = runOptions.store ?? archiveStore(archive, { objectStores: true });
  const inputName = typeof input === "string" ? input : input.path;
  logger.info(`${verbName}: start ${inputName} → ${archive} (pid ${process.pid})`);

  const [info, md]: [Layout, ArchiveMetadata] = internal.layout
    ? [internal.layout, internal.metadata ?? (await readArchiveMetadata(store))]
    : await openTemplate(store, archive);
  const ds = typeof input === "string" ? await openDataset(input, { group: config.group }) : input;
  try {
    const context = { store, archive, info, md, config, internal, logger, verb: verbName };
    const p = await prepareRegion(ds, runOptions.region, context);
    // Only once every check passed (a refused file leaves the archive as it was), and only for a
    // write into an existing template: convert's and append's archives are swept by them.
    const underWay = internal.layout
      ? undefined
      : await sweepForRegionWrite(
          store,
          logger,
          verbName,
          typeof input === "string" ? input : undefined,
        );
    await internal.beforeWrite?.();

    const reporter = progressFor(runOptions.progress, verbName);
    const write = () =>
      writePrepared([p], store, info, {
        // Threads read the file by its path; a Dataset handed in is read here.
        jobs: typeof input === "string" ? config.jobs : 1,
        group: config.group,
        progress: reporter.update,
        lent: true,
      });
    let totals: Written;
    try {
      totals = await write();
    } finally {
      reporter.stop();
    }
    const retries = await verifyRegion(p, store, info, config, logger, verbName, async () => {
      totals = await write();
    });
    const clipped = totals.clipped[0];
    if (clipped > 0 && rangeAction(config) === "warn") {
      logger.warn(
        `${verbName}: ${inputName}: ${clipped} values outside the archive's range were clipped`,
      );
    }
    if (typeof input === "string" && internal.marker !== false) {
      await recordWritten(store, input, info.timeDim, stepRanges(p));
    }
    // Only after the record: until then a re-run must know this attempt may have died.
    await underWay?.();
    const seconds = (performance.now() - started) / 1000;
    logger.info(
      `${verbName}: done ${inputName}: ${totals.chunks} chunks (${totals.merged} shared, ${totals.conflicts} conflicts redone), ${(totals.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(2)} s`,
    );
    return resultOf(p, archive, totals, clipped, retries, seconds);
  } finally {
    if (typeof input === "string") await ds.close();
  }
}
