/**
 * Where a file goes in the archive: its time axis placed on the archive's as exact instants
 * (or a region given by hand), as runs of archive steps.
 */
import type { Dataset } from "../dataset/types.js";
import { RegionError } from "../errors.js";
import { hint, opt, verb } from "../hint.js";
import type { ArchiveMetadata } from "../zarr/archive.js";
import { readBox } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import { locateRegion, type RegionRun } from "./locate.js";
import type { RegionSpec } from "./spec.js";
import type { Layout } from "./state.js";
import type { Target } from "./targets.js";
import { sameCalendar, type TimeAxis, timeAxisOf } from "./time-axis.js";

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

export async function archiveAxis(
  store: Store,
  info: Layout,
  md: ArchiveMetadata,
  archive: string,
) {
  const meta = md.arrays.get(info.timeVariable);
  if (meta === undefined) {
    throw new RegionError(`${archive}: the time coordinate '${info.timeVariable}' is missing`, {
      hint: hint`the archive is damaged; recreate it with ${verb("create-template")}`,
    });
  }
  return timeAxisOf(await readBox(store, meta, [0], [meta.shape[0]]), meta.attrs, archive);
}

export function fileSteps(ds: Dataset, info: Layout, targets: Target[]): number {
  const dim = ds.dims.find((d) => d.name === info.timeDim);
  if (dim) return dim.size;
  const t = targets[0];
  return t ? t.variable.shape[t.variable.dims.indexOf(info.timeDim)] : 0;
}

/** A dimension's length from any array along it (records joined by position may have no coordinate). */
export function dimLength(md: ArchiveMetadata, dim: string): number {
  for (const a of md.arrays.values()) {
    const i = a.dimensionNames.indexOf(dim);
    if (i >= 0) return a.shape[i];
  }
  return 0;
}

export async function placeRuns(
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
export function filterRuns(
  runs: RegionRun[],
  keep: (archiveIndex: number) => boolean,
): RegionRun[] {
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
