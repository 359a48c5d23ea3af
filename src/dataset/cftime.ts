/**
 * CF time lives in cftime/ (calendar.ts, date.ts, instant.ts, parse.ts, encoding.ts,
 * frequency.ts); import it from there. This module only keeps the names that modules being
 * changed in parallel (ops/concat, ops/template, ops/region, ops/append, region/locate,
 * region/time-axis, region/values) still import from here, so that their work does not collide
 * with the split. It goes once those imports point into cftime/.
 */
export { type Calendar, normalizeCalendar } from "./cftime/calendar.js";
export { type CFDatetime, formatDate } from "./cftime/date.js";
export { decodeInstants, decodeTimes, encodeTimes } from "./cftime/encoding.js";
export { addFrequency, inferFrequency, parseFrequency, timeRange } from "./cftime/frequency.js";
export { ordinalToDate } from "./cftime/instant.js";
export { parseDate } from "./cftime/parse.js";
