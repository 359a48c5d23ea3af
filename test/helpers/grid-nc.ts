/**
 * Small gridded NetCDF-3 files written at test time: a CF time coordinate and one float variable
 * over (time, <y>, <x>) with the dimension names the test needs (lat/lon or latitude/longitude).
 */
import { randomFillSync } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { buildFile, NC } from "../readers/netcdf3-builder.js";

export interface GridSpec {
  times: number;
  y: number;
  x: number;
  /** Dimension names of the two spatial axes; default ["lat", "lon"]. */
  names?: [string, string];
  /** Day of the first step, in "days since 2000-01-01". */
  firstDay?: number;
  /** Random values instead of a ramp: incompressible, so a conversion takes real time. */
  random?: boolean;
  /** Extra float attributes of the data variable (e.g. valid_min/valid_max). */
  attrs?: Record<string, number>;
}

export function writeGrid(path: string, g: GridSpec): void {
  const [yName, xName] = g.names ?? ["lat", "lon"];
  const built = buildFile({
    version: 2,
    numrecs: 0,
    dims: [
      { name: "time", size: g.times },
      { name: yName, size: g.y },
      { name: xName, size: g.x },
    ],
    vars: [
      {
        name: "time",
        type: NC.DOUBLE,
        dims: [0],
        attrs: [
          { name: "units", type: NC.CHAR, values: "days since 2000-01-01" },
          { name: "calendar", type: NC.CHAR, values: "standard" },
        ],
      },
      {
        name: "t2m",
        type: NC.FLOAT,
        dims: [0, 1, 2],
        attrs: Object.entries(g.attrs ?? {}).map(([name, v]) => ({
          name,
          type: NC.FLOAT,
          values: [v],
        })),
      },
    ],
  });
  const fd = openSync(path, "w");
  try {
    writeSync(fd, built.header, 0, built.header.length, 0);
    const time = Buffer.alloc(g.times * 8);
    for (let t = 0; t < g.times; t++) time.writeDoubleBE((g.firstDay ?? 0) + t, t * 8);
    writeSync(fd, time, 0, time.length, built.begins[0]);
    // One time step at a time, so a file of hundreds of MiB never sits in memory.
    const step = Buffer.alloc(g.y * g.x * 4);
    for (let t = 0; t < g.times; t++) {
      if (g.random) randomFillSync(step);
      else for (let i = 0; i < g.y * g.x; i++) step.writeFloatBE(t + i / (g.y * g.x), i * 4);
      writeSync(fd, step, 0, step.length, built.begins[1] + t * step.length);
    }
  } finally {
    closeSync(fd);
  }
}
