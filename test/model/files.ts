/**
 * The model's inputs: NetCDF-3 files of a few consecutive daily steps on a tiny grid, every value a
 * function of its (step, cell) alone and different from every other, so a value lost, misplaced
 * in time or in space, or taken from a neighbour shows in the comparison. Two files covering the
 * same step hold the same values there, which is what makes a file written twice harmless.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { buildFile, NC } from "../readers/netcdf3-builder.js";

export const NLAT = 3;
export const NLON = 4;
export const CELLS = NLAT * NLON;
/** Step 0 of every archive; file times are "days since" it. */
export const START = "2020-01-01";

/** Exact in float32 for every step and cell the generators make, and never 0 or NaN. */
export function cellValue(step: number, cell: number): number {
  return step * 100 + cell + 1;
}

/** Steps [first, first + count) of the series, as one file. */
export function writeSteps(path: string, first: number, count: number): void {
  const built = buildFile({
    version: 2,
    numrecs: 0,
    dims: [
      { name: "time", size: count },
      { name: "lat", size: NLAT },
      { name: "lon", size: NLON },
    ],
    vars: [
      {
        name: "time",
        type: NC.DOUBLE,
        dims: [0],
        attrs: [
          { name: "units", type: NC.CHAR, values: `days since ${START}` },
          { name: "calendar", type: NC.CHAR, values: "standard" },
        ],
      },
      { name: "lat", type: NC.DOUBLE, dims: [1], attrs: [] },
      { name: "lon", type: NC.DOUBLE, dims: [2], attrs: [] },
      {
        name: "t2m",
        type: NC.FLOAT,
        dims: [0, 1, 2],
        attrs: [{ name: "units", type: NC.CHAR, values: "K" }],
      },
    ],
  });
  const doubles = (xs: number[]) => {
    const b = Buffer.alloc(xs.length * 8);
    for (const [i, x] of xs.entries()) b.writeDoubleBE(x, i * 8);
    return b;
  };
  const data = Buffer.alloc(count * CELLS * 4);
  for (let t = 0; t < count; t++) {
    for (let c = 0; c < CELLS; c++) data.writeFloatBE(cellValue(first + t, c), (t * CELLS + c) * 4);
  }
  const parts = [
    doubles(Array.from({ length: count }, (_, t) => first + t)),
    doubles(Array.from({ length: NLAT }, (_, i) => -10 + 10 * i)),
    doubles(Array.from({ length: NLON }, (_, i) => 90 * i)),
    data,
  ];
  const fd = openSync(path, "w");
  try {
    writeSync(fd, built.header, 0, built.header.length, 0);
    for (const [i, p] of parts.entries()) writeSync(fd, p, 0, p.length, built.begins[i]);
  } finally {
    closeSync(fd);
  }
}

/** The last day of an archive of `steps` daily steps from START, as create-template takes it. */
export function endDate(steps: number): string {
  const d = new Date(`${START}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + steps - 1);
  return d.toISOString().slice(0, 10);
}
