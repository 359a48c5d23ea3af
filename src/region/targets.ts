/**
 * A file's variables matched against the archive's region arrays: the same dimensions, the same
 * non-time lengths, the same grid coordinates, and each target's stored forms on both sides (what
 * its values go through on the way in). Every check reads only the file and the archive's small
 * coordinate arrays, before anything is written.
 */
import type { DataArray, Dataset, Variable } from "../dataset/types.js";
import { RegionError } from "../errors.js";
import { hint, opt, verb } from "../hint.js";
import type { ArchiveMetadata } from "../zarr/archive.js";
import { type ArrayMeta, v3CharFold } from "../zarr/metadata.js";
import { readBox } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import type { RegionRun } from "./locate.js";
import type { RegionSpec } from "./spec.js";
import type { Layout } from "./state.js";
import { archiveForm, type StoredForm, storedForm } from "./values.js";

export interface Target {
  name: string;
  meta: ArrayMeta;
  variable: Variable;
  src: StoredForm;
  dst: StoredForm;
}

export function dimsText(dims: readonly string[], shape: readonly number[]): string {
  return `(${dims.map((d, i) => `${d}=${shape[i]}`).join(", ")})`;
}

/** Variables, dimensions and non-time lengths must match the template. */
export function matchTargets(
  ds: Dataset,
  info: Layout,
  md: ArchiveMetadata,
  spec: RegionSpec,
  /** The verb writing, for the hint: only write-region can place a part of the grid. */
  verbName = "write-region",
): Target[] {
  const byName = new Map(ds.variables.map((v) => [v.name, v]));
  const missing = info.regionArrays.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw new RegionError(
      `${ds.path}: missing variable(s) the template has: ${missing.join(", ")}`,
      {
        hint: hint`every file must hold the template's time-dependent variables: leave this one out, or make the template with only those all files have (${opt("variables")})`,
      },
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
          hint:
            verbName === "write-region"
              ? hint`the file's grid differs from the template's; regrid it, or write a part of the grid with ${opt("region")}`
              : "the file's grid differs from the archive's; regrid it to the archive's grid first",
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

export function sameValue(a: number | bigint | string, b: number | bigint | string): boolean {
  return (
    a === b ||
    (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b))
  );
}

/** Dimension coordinates of the non-time dims (lat, lon, level...) must hold the same values. */
export async function checkGrid(
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

export function boxFor(t: Target, info: Layout, spec: RegionSpec, run: RegionRun) {
  const start = t.meta.dimensionNames.map((d) =>
    d === info.timeDim ? run.archiveStart : (spec[d]?.start ?? 0),
  );
  const count = t.variable.dims.map((d, i) =>
    d === info.timeDim ? run.count : t.variable.shape[i],
  );
  const source = t.variable.dims.map((d) => (d === info.timeDim ? run.sourceStart : 0));
  return { start, count, source };
}
