/**
 * How a template stores its full time axis. The template file's own units, calendar and dtype
 * are kept when they represent every new step exactly (so the archive decodes like the files);
 * otherwise the axis is stored as "<unit> since <global start>", the unit being the largest one
 * that divides the step, so the numbers stay whole.
 */
import type { Calendar } from "../dataset/cftime/calendar.js";
import { type CFDatetime, formatDate } from "../dataset/cftime/date.js";
import { decodeTimes, encodeTimes } from "../dataset/cftime/encoding.js";
import type { Frequency } from "../dataset/cftime/frequency.js";
import { dateToOrdinal } from "../dataset/cftime/instant.js";
import { type DType, INTEGER_RANGE } from "../dataset/types.js";

export interface TimeEncoding {
  units: string;
  dtype: DType;
  values: Float64Array | BigInt64Array | Int32Array | Float32Array;
}

/** The values in `dtype`, or undefined when some value would not survive the cast exactly. */
function exactly(values: number[], dtype: DType): TimeEncoding["values"] | undefined {
  if (dtype === "float64") return Float64Array.from(values);
  if (dtype === "float32") {
    return values.every((v) => Math.fround(v) === v) ? Float32Array.from(values) : undefined;
  }
  const limits = INTEGER_RANGE[dtype];
  if (!limits || !values.every((v) => Number.isInteger(v) && v >= limits[0] && v <= limits[1])) {
    return undefined;
  }
  // Only types the template plan can write back with the same dtype.
  if (dtype === "int32") return Int32Array.from(values);
  if (dtype === "int64") return BigInt64Array.from(values.map((v) => BigInt(v)));
  return undefined;
}

function unitFor(freq: Frequency): string {
  switch (freq.unit) {
    case "us":
      return "microseconds";
    case "ms":
      return "milliseconds";
    case "S":
      return "seconds";
    case "min":
      return "minutes";
    case "H":
      return "hours";
    default:
      return "days";
  }
}

/**
 * Whether the values decode to exactly these dates. Whole numbers in an integer type always do;
 * fractions of a coarse unit ("days since 0001-01-01" at hourly steps) may come back a few
 * microseconds off, and region placement matches times exactly.
 */
function decodesTo(
  values: TimeEncoding["values"],
  units: string,
  dates: readonly CFDatetime[],
  calendar: Calendar,
): boolean {
  if (!(values instanceof Float64Array || values instanceof Float32Array)) return true;
  const back = decodeTimes(values, units, calendar);
  return back.every((d, i) => dateToOrdinal(d, calendar) === dateToOrdinal(dates[i], calendar));
}

export function chooseTimeEncoding(
  dates: readonly CFDatetime[],
  calendar: Calendar,
  template: { units?: string; dtype: DType },
  freq: Frequency,
): TimeEncoding {
  if (template.units !== undefined) {
    const values = exactly(encodeTimes(dates, template.units, calendar), template.dtype);
    if (values && decodesTo(values, template.units, dates, calendar)) {
      return { units: template.units, dtype: template.dtype, values };
    }
  }
  const start = dates[0];
  const units = `${unitFor(freq)} since ${start ? formatDate(start) : "1970-01-01"}`;
  const encoded = encodeTimes(dates, units, calendar);
  const asInt = encoded.every(Number.isInteger) ? exactly(encoded, "int64") : undefined;
  return asInt
    ? { units, dtype: "int64", values: asInt }
    : { units, dtype: "float64", values: Float64Array.from(encoded) };
}
