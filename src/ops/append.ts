/**
 * `append`: extend an archive along its time (append) dimension with a file's new steps.
 *
 * Under an archive-wide lock (.zarrify/append.lock; concurrent appends wait their turn):
 *   1. the file's times are compared with the archive's as instants: times already there are
 *      overlaps (policy `onOverlap`: skip — default —, overwrite, error); a time inside the
 *      archive's range that is not one of its steps, or new times out of order, are errors; a gap
 *      after the archive's last step is reported;
 *   2. the file is checked like a region write (variables, dimensions, grid) before anything is
 *      written;
 *   3. new time values and data go to chunks beyond the current shape (invisible to readers), the
 *      overlaps as the policy says; then the arrays' metadata grow, the time coordinate's last,
 *      and the consolidated metadata is rewritten — one atomic put, which is what xarray reads.
 *      So readers see the archive before or after the append, never between; a killed append is
 *      repaired by running it again (it measures the archive by its time coordinate, which grows
 *      last, and rewrites the same bytes).
 * With `skip`, an overlapping step that holds no data yet (a template step, or a step a killed
 * append grew but did not fill) is written, not skipped.
 */
import { resolve } from "node:path";
import { type ConfigInput, resolveConfig } from "../config/schema.js";
import { formatDate } from "../dataset/cftime/date.js";
import { encodeTimes } from "../dataset/cftime/encoding.js";
import { addFrequency, inferFrequency } from "../dataset/cftime/frequency.js";
import { ARRAY_TYPES, type DataArray, type Dataset } from "../dataset/types.js";
import { writeBox } from "../engine/chunk-sink.js";
import type { ProgressListener } from "../engine/progress.js";
import { RegionError } from "../errors.js";
import { hint, opt, verb } from "../hint.js";
import { isRemoteInput } from "../location.js";
import { type Logger, libraryLogger } from "../log.js";
import { inputIdentity, sameIdentity } from "../readers/identity.js";
import { openDataset } from "../readers/index.js";
import { withArchiveLock } from "../region/archive-lock.js";
import { fileAxis } from "../region/place.js";
import type { Layout } from "../region/state.js";
import {
  readMarker,
  readTemplateInfo,
  recordWritten,
  type TemplateInfo,
  writeTemplateInfo,
} from "../region/state.js";
import { sameCalendar, type TimeAxis, timeAxisOf } from "../region/time-axis.js";
import { archiveForm, isMissingValue } from "../region/values.js";
import { detectFormat, readArchiveMetadata, writeConsolidated } from "../zarr/archive.js";
import { metadataKeys } from "../zarr/keys.js";
import type { ArrayMeta } from "../zarr/metadata.js";
import { readBox } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import { archiveStore } from "./archive-store.js";
import { type RegionWriteResult, writeRegion } from "./region.js";
import { sweepArchiveTemps } from "./sweep.js";

export const APPEND_LOCK_KEY = ".zarrify/append.lock";

export interface AppendOptions {
  logger?: Logger;
  store?: Store;
  /** A bar (CLI on a TTY) or periodic lines on stderr, or a listener of the bytes written. */
  progress?: boolean | ProgressListener;
}

export interface AppendResult extends RegionWriteResult {
  /** Steps added at the end. */
  appended: number;
  /** Steps the file shares with the archive, and what happened to them. */
  overlapping: number;
  overlapPolicy: "skip" | "overwrite" | "error";
  /** Steps in the archive now. */
  totalSteps: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Rewrites only the top-level "shape" of an array document, leaving every other byte as it was. */
async function growDocument(store: Store, meta: ArrayMeta, shape: number[]): Promise<void> {
  const key = metadataKeys(meta.zarrFormat, "array", meta.path)[0];
  const bytes = await store.get(key);
  if (!bytes) throw new RegionError(`array ${meta.path}: metadata ${key} is missing`);
  const text = decoder.decode(bytes);
  const next = text.replace(/"shape"\s*:\s*\[[^\]]*\]/, `"shape": [${shape.join(", ")}]`);
  const check = JSON.parse(next.replace(/\bNaN\b|-?\bInfinity\b/g, "0")) as { shape?: number[] };
  if (JSON.stringify(check.shape) !== JSON.stringify(shape)) {
    throw new RegionError(`array ${meta.path}: cannot update the shape in ${key}`);
  }
  await store.set(key, encoder.encode(next));
}

function layoutOf(
  info: TemplateInfo | undefined,
  metas: Map<string, ArrayMeta>,
  dim: string,
): Layout {
  if (info) return info;
  return {
    timeDim: dim,
    timeVariable: dim,
    regionArrays: [...metas.values()]
      .filter((m) => m.dimensionNames.includes(dim) && m.path !== dim)
      .map((m) => m.path),
  };
}

async function stepHasData(
  store: Store,
  meta: ArrayMeta,
  axis: number,
  step: number,
): Promise<boolean> {
  const start = meta.shape.map((_, d) => (d === axis ? step : 0));
  const count = meta.shape.map((n, d) => (d === axis ? 1 : n));
  const data = await readBox(store, meta, start, count);
  const form = archiveForm(meta);
  for (let i = 0; i < data.length; i++) {
    if (!isMissingValue(Number(data[i]), form.fill)) return true;
  }
  return false;
}

function typedTimes(meta: ArrayMeta, values: number[]): DataArray {
  if (meta.dtype === "int64") return BigInt64Array.from(values.map((v) => BigInt(v)));
  const Ctor = ARRAY_TYPES[meta.dtype as "float64"] as unknown as { from(v: number[]): DataArray };
  return Ctor.from(values);
}

export async function appendToZarr(
  input: string,
  archive: string,
  options: AppendOptions & ConfigInput = {},
): Promise<AppendResult> {
  const { logger: givenLogger, store: givenStore, progress, ...configInput } = options;
  const config = resolveConfig({ cli: configInput });
  const logger = givenLogger ?? libraryLogger;
  const store = givenStore ?? archiveStore(archive, { objectStores: true });
  if ((await detectFormat(store)) === undefined) {
    throw new RegionError(`${archive}: no Zarr archive here to append to`, {
      hint: hint`create it with ${verb("convert")} (or ${verb("create-template")}) first`,
    });
  }
  const dim = config.appendDim;
  logger.info(`append: start ${input} → ${archive} along '${dim}' (pid ${process.pid})`);
  return withArchiveLock(store, APPEND_LOCK_KEY, { what: `append of ${input}` }, async () => {
    // Opened once: its time axis decides the region, then writeRegion writes from it.
    let ds: Dataset | undefined;
    try {
      const md = await readArchiveMetadata(store, { consolidated: false });
      const info = await readTemplateInfo(store, archive);
      const layout = layoutOf(info, md.arrays, dim);
      if (layout.timeDim !== dim) {
        throw new RegionError(
          `${archive}: its time dimension is '${layout.timeDim}', not '${dim}'`,
          {
            hint: hint`pass ${opt("appendDim", layout.timeDim)}`,
          },
        );
      }
      const timeMeta = md.arrays.get(layout.timeVariable);
      if (timeMeta?.dimensionNames.length !== 1 || timeMeta.dimensionNames[0] !== dim) {
        throw new RegionError(`${archive}: no coordinate variable '${dim}' to append along`, {
          hint: hint`append extends an archive along a dimension with a CF time coordinate; see ${opt("appendDim")}`,
        });
      }
      const oldLength = timeMeta.shape[0];
      const ours = timeAxisOf(
        await readBox(store, timeMeta, [0], [oldLength]),
        timeMeta.attrs,
        archive,
      );
      ds = await openDataset(input, { group: config.group });
      const theirs = await fileAxis(ds, layout);
      if (!sameCalendar(theirs.calendar, ours.calendar)) {
        throw new RegionError(
          `${input}: time is in the ${theirs.calendar} calendar, the archive's in ${ours.calendar}`,
          { hint: "an archive holds one calendar" },
        );
      }
      const index = new Map(ours.instants.map((t, i) => [t, i]));
      const last = ours.instants[oldLength - 1];
      const overlaps: number[] = [];
      const fresh: number[] = [];
      const seen = new Set<bigint>();
      theirs.instants.forEach((t, k) => {
        if (seen.has(t)) return;
        seen.add(t);
        const at = index.get(t);
        if (at !== undefined) overlaps.push(at);
        else if (last !== undefined && t < last) {
          throw new RegionError(
            `${input}: time ${formatDate(theirs.dates[k])} lies inside the archive's range (${formatDate(ours.dates[0])} .. ${formatDate(ours.dates[oldLength - 1])}) but is not one of its steps`,
            {
              hint: "append adds steps after the archive's last one; use write-region for a template",
            },
          );
        } else fresh.push(k);
      });
      for (let i = 1; i < fresh.length; i++) {
        if (theirs.instants[fresh[i]] <= theirs.instants[fresh[i - 1]]) {
          throw new RegionError(
            `${input}: new times are not increasing (${formatDate(theirs.dates[fresh[i]])} after ${formatDate(theirs.dates[fresh[i - 1]])})`,
            { hint: "sort the file's steps by time" },
          );
        }
      }
      if (overlaps.length > 0 && config.onOverlap === "error") {
        throw new RegionError(
          `${input}: ${overlaps.length} time step(s) are already in the archive (${overlaps
            .slice(0, 3)
            .map((i) => formatDate(ours.dates[i]))
            .join(", ")}${overlaps.length > 3 ? ", ..." : ""})`,
          {
            hint: hint`pass ${opt("onOverlap", "skip")} to leave them, or ${opt("onOverlap", "overwrite")} to replace them`,
          },
        );
      }
      const freq =
        info?.freq && info.freq !== "irregular"
          ? info.freq
          : inferFrequency(ours.dates, ours.calendar);
      if (freq && fresh.length > 0 && oldLength > 0) {
        const expected = addFrequency(ours.dates[oldLength - 1], freq, 1, ours.calendar);
        const first = theirs.dates[fresh[0]];
        if (formatDate(expected) !== formatDate(first)) {
          logger.warn(
            `append: ${input}: gap in time: the archive ends at ${formatDate(ours.dates[oldLength - 1])} (every ${freq}), the file continues at ${formatDate(first)} instead of ${formatDate(expected)}`,
          );
        }
      }

      const newLength = oldLength + fresh.length;
      const grown = new Map<string, ArrayMeta>();
      for (const [name, meta] of md.arrays) {
        const axis = meta.dimensionNames.indexOf(dim);
        grown.set(
          name,
          axis < 0
            ? meta
            : { ...meta, shape: meta.shape.map((n, d) => (d === axis ? newLength : n)) },
        );
      }
      const grownTime = grown.get(layout.timeVariable) as ArrayMeta;
      const newDates = fresh.map((k) => theirs.dates[k]);
      const axisAfter: TimeAxis = {
        ...ours,
        dates: [...ours.dates, ...newDates],
        instants: [...ours.instants, ...fresh.map((k) => theirs.instants[k])],
      };
      const encoded = encodeTimes(newDates, String(timeMeta.attrs.units), ours.calendar);
      if (
        timeMeta.dtype !== "float32" &&
        timeMeta.dtype !== "float64" &&
        !encoded.every(Number.isInteger)
      ) {
        throw new RegionError(
          `${input}: its new times are not whole multiples of the archive's time units ('${timeMeta.attrs.units}', ${timeMeta.dtype})`,
          { hint: "the archive's time encoding cannot hold these steps" },
        );
      }

      // Overlapping steps without data yet are written under "skip" too: nothing would be lost.
      const keep = new Set<number>();
      if (config.onOverlap === "skip" && overlaps.length > 0) {
        const probe = md.arrays.get(layout.regionArrays[0] ?? "");
        for (const i of overlaps) {
          if (probe && !(await stepHasData(store, probe, probe.dimensionNames.indexOf(dim), i)))
            keep.add(i);
        }
      }
      const keepStep =
        config.onOverlap === "overwrite" ? undefined : (i: number) => i >= oldLength || keep.has(i);

      // Past every check: a refused file leaves the archive as it was.
      await sweepArchiveTemps(store, logger, "append");
      const result = await writeRegion(
        ds,
        archive,
        { ...configInput, store, logger, progress },
        {
          layout,
          metadata: { ...md, arrays: grown },
          archiveAxis: axisAfter,
          duplicates: "first",
          marker: false,
          verb: "append",
          keepStep,
          beforeWrite: async () => {
            if (fresh.length === 0) return;
            await writeBox(
              store,
              grownTime,
              [oldLength],
              [fresh.length],
              typedTimes(timeMeta, encoded),
            );
          },
        },
      );
      // The record comes before the archive grows, so a grown step is never unrecorded.
      await recordWritten(store, input, dim, await withEarlierRuns(store, input, result.runs));
      if (fresh.length > 0) {
        // The time coordinate last: until it grows, readers (and a re-run) see the old archive.
        for (const [name, meta] of grown) {
          if (meta !== md.arrays.get(name) && name !== layout.timeVariable)
            await growDocument(store, meta, meta.shape);
        }
        await growDocument(store, grownTime, grownTime.shape);
        if (info) {
          await writeTemplateInfo(store, {
            ...info,
            steps: newLength,
            end: formatDate(axisAfter.dates[newLength - 1]),
          });
        }
      }
      await writeConsolidated(store, md.format);
      const skipped =
        overlaps.length - (config.onOverlap === "overwrite" ? overlaps.length : keep.size);
      logger.info(
        `append: done ${input}: ${fresh.length} step(s) appended, ${overlaps.length} overlapping (${config.onOverlap}${skipped > 0 ? `: ${skipped} skipped` : ""}); ${newLength} steps now`,
      );
      return {
        ...result,
        appended: fresh.length,
        overlapping: overlaps.length,
        overlapPolicy: config.onOverlap,
        totalSteps: newLength,
      };
    } finally {
      await ds?.close();
    }
  });
}

/**
 * The runs this append wrote, and those an earlier append of the same file (same version)
 * recorded. A second append of a file, or the re-run of one killed after its data, skips the
 * steps it wrote before; its record replaces the earlier one (one per file), so it must keep
 * them, or they would read as never written.
 */
async function withEarlierRuns(
  store: Store,
  input: string,
  runs: [number, number][],
): Promise<[number, number][]> {
  const absolute = isRemoteInput(input) ? input : resolve(input);
  const before = await readMarker(store, absolute);
  if (!before || !sameIdentity(before, await inputIdentity(absolute))) return runs;
  const all = [...before.runs, ...runs].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, stop] of all) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], stop);
    else merged.push([start, stop]);
  }
  return merged;
}
