/**
 * `write-region`: one file into its place in a template archive, safely alongside any number of
 * other writers (see engine/chunk-sink.ts for why no update is lost).
 *
 *   1. the archive must be a zarrify template (.zarrify/template.json);
 *   2. the file must have the template's time-dependent variables, with the same dimensions and
 *      the same grid (non-time dimension lengths and coordinate values);
 *   3. the region comes from the file's decoded times (any units/calendar spelling, exact match
 *      to the archive's grid) or from a manual `region`;
 *   4. values are converted to the archive's stored form and written chunk by chunk;
 *   5. with retriesOnMissing > 0 the region is read back and its missing-value mask compared with
 *      the file's; a mismatch rewrites the region, up to that many times;
 *   6. a marker records the file as written (what `run --resume` skips).
 *
 * Every check happens before the first chunk is written, so a refused file leaves the archive as
 * it was. Coordinates are never rewritten.
 */
import { type ConfigInput, resolveConfig, type ZarrifyConfig } from "../config/schema.js";
import { formatDate } from "../dataset/cftime/date.js";
import { type DataArray, type Dataset, DTYPE_SIZE, type Variable } from "../dataset/types.js";
import type { Piece, SinkResult } from "../engine/job.js";
import { type ProgressListener, progressFor } from "../engine/progress.js";
import { regionTasks } from "../engine/region-tasks.js";
import { type EngineTotals, execute } from "../engine/run.js";
import { RegionError, RetryLimitExceededError } from "../errors.js";
import { hint, opt, verb } from "../hint.js";
import { type Logger, libraryLogger } from "../log.js";
import { DEFAULT_MAX_BLOCK_MB } from "../plan/blocks.js";
import { type DetachedSource, detachVariables } from "../readers/detached.js";
import { openDataset } from "../readers/index.js";
import { regionBlocks } from "../region/blocks.js";
import { locateRegion, type RegionRun } from "../region/locate.js";
import { parseRegion, type RegionInput, type RegionSpec } from "../region/spec.js";
import { readTemplateInfo, recordWritten, type TemplateInfo } from "../region/state.js";
import { hasTimeUnits, sameCalendar, type TimeAxis, timeAxisOf } from "../region/time-axis.js";
import {
  archiveForm,
  isMissingValue,
  type StoredForm,
  storedForm,
  toArchive,
} from "../region/values.js";
import { type ArchiveMetadata, detectFormat, readArchiveMetadata } from "../zarr/archive.js";
import { type ArrayMeta, v3CharFold } from "../zarr/metadata.js";
import { readBox } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import { archiveStore } from "./archive-store.js";
import { splitOptions } from "./options.js";
import { checkStringsFit } from "./strings.js";
import { sweepArchiveTemps } from "./sweep.js";

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

/** What a region write needs to know of the archive; the template record has it. */
export type Layout = Pick<TemplateInfo, "timeDim" | "timeVariable" | "regionArrays">;

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

interface Target {
  name: string;
  meta: ArrayMeta;
  variable: Variable;
  src: StoredForm;
  dst: StoredForm;
}

const REGION_KEYS = ["region", "logger", "store", "progress"] as const;

async function openTemplate(
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

function dimsText(dims: readonly string[], shape: readonly number[]): string {
  return `(${dims.map((d, i) => `${d}=${shape[i]}`).join(", ")})`;
}

/** Variables, dimensions and non-time lengths must match the template. */
function matchTargets(ds: Dataset, info: Layout, md: ArchiveMetadata, spec: RegionSpec): Target[] {
  const byName = new Map(ds.variables.map((v) => [v.name, v]));
  const missing = info.regionArrays.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw new RegionError(
      `${ds.path}: missing variable(s) the template has: ${missing.join(", ")}`,
      { hint: "every file must hold all the template's time-dependent variables" },
    );
  }
  return info.regionArrays.map((name) => {
    const meta = md.arrays.get(name);
    if (meta === undefined) {
      throw new RegionError(`archive: array '${name}' listed in the template record is missing`, {
        hint: hint`the archive is damaged; recreate it with ${verb("create-template")}`,
      });
    }
    const variable = byName.get(name) as Variable;
    // Zarr v3 keeps no name for a char array's string-length dimension: its length must match.
    const unnamed = v3CharFold(meta) ? meta.dimensionNames.length - 1 : -1;
    const sameDims =
      variable.dims.length === meta.dimensionNames.length &&
      variable.dims.every((d, i) => d === meta.dimensionNames[i] || i === unnamed);
    const lengthsOk = variable.dims.every((d, i) => {
      if (d === info.timeDim) return true;
      const r = spec[d];
      const want =
        r?.start !== undefined || r?.stop !== undefined
          ? (r.stop ?? meta.shape[i]) - (r.start ?? 0)
          : meta.shape[i];
      return variable.shape[i] === want;
    });
    if (!sameDims || !lengthsOk) {
      throw new RegionError(
        `${ds.path}: variable '${name}' is ${dimsText(variable.dims, variable.shape)} in the file but ${dimsText(meta.dimensionNames, meta.shape)} in the archive`,
        {
          hint: hint`the file's grid differs from the template's; regrid it, or write a part of the grid with ${opt("region")}`,
        },
      );
    }
    const parent = ds.variables.find((v) => v.attrs.bounds === name);
    const archiveParent = parent && md.arrays.get(parent.name);
    return {
      name,
      meta,
      variable,
      src: storedForm(variable.dtype, variable.attrs, parent?.attrs),
      dst: archiveForm(meta, archiveParent?.attrs),
    };
  });
}

function sameValue(a: number | bigint | string, b: number | bigint | string): boolean {
  return (
    a === b ||
    (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b))
  );
}

/** Dimension coordinates of the non-time dims (lat, lon, level...) must hold the same values. */
async function checkGrid(
  ds: Dataset,
  store: Store,
  info: Layout,
  md: ArchiveMetadata,
  spec: RegionSpec,
  /** The archive's coordinates read so far: files of one write share them. */
  known: Map<string, Promise<DataArray>> = new Map(),
): Promise<void> {
  for (const [name, meta] of md.arrays) {
    if (meta.dimensionNames.length !== 1 || meta.dimensionNames[0] !== name) continue;
    if (name === info.timeDim) continue;
    const v = ds.variables.find((x) => x.name === name && x.dims.length === 1);
    if (v === undefined) continue;
    const start = spec[name]?.start ?? 0;
    const theirs = await v.read([0], [v.shape[0]]);
    const key = `${name}:${start}:${v.shape[0]}`;
    let read = known.get(key);
    if (!read) {
      read = readBox(store, meta, [start], [v.shape[0]]);
      known.set(key, read);
    }
    const ours = await read;
    for (let i = 0; i < theirs.length; i++) {
      if (!sameValue(theirs[i], ours[i])) {
        throw new RegionError(
          `${ds.path}: coordinate '${name}' differs from the archive's at index ${start + i} (${String(theirs[i])} in the file, ${String(ours[i])} in the archive)`,
          { hint: "the file is on another grid than the template; regrid it first" },
        );
      }
    }
  }
}

/** The file's time axis, by the archive's time coordinate name. */
export async function fileAxis(ds: Dataset, info: Layout): Promise<TimeAxis> {
  const v = ds.variables.find((x) => x.name === info.timeVariable && x.dims.length === 1);
  if (v === undefined || v.dims[0] !== info.timeDim) {
    throw new RegionError(
      `${ds.path}: no time coordinate '${info.timeVariable}' along '${info.timeDim}' to place the file by`,
      {
        hint: hint`give the file the template's time coordinate, or set the region with ${opt("region")}`,
      },
    );
  }
  return timeAxisOf(await v.read([0], [v.shape[0]]), v.attrs, `${ds.path}: '${v.name}'`);
}

async function archiveAxis(store: Store, info: Layout, md: ArchiveMetadata, archive: string) {
  const meta = md.arrays.get(info.timeVariable);
  if (meta === undefined) {
    throw new RegionError(`${archive}: the time coordinate '${info.timeVariable}' is missing`, {
      hint: hint`the archive is damaged; recreate it with ${verb("create-template")}`,
    });
  }
  return timeAxisOf(await readBox(store, meta, [0], [meta.shape[0]]), meta.attrs, archive);
}

function fileSteps(ds: Dataset, info: Layout, targets: Target[]): number {
  const dim = ds.dims.find((d) => d.name === info.timeDim);
  if (dim) return dim.size;
  const t = targets[0];
  return t ? t.variable.shape[t.variable.dims.indexOf(info.timeDim)] : 0;
}

/** A dimension's length from any array along it (records joined by position may have no coordinate). */
function dimLength(md: ArchiveMetadata, dim: string): number {
  for (const a of md.arrays.values()) {
    const i = a.dimensionNames.indexOf(dim);
    if (i >= 0) return a.shape[i];
  }
  return 0;
}

async function placeRuns(
  ds: Dataset,
  store: Store,
  info: Layout,
  md: ArchiveMetadata,
  spec: RegionSpec,
  targets: Target[],
  archive: string,
  duplicates: "error" | "first",
  knownAxis?: TimeAxis,
): Promise<RegionRun[]> {
  const steps = fileSteps(ds, info, targets);
  const archiveSteps = dimLength(md, info.timeDim);
  const manual = spec[info.timeDim];
  if (manual && (manual.start !== undefined || manual.stop !== undefined)) {
    const start = manual.start ?? 0;
    const stop = manual.stop ?? start + steps;
    if (stop - start !== steps || stop > archiveSteps) {
      throw new RegionError(
        `${ds.path}: region ${info.timeDim}:${start}:${stop} does not fit: the file has ${steps} step(s), the archive ${archiveSteps}`,
        { hint: `give a region of exactly ${steps} steps within 0..${archiveSteps}` },
      );
    }
    return [{ archiveStart: start, sourceStart: 0, count: steps }];
  }
  const ours = knownAxis ?? (await archiveAxis(store, info, md, archive));
  const theirs = await fileAxis(ds, info);
  if (!sameCalendar(theirs.calendar, ours.calendar)) {
    throw new RegionError(
      `${ds.path}: time is in the ${theirs.calendar} calendar, the archive's in ${ours.calendar}`,
      { hint: "files and template must share a calendar" },
    );
  }
  return locateRegion(theirs, ours, ds.path, { duplicates });
}

/** The runs cut down to the steps `keep` accepts. */
function filterRuns(runs: RegionRun[], keep: (archiveIndex: number) => boolean): RegionRun[] {
  const out: RegionRun[] = [];
  for (const r of runs) {
    for (let k = 0; k < r.count; k++) {
      if (!keep(r.archiveStart + k)) continue;
      const last = out[out.length - 1];
      if (
        last &&
        last.archiveStart + last.count === r.archiveStart + k &&
        last.sourceStart + last.count === r.sourceStart + k
      ) {
        last.count++;
      } else
        out.push({ archiveStart: r.archiveStart + k, sourceStart: r.sourceStart + k, count: 1 });
    }
  }
  return out;
}

function boxFor(t: Target, info: Layout, spec: RegionSpec, run: RegionRun) {
  const start = t.meta.dimensionNames.map((d) =>
    d === info.timeDim ? run.archiveStart : (spec[d]?.start ?? 0),
  );
  const count = t.variable.dims.map((d, i) =>
    d === info.timeDim ? run.count : t.variable.shape[i],
  );
  const source = t.variable.dims.map((d) => (d === info.timeDim ? run.sourceStart : 0));
  return { start, count, source };
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

/** Calls fn for each block of each target and run with the file's values in the archive's form. */
async function forEachBlock(
  targets: Target[],
  runs: RegionRun[],
  info: Layout,
  spec: RegionSpec,
  fn: (
    t: Target,
    start: number[],
    count: number[],
    data: ReturnType<typeof toArchive>,
  ) => Promise<void>,
): Promise<void> {
  for (const t of targets) {
    for (const run of runs) {
      const box = boxFor(t, info, spec, run);
      const blocks = regionBlocks(
        t.meta.chunks,
        box.start,
        box.count,
        DTYPE_SIZE[t.meta.dtype],
        DEFAULT_MAX_BLOCK_MB * 1024 * 1024,
      );
      for (const b of blocks) {
        const from = b.start.map((s, d) => box.source[d] + s - box.start[d]);
        const raw = await t.variable.read(from, b.count);
        await fn(t, b.start, b.count, toArchive(raw, t.src, t.dst, `${t.variable.name}`));
      }
    }
  }
}

/** Cells whose missing/present state differs between what was meant and what the archive holds. */
async function missingMismatches(
  store: Store,
  targets: Target[],
  runs: RegionRun[],
  info: Layout,
  spec: RegionSpec,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await forEachBlock(targets, runs, info, spec, async (t, start, count, meant) => {
    const stored = await readBox(store, t.meta, start, count);
    let bad = 0;
    for (let i = 0; i < stored.length; i++) {
      const want = isMissingValue(Number(meant.data[i]), t.dst.fill);
      const got = isMissingValue(Number(stored[i]), t.dst.fill);
      if (want !== got) bad++;
    }
    if (bad > 0) out.set(t.name, (out.get(t.name) ?? 0) + bad);
  });
  return out;
}

function checkTargets(targets: Target[], config: ZarrifyConfig): Target[] {
  const vars = config.missingCheckVars;
  if (vars === "none" || config.retriesOnMissing === 0) return [];
  const numeric = targets.filter((t) => t.meta.dtype !== "string" && t.meta.dtype !== "char");
  if (vars === "all") return numeric;
  const unknown = vars.filter((v) => !targets.some((t) => t.name === v));
  if (unknown.length > 0) {
    throw new RegionError(
      `missingCheckVars names variable(s) the template does not write: ${unknown.join(", ")}`,
      {
        hint: `choose among ${targets.map((t) => t.name).join(", ")}, or use "all"`,
      },
    );
  }
  return numeric.filter((t) => vars.includes(t.name));
}

/** A file checked against the archive and placed in it: everything its write needs. */
interface PreparedRegion {
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
async function prepareRegion(
  ds: Dataset,
  region: RegionInput | undefined,
  c: PrepareContext,
): Promise<PreparedRegion> {
  const { store, info, md, internal, archive } = c;
  const spec = region === undefined ? {} : parseRegion(region);
  for (const dim of Object.keys(spec)) {
    if (!md.arrays.size || ![...md.arrays.values()].some((a) => a.dimensionNames.includes(dim))) {
      throw new RegionError(`region names '${dim}', which is not a dimension of the archive`);
    }
  }
  const targets = matchTargets(ds, info, md, spec);
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

function rangeAction(config: ZarrifyConfig) {
  return config.packing.checkRangeExceeded ? config.packing.rangeExceededAction : "ignore";
}

interface Written extends EngineTotals {
  /** Values clipped, per file (index into the prepared list). */
  clipped: number[];
}

/**
 * Writes prepared files together: their pieces of each array go into one set of engine tasks, so a
 * chunk several of them fill is assembled once and stored blind, and only chunks shared with
 * writers outside this set are merged. Files are read by path where their datasets are closed.
 */
async function writePrepared(
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
    inputs: prepared.map((p) => ({ path: p.input, group: o.group, variables: p.detached })),
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
async function verifyRegion(
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

function resultOf(
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
    runs: p.runs.map((r) => [r.archiveStart, r.archiveStart + r.count]),
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
    if (!internal.layout) await sweepArchiveTemps(store, logger, verbName, { rateLimited: true });
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
      await recordWritten(store, input, info.timeDim, resultOf(p, archive, totals, 0, 0, 0).runs);
    }
    const seconds = (performance.now() - started) / 1000;
    logger.info(
      `${verbName}: done ${inputName}: ${totals.chunks} chunks (${totals.merged} shared, ${totals.conflicts} conflicts redone), ${(totals.bytesWritten / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(2)} s`,
    );
    return resultOf(p, archive, totals, clipped, retries, seconds);
  } finally {
    if (typeof input === "string") await ds.close();
  }
}

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
     * Given, a file that is refused or fails is reported here and the others are still written
     * (run); otherwise the first failure stops everything before anything is written (convert).
     */
    onFailed?: (input: string, err: unknown) => void;
    /** A file whose data is all stored and recorded, with the number of files so far. */
    onWritten?: (input: string, written: number) => void;
  },
): Promise<FilesWriteResult> {
  const { config, store, logger, internal } = o;
  const verbName = internal.verb ?? "write-region";
  const started = performance.now();
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
  // Winner first: a step the later file writes is not the earlier file's to write.
  for (let i = writes.length - 1; i >= 0; i--) {
    const w = writes[i];
    logger.info(
      `${verbName}: [${i + 1}/${writes.length}] ${w.path}${w.where ? ` → ${w.where}` : ""}`,
    );
    const keep = internal.keepStep;
    try {
      const ds = await openDataset(w.path, { group: config.group });
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
        for (const r of p.runs) for (let k = 0; k < r.count; k++) claimed.add(r.archiveStart + k);
        placed[i] = p;
      } finally {
        await ds.close();
      }
    } catch (err) {
      if (!o.onFailed) throw err;
      o.onFailed(w.path, err);
    }
  }
  const prepared = placed.filter((p): p is PreparedRegion => p !== undefined);
  const checking = checkTargets(prepared[0]?.targets ?? [], config).length > 0;
  const markers: Promise<void>[] = [];
  const recorded = new Set<number>();
  const failed = new Set<number>();
  const mark = (i: number) => {
    const p = prepared[i];
    recorded.add(i);
    const done =
      internal.marker === false
        ? Promise.resolve()
        : recordWritten(store, p.input, info.timeDim, resultOf(p, archive, NONE, 0, 0, 0).runs);
    markers.push(done.then(() => o.onWritten?.(p.input, recorded.size)));
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
      const all = await writePrepared(prepared, store, info, {
        jobs: config.jobs,
        group: config.group,
        progress,
        // Verified files are recorded once the check passed.
        onFileDone: checking ? undefined : mark,
      });
      add(all, (k) => k);
    } catch (err) {
      if (!o.onFailed) throw err;
      // Which file broke the shared write is not known: the files not finished are written again
      // one by one (writes are idempotent), so only the broken one fails.
      logger.warn(
        `${verbName}: ${(err as Error).message}; writing the unfinished files one by one`,
      );
      for (const [i, p] of prepared.entries()) {
        if (recorded.has(i)) continue;
        try {
          const one = await writePrepared([p], store, info, {
            jobs: config.jobs,
            group: config.group,
          });
          add(one, () => i);
          if (!checking) mark(i);
        } catch (e) {
          o.onFailed(p.input, e);
          failed.add(i);
        }
      }
    }
  } finally {
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
