/**
 * Stored time values to dates and back. The oracle is cftime 1.6.2 (what xarray 2023.01 decodes
 * non-standard calendars with, and falls back to for standard ones outside 1678–2262):
 * decodeTimes/encodeTimes reproduce num2date/date2num exactly, including num2date's long-double
 * scaling and its "snap to the whole second when within 1 µs" rule, so a time decoded here is
 * the time xarray shows.
 */
import { InputError } from "../../errors.js";
import type { NumericArray } from "../types.js";
import { assertValid, type Calendar, dayNumber, mod } from "./calendar.js";
import { type CFDatetime, formatDate } from "./date.js";
import { addMicroseconds, timeOfDayUs, US_PER_DAY, US_PER_DAY_N } from "./instant.js";
import { type CFTimeUnits, parseUnits, UNIT_MICROSECONDS } from "./parse.js";

const TWO_POW_52 = 2 ** 52;

const F64 = new Float64Array(1);
const F64_BITS = new BigUint64Array(F64.buffer);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Round n / 2^shift to an integer, ties to even (n >= 0). */
function shiftRoundEven(n: bigint, shift: number): bigint {
  const s = BigInt(shift);
  const q = n >> s;
  const r = n - (q << s);
  const half = 1n << (s - 1n);
  return r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
}

function asNumberIfSafe(n: bigint): number | bigint {
  return n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : n;
}

/**
 * cftime's scaling of a float time value to integer microseconds: value * factor in x87 long
 * double (64-bit significand, ties to even), np.rint, then floor/ceil when the result is 1 µs off a
 * whole second (units coarser than milliseconds only). Undefined when outside int64.
 */
function scaleFloat(value: number, factor: number, snap: boolean): number | bigint | undefined {
  const p = value * factor;
  if (Number.isInteger(p) && Math.abs(p) < TWO_POW_52) {
    // The exact product is within 1/4 of p, so rounding in any precision gives p; only the
    // snap rule needs to know on which side of p the long double fell.
    if (!snap) return p;
    const m = mod(p, 1_000_000);
    if (m !== 1 && m !== 999_999) return p;
  }
  if (!Number.isFinite(value)) return undefined;
  if (value === 0) return 0;
  F64[0] = value;
  const bits = F64_BITS[0];
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  let significand = (biased === 0 ? fraction : fraction | (1n << 52n)) * BigInt(factor);
  let exponent = biased === 0 ? -1074 : biased - 1075;
  const excess = bitLength(significand) - 64;
  if (excess > 0) {
    significand = shiftRoundEven(significand, excess);
    exponent += excess;
  }
  let nearest: bigint;
  let floorMag: bigint;
  let ceilMag: bigint;
  if (exponent >= 0) {
    nearest = floorMag = ceilMag = significand << BigInt(exponent);
  } else if (exponent < -200) {
    nearest = floorMag = 0n;
    ceilMag = 1n;
  } else {
    const k = BigInt(-exponent);
    floorMag = significand >> k;
    const exact = floorMag << k === significand;
    ceilMag = exact ? floorMag : floorMag + 1n;
    nearest = shiftRoundEven(significand, -exponent);
  }
  // The long double itself must fit int64 (cftime's OverflowError test happens before rounding).
  const magnitudeLimit = negative ? -INT64_MIN : INT64_MAX;
  if (floorMag > magnitudeLimit || (floorMag === magnitudeLimit && ceilMag !== floorMag)) {
    return undefined;
  }
  let result = negative ? -nearest : nearest;
  if (snap) {
    const m = ((result % 1_000_000n) + 1_000_000n) % 1_000_000n;
    if (m === 1n) result = negative ? -ceilMag : floorMag;
    else if (m === 999_999n) result = negative ? -floorMag : ceilMag;
  }
  return asNumberIfSafe(result);
}

function scaleInteger(value: number | bigint, factor: number): number | bigint | undefined {
  if (typeof value === "number") {
    const p = value * factor;
    if (Number.isSafeInteger(p)) return p;
  }
  const p = BigInt(value) * BigInt(factor);
  return p > INT64_MAX || p < INT64_MIN ? undefined : asNumberIfSafe(p);
}

const INTEGER_ARRAYS = [
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
];

/**
 * Dates for stored time values, as cftime.num2date(values, units, calendar) gives them. Integer
 * typed arrays are scaled exactly; floats (number[], Float32Array, Float64Array) follow cftime's
 * float rules. Mask fill values first: NaN, infinities and values beyond ±2^63 µs are an error.
 */
export function decodeTimes(
  values: ArrayLike<number> | NumericArray,
  units: string,
  calendar?: Calendar | string | null,
): CFDatetime[] {
  const { parsed, offsets } = decodeOffsets(values, units, calendar);
  const cal = parsed.calendar;
  const refDay = dayNumber(parsed.reference, cal);
  const refTime = timeOfDayUs(parsed.reference);
  return offsets.map((us) => addMicroseconds(refDay, refTime, us, cal));
}

/**
 * The instants (dateToOrdinal: microseconds since 1970-01-01 of the calendar) of stored time
 * values: decodeTimes without building a date per value, for comparing long axes (a ten-year
 * hourly axis decodes in a few ms instead of hundreds). Same rules and errors as decodeTimes.
 */
export function decodeInstants(
  values: ArrayLike<number> | NumericArray,
  units: string,
  calendar?: Calendar | string | null,
): bigint[] {
  const { parsed, offsets } = decodeOffsets(values, units, calendar);
  const origin =
    BigInt(dayNumber(parsed.reference, parsed.calendar)) * US_PER_DAY_N +
    BigInt(timeOfDayUs(parsed.reference));
  return offsets.map((us) => origin + BigInt(us));
}

/** Each value's offset from the reference in microseconds, by cftime's rules. */
function decodeOffsets(
  values: ArrayLike<number> | NumericArray,
  units: string,
  calendar?: Calendar | string | null,
): { parsed: CFTimeUnits; offsets: (number | bigint)[] } {
  const parsed = parseUnits(units, calendar);
  const factor = UNIT_MICROSECONDS[parsed.unit];
  const snap = parsed.unit !== "microseconds" && parsed.unit !== "milliseconds";
  const integers = INTEGER_ARRAYS.some((type) => values instanceof type);
  const source = values as ArrayLike<number | bigint>;
  const offsets = new Array<number | bigint>(source.length);
  for (let i = 0; i < source.length; i++) {
    const v = source[i];
    const us =
      integers || typeof v === "bigint"
        ? scaleInteger(v, factor)
        : scaleFloat(v as number, factor, snap);
    if (us === undefined) {
      throw new InputError(
        `time value ${v} at index ${i} ('${units}') cannot be decoded: ${Number.isFinite(Number(v)) ? "it is beyond ±292,000 years in microseconds" : "not a number"}`,
        { hint: "mask _FillValue/missing_value before decoding times" },
      );
    }
    offsets[i] = us;
  }
  return { parsed, offsets };
}

/** Correctly rounded a / b (Python's int / int), for b > 0. */
function divideRounded(a: bigint, b: bigint): number {
  const negative = a < 0n;
  const mag = negative ? -a : a;
  const shift = Math.max(0, 66 - (bitLength(mag) - bitLength(b)));
  const scaled = mag << BigInt(shift);
  let q = scaled / b;
  // A sticky low bit keeps Number()'s round-to-nearest-even honest about the discarded remainder.
  if (q * b !== scaled) q |= 1n;
  const result = Number(q) / 2 ** shift;
  return negative ? -result : result;
}

/**
 * Stored values for dates, as cftime.date2num(dates, units, calendar): whole multiples of the unit
 * are integers, anything else is the correctly rounded quotient. Invalid dates are a ConfigError.
 */
export function encodeTimes(
  dates: readonly CFDatetime[],
  units: string,
  calendar?: Calendar | string | null,
): number[] {
  const parsed = parseUnits(units, calendar);
  const cal = parsed.calendar;
  const refDay = dayNumber(parsed.reference, cal);
  const refTime = timeOfDayUs(parsed.reference);
  const factor = UNIT_MICROSECONDS[parsed.unit];
  const out = new Array<number>(dates.length);
  for (let i = 0; i < dates.length; i++) {
    const d = dates[i];
    assertValid(d, cal, () => `cannot encode date ${i} (${formatDate(d)}) in the ${cal} calendar`);
    const days = dayNumber(d, cal) - refDay;
    const time = timeOfDayUs(d) - refTime;
    if (Math.abs(days) < 100_000) {
      const us = days * US_PER_DAY + time;
      // Both are exact integers below 2^53, so this is the correctly rounded quotient.
      out[i] = us / factor;
    } else {
      const us = BigInt(days) * US_PER_DAY_N + BigInt(time);
      const f = BigInt(factor);
      out[i] = us % f === 0n ? Number(us / f) : divideRounded(us, f);
    }
  }
  return out;
}
