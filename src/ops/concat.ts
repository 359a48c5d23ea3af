/**
 * Multi-file `convert`: many files concatenated along time into one new archive, in time order
 * (files sorted by their first time, not their names). A dimension without CF times is joined by
 * position instead (concat-records.ts). Built from the same parts as the parallel
 * workflow: an archive laid out over the union of the files' times, then each file written into
 * its steps as a region.
 *
 * Overlaps (a time in two files) follow `onOverlap`: "skip" (default) keeps the earlier file's
 * values, "overwrite" the later file's, "error" refuses before anything is written. Files are
 * written in the order that makes the winner write last. A time repeated inside one file keeps
 * its first occurrence.
 */
import type { ZarrifyConfig } from "../config/schema.js";
import { type CFDatetime, formatDate } from "../dataset/cftime/date.js";
import { inferFrequency } from "../dataset/cftime/frequency.js";
import { ordinalToDate } from "../dataset/cftime/instant.js";
import { findTimeDim } from "../dataset/coords.js";
import type { Dataset } from "../dataset/types.js";
import { ConfigError, InputError } from "../errors.js";
import { hint, opt } from "../hint.js";
import type { Logger } from "../log.js";
import { openDataset } from "../readers/index.js";
import { hasTimeUnits, sameCalendar, type TimeAxis } from "../region/time-axis.js";
import { convertRecords } from "./concat-records.js";
import type { ConvertResult, RunOptions } from "./convert-types.js";
import { newArchiveStore } from "./new-archive.js";
import { scanInputs } from "./scan-inputs.js";
import { buildArchive, templateTime } from "./template.js";
import { writeFiles } from "./write-files.js";

interface FileAxis {
  path: string;
  axis: TimeAxis;
}

/** Every file's time axis, with what the layout must know from all files (scan-inputs.ts). */
function readAxes(files: string[], config: ZarrifyConfig, kept: Map<string, Dataset>) {
  return scanInputs(
    files,
    config,
    async (ds, path): Promise<FileAxis> => {
      const { axis } = await templateTime(ds, config.timeDim);
      if (axis.instants.length === 0) {
        throw new InputError(`${path}: has no time steps to concatenate`, {
          path,
          hint: "leave empty files out of the input list",
        });
      }
      return { path, axis };
    },
    kept,
  );
}

function firstInstant(f: FileAxis): bigint {
  // biome-ignore lint/complexity/useMathMinMax: bigint, which Math.min does not take
  return f.axis.instants.reduce((a, b) => (b < a ? b : a));
}

/** Instants claimed by more than one file, reported per pair for the "error" policy. */
function findOverlaps(files: FileAxis[]): { a: string; b: string; dates: CFDatetime[] }[] {
  const owner = new Map<bigint, number>();
  const pairs = new Map<string, { a: string; b: string; dates: CFDatetime[] }>();
  files.forEach((f, i) => {
    const own = new Set<bigint>();
    f.axis.instants.forEach((t, k) => {
      if (own.has(t)) return;
      own.add(t);
      const prev = owner.get(t);
      if (prev === undefined) {
        owner.set(t, i);
        return;
      }
      const key = `${prev}:${i}`;
      const entry = pairs.get(key) ?? { a: files[prev].path, b: f.path, dates: [] };
      entry.dates.push(f.axis.dates[k]);
      pairs.set(key, entry);
    });
  });
  return [...pairs.values()];
}

/**
 * The dimension to join along by position when it has no CF time coordinate (observation files
 * along `report`), judged from the first file; undefined when files are ordered by time, and the
 * file is then left open in `kept` for the passes that follow.
 */
async function recordDimension(
  path: string,
  config: ZarrifyConfig,
  kept: Map<string, Dataset>,
): Promise<string | undefined> {
  const ds = await openDataset(path, { group: config.group });
  let records: string | undefined;
  try {
    const dim = findTimeDim(ds, config.timeDim);
    const coordinate = ds.variables.find((v) => v.name === dim && v.dims.length === 1);
    records =
      dim !== undefined && !(coordinate && hasTimeUnits(coordinate.attrs)) ? dim : undefined;
  } finally {
    if (records === undefined) kept.set(path, ds);
    else await ds.close();
  }
  return records;
}

async function closeAll(kept: Map<string, Dataset>): Promise<void> {
  const open = [...kept.values()];
  kept.clear();
  await Promise.all(open.map((ds) => ds.close().catch(() => {})));
}

export async function convertMany(
  inputs: string[],
  output: string,
  config: ZarrifyConfig,
  run: RunOptions,
  logger: Logger,
): Promise<ConvertResult> {
  // Files the passes below open are kept open for the next, up to KEPT_OPEN (scan-inputs.ts):
  // the scan, the layout and the write would otherwise each open a file again.
  const kept = new Map<string, Dataset>();
  try {
    const records = await recordDimension(inputs[0], config, kept);
    if (records !== undefined)
      return await convertRecords(inputs, output, records, config, run, logger);
    return await convertByTime(inputs, output, config, run, logger, kept);
  } finally {
    await closeAll(kept);
  }
}

async function convertByTime(
  inputs: string[],
  output: string,
  config: ZarrifyConfig,
  run: RunOptions,
  logger: Logger,
  kept: Map<string, Dataset>,
): Promise<ConvertResult> {
  const started = performance.now();
  const { scan, results: axes } = await readAxes(inputs, config, kept);
  axes.sort((x, y) => {
    const a = firstInstant(x);
    const b = firstInstant(y);
    return a < b ? -1 : a > b ? 1 : x.path.localeCompare(y.path);
  });
  const calendar = axes[0].axis.calendar;
  const other = axes.find((f) => !sameCalendar(f.axis.calendar, calendar));
  if (other) {
    throw new InputError(
      `${other.path}: time is in the ${other.axis.calendar} calendar, ${axes[0].path}'s in ${calendar}`,
      { path: other.path, hint: "files concatenated into one archive must share a calendar" },
    );
  }
  const overlaps = findOverlaps(axes);
  if (overlaps.length > 0) {
    const o = overlaps[0];
    const what = `${o.dates.length} time step(s) of ${o.b} are also in ${o.a} (${o.dates.slice(0, 3).map(formatDate).join(", ")}${o.dates.length > 3 ? ", ..." : ""})`;
    if (config.onOverlap === "error") {
      throw new ConfigError(`convert: ${what}`, {
        hint: hint`remove the duplicate files, or pass ${opt("onOverlap", "skip")} (keep the earlier file) or ${opt("onOverlap", "overwrite")} (keep the later)`,
      });
    }
    logger.warn(
      `convert: ${what}; ${config.onOverlap === "skip" ? "keeping the earlier file's" : "the later file overwrites them"}${overlaps.length > 1 ? ` (and ${overlaps.length - 1} more overlapping pair(s))` : ""}`,
    );
  }
  const union = [...new Set(axes.flatMap((f) => f.axis.instants))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const dates = union.map((t) => ordinalToDate(t, calendar));
  const freq = inferFrequency(dates, calendar) ?? "irregular";
  logger.info(
    `convert: ${axes.length} files in time order, ${dates.length} steps from ${formatDate(dates[0])} to ${formatDate(dates[dates.length - 1])}${freq === "irregular" ? " (irregular steps)" : ` every ${freq}`}`,
  );

  const { store, staged, path: archive } = await newArchiveStore(output, run, logger);
  try {
    const lent = kept.get(axes[0].path);
    const first = lent ?? (await openDataset(axes[0].path, { group: config.group }));
    let built: Awaited<ReturnType<typeof buildArchive>>;
    try {
      const { timeVar, axis } = await templateTime(first, config.timeDim);
      built = await buildArchive(first, store, {
        timeVar,
        axis,
        dates,
        freq,
        config,
        logger,
        output,
        verb: "convert",
        knownRanges: scan.ranges,
        knownStringLengths: scan.strings,
      });
    } finally {
      if (!lent) await first.close();
    }
    // The winner of an overlap writes last.
    const order = config.onOverlap === "overwrite" ? axes : [...axes].reverse();
    const { chunks, bytesWritten, workers } = await writeFiles(order, archive, {
      config,
      store,
      logger,
      progress: run.progress,
      internal: { layout: built.info, duplicates: "first", verb: "convert" },
      opened: kept,
    });
    await staged?.commit();
    const seconds = (performance.now() - started) / 1000;
    return {
      output,
      variables: built.variables,
      chunks,
      bytesRead: 0,
      bytesWritten,
      seconds,
      workers,
    };
  } catch (err) {
    await staged?.abort();
    throw err;
  }
}
