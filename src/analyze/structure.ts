/**
 * What a dataset holds, as analyze reports it: each variable with its size, role and source
 * layout, and the time axis decoded to its first and last date and its frequency. Only the time
 * coordinate's values are read.
 */
import { normalizeCalendar } from "../dataset/cftime/calendar.js";
import { formatDate } from "../dataset/cftime/date.js";
import { decodeTimes } from "../dataset/cftime/encoding.js";
import { inferFrequency } from "../dataset/cftime/frequency.js";
import { auxiliaryNames, isDimensionCoordinate, isTimeLike } from "../dataset/coords.js";
import {
  type Dataset,
  type DType,
  NETCDF_DEFAULT_FILL,
  type NumericArray,
  type Variable,
} from "../dataset/types.js";
import { ZarrifyError } from "../errors.js";
import { missingValues } from "../plan/packing-plan.js";
import type { AnalyzeTime, AnalyzeVariable, SourceLayout } from "./report.js";
import { bytesOf, isNumeric, MIB } from "./sizes.js";

function layoutOf(ds: Dataset, v: Variable): SourceLayout {
  if (ds.format === "hdf5") return v.sourceChunks ? "chunked" : "contiguous";
  const first = ds.dims.find((d) => d.name === v.dims[0]);
  return first?.unlimited ? "records" : "contiguous";
}

export function describeVariables(ds: Dataset): AnalyzeVariable[] {
  const coords = auxiliaryNames(ds);
  return ds.variables.map((v) => {
    const bytes = bytesOf(v);
    const isCoordinate = isDimensionCoordinate(v) || coords.has(v.name) || isTimeLike(v);
    const integer = isNumeric(v.dtype) && !v.dtype.startsWith("float");
    return {
      name: v.name,
      dims: [...v.dims],
      shape: [...v.shape],
      dtype: v.dtype,
      bytes,
      mb: bytes / MIB,
      role: isCoordinate ? "coordinate" : "data",
      layout: layoutOf(ds, v),
      sourceChunks: v.sourceChunks ? [...v.sourceChunks] : null,
      sourceFilters: [...(v.sourceFilters ?? [])],
      packedInSource:
        integer && (v.attrs.scale_factor !== undefined || v.attrs.add_offset !== undefined),
    };
  });
}

/** The netCDF default fill as a number, float32 rounded as a float32 variable holds it. */
function defaultFill(dtype: DType): number {
  const fill = NETCDF_DEFAULT_FILL[dtype];
  if (typeof fill === "string") return Number.NaN;
  return dtype === "float32" ? Math.fround(Number(fill)) : Number(fill);
}

export async function describeTime(
  ds: Dataset,
  timeDim: string | undefined,
): Promise<AnalyzeTime | null> {
  if (timeDim === undefined) return null;
  const steps = ds.dims.find((d) => d.name === timeDim)?.size ?? 0;
  const coord = ds.variables.find((v) => v.name === timeDim && v.dims.length === 1);
  const units = typeof coord?.attrs.units === "string" ? coord.attrs.units : null;
  const calendarAttr = typeof coord?.attrs.calendar === "string" ? coord.attrs.calendar : null;
  const time: AnalyzeTime = {
    dim: timeDim,
    steps,
    units,
    calendar: calendarAttr,
    first: null,
    last: null,
    freq: null,
  };
  if (!coord || !isNumeric(coord.dtype)) {
    time.note = `no numeric coordinate variable '${timeDim}': dates unknown`;
    return time;
  }
  if (units === null || !/\bsince\b/i.test(units)) {
    time.note = `'${timeDim}' has no CF time units ("<unit> since <date>"): dates unknown`;
    return time;
  }
  if (steps === 0) return time;
  try {
    time.calendar = normalizeCalendar(calendarAttr);
    const raw = (await coord.read([0], [steps])) as NumericArray;
    const declared = missingValues(coord);
    // Without a _FillValue, netCDF-C marks unwritten values with its default fill; mask it too.
    const missing = new Set(declared.length > 0 ? declared : [defaultFill(coord.dtype)]);
    const values: number[] = [];
    for (const x of raw) {
      const n = Number(x);
      if (Number.isFinite(n) && !missing.has(n)) values.push(n);
    }
    if (values.length < raw.length) {
      time.note = `${raw.length - values.length} time value(s) are missing (fill values)`;
    }
    const dates = decodeTimes(values, units, time.calendar);
    if (dates.length > 0) {
      time.first = formatDate(dates[0]);
      time.last = formatDate(dates[dates.length - 1]);
      time.freq = inferFrequency(dates, time.calendar) ?? null;
    }
  } catch (err) {
    if (!(err instanceof ZarrifyError)) throw err;
    time.note = `times cannot be decoded: ${err.message}`;
  }
  return time;
}
