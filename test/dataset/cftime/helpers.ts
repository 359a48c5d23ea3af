/**
 * What the cftime tests share: dates as tuples (the form the Python reference answers in), a
 * seeded random source so a failure reproduces, and the one call to cftime_reference.py.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Calendar } from "../../../src/dataset/cftime/calendar.js";
import type { CFDatetime } from "../../../src/dataset/cftime/date.js";
import { python, repoRoot } from "../../helpers/paths.js";

export type Tuple = [number, number, number, number, number, number, number];
export type Outcome =
  | { dates: Tuple[]; encoded?: number[] | { error: string } }
  | { error: string };
export interface FileAnswer {
  units: string;
  calendar: string;
  dtype: string;
  values: (number | string)[];
  dates?: Tuple[];
  error?: string;
}
export interface Answer {
  decode: Outcome[];
  ranges: Outcome[];
  xarray: Outcome[];
  files: FileAnswer[];
  versions: Record<string, string>;
}

const SCRIPT = join(repoRoot, "test/dataset/cftime_reference.py");

export function askPython(request: object): Answer {
  const r = spawnSync(python, [SCRIPT], {
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed (${r.status}): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout) as Answer;
}

export const tuple = (d: CFDatetime): Tuple => [
  d.year,
  d.month,
  d.day,
  d.hour,
  d.minute,
  d.second,
  d.microsecond,
];
export const date = (t: number[]): CFDatetime => ({
  year: t[0],
  month: t[1],
  day: t[2],
  hour: t[3] ?? 0,
  minute: t[4] ?? 0,
  second: t[5] ?? 0,
  microsecond: t[6] ?? 0,
});

export const CALENDARS: Calendar[] = [
  "standard",
  "proleptic_gregorian",
  "julian",
  "noleap",
  "all_leap",
  "360_day",
];
