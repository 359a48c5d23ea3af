/**
 * Planning a template archive: the template file's variables laid out over the full time range.
 * Pure: the dataset's structure, the time axis and the config in, a WritePlan out.
 *
 * Chunks come from the *archive's* dimensions (a one-day template file would otherwise give
 * one-step time chunks to a ten-year archive): by hand per dimension name, from the intelligent
 * recommendation for an access pattern, or the convert default (whole dims cut to the target size,
 * time first).
 */
import { charStringNames } from "../dataset/coords.js";
import type { Dataset, DType, Variable } from "../dataset/types.js";
import { DTYPE_SIZE, INTEGER_RANGE, NETCDF_DEFAULT_FILL } from "../dataset/types.js";
import type { AccessPattern } from "./chunking.js";
import { chunksWithOverrides } from "./chunking.js";
import { type ConvertPlanOptions, planArray } from "./convert-plan.js";
import { keepStringsWhole } from "./output-chunks.js";
import type { WritePlan } from "./write-plan.js";

export interface TemplatePlanOptions extends ConvertPlanOptions {
  timeDim: string;
  /** Number of steps of the full archive. */
  steps: number;
  /**
   * The time coordinate's stored form in the archive. Absent when the dimension has no CF time
   * coordinate (records joined by position): its coordinate, if any, is then filled by regions.
   */
  time?: { variable: string; dtype: DType; units: string };
  /** Recommend chunks for this access pattern; dims named in `chunking` still win. */
  accessPattern?: AccessPattern;
  /**
   * Regions may stay unwritten (create-template; not a multi-file convert, which writes every
   * step): integers then need a fill that reads as missing.
   */
  mayStayUnwritten?: boolean;
}

export interface TemplatePlan {
  plan: WritePlan;
  /** Arrays along the time dimension (the time coordinate excluded): written by write-region. */
  regionArrays: string[];
  /** Warnings of the chunk recommendation, for the log. */
  warnings: string[];
}

const INTEGER_DTYPES = new Set(Object.keys(INTEGER_RANGE));

function overTime(v: Variable, timeDim: string, steps: number): Variable {
  return { ...v, shape: v.dims.map((d, i) => (d === timeDim ? steps : v.shape[i])) };
}

export function planTemplate(
  ds: Dataset,
  variables: readonly Variable[],
  options: TemplatePlanOptions,
): TemplatePlan {
  const warnings = new Set<string>();
  const strings = charStringNames(variables);
  const arrays = variables.map((source) => {
    const time = source.name === options.time?.variable ? options.time : undefined;
    const v = overTime(
      time ? { ...source, dtype: time.dtype } : source,
      options.timeDim,
      options.steps,
    );
    const array = planArray(v, options, strings);
    if (
      options.mayStayUnwritten === true &&
      options.zarrFormat === 2 &&
      array.fillValue === null &&
      v.dims.includes(options.timeDim) &&
      !time &&
      INTEGER_DTYPES.has(v.dtype)
    ) {
      // Regions of a template may never be written, and a v2 integer array without a fill reads
      // as 0 there. netCDF's default fill is what such a cell of a NetCDF file holds; as v2's
      // fill_value xarray masks it (and so decodes these integers as floats): docs/formats.md.
      array.fillValue = NETCDF_DEFAULT_FILL[v.dtype] as number | bigint;
    }
    if (time) {
      array.attrs = { ...array.attrs, units: time.units };
      // The coordinate is read whole by every reader: one chunk unless it is huge.
      array.chunks = [Math.max(1, Math.min(v.shape[0], 8 * 1024 * 1024))];
      array.sourceChunks = undefined;
      return array;
    }
    if (options.accessPattern !== undefined && v.dims.includes(options.timeDim)) {
      const rec = chunksWithOverrides(
        {
          dims: v.dims,
          shape: v.shape,
          itemSize: DTYPE_SIZE[v.dtype],
          timeDim: options.timeDim,
          pattern: options.accessPattern,
          targetChunkSizeMb: options.targetChunkSizeMb,
        },
        options.chunking,
      );
      array.chunks = keepStringsWhole(array.foldChars, v.shape, rec.chunks);
      for (const w of rec.warnings) warnings.add(`${v.name}: ${w}`);
    }
    return array;
  });
  return {
    plan: {
      zarrFormat: options.zarrFormat,
      attrs: { ...ds.attrs, ...(options.extraAttrs ?? {}) },
      attrTypes: ds.attrTypes,
      arrays,
    },
    regionArrays: arrays
      .filter((a) => a.dims.includes(options.timeDim) && a.name !== options.time?.variable)
      .map((a) => a.name),
    warnings: [...warnings],
  };
}
