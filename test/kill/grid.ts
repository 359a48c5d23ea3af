/**
 * The kill matrix's inputs: small NetCDF-3 files of one float variable over (time, lat, lon)
 * whose every value is a function of the step's day and the cell, so any archive (or any step of
 * one) can be checked against the source without reading the source: `expectedValue` here and
 * `expected()` in oracle.py compute the same float32. The fraction comes from an integer hash, so
 * the data do not compress to nothing (a run must take real time in its chunk writes) and stay
 * exact in float32 (day < 128 and 16 bits of fraction fit the 24-bit mantissa).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { buildFile, NC } from "../readers/netcdf3-builder.js";

export interface KillGrid {
  /** Day of the first step, "days since 2000-01-01". */
  firstDay: number;
  times: number;
  y: number;
  x: number;
}

/** The value at flat cell `i` (row-major over lat, lon) of the step on `day`. */
export function expectedValue(day: number, i: number): number {
  const h = (Math.imul(i, 2654435761) >>> 0) ^ (Math.imul(day, 40503) >>> 0);
  return Math.fround(day + ((h >>> 0) % 65536) / 65536);
}

export function writeKillGrid(path: string, g: KillGrid): void {
  if (g.firstDay + g.times > 127) throw new Error("days must stay below 128 to be exact");
  const built = buildFile({
    version: 2,
    numrecs: 0,
    dims: [
      { name: "time", size: g.times },
      { name: "lat", size: g.y },
      { name: "lon", size: g.x },
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
        name: "lat",
        type: NC.DOUBLE,
        dims: [1],
        attrs: [{ name: "units", type: NC.CHAR, values: "degrees_north" }],
      },
      {
        name: "lon",
        type: NC.DOUBLE,
        dims: [2],
        attrs: [{ name: "units", type: NC.CHAR, values: "degrees_east" }],
      },
      {
        name: "t2m",
        type: NC.FLOAT,
        dims: [0, 1, 2],
        attrs: [
          { name: "units", type: NC.CHAR, values: "K" },
          { name: "long_name", type: NC.CHAR, values: "kill-matrix test field" },
        ],
      },
    ],
  });
  const fd = openSync(path, "w");
  try {
    writeSync(fd, built.header, 0, built.header.length, 0);
    const time = Buffer.alloc(g.times * 8);
    for (let t = 0; t < g.times; t++) time.writeDoubleBE(g.firstDay + t, t * 8);
    writeSync(fd, time, 0, time.length, built.begins[0]);
    const lat = Buffer.alloc(g.y * 8);
    for (let j = 0; j < g.y; j++) lat.writeDoubleBE(-60 + (120 * j) / g.y, j * 8);
    writeSync(fd, lat, 0, lat.length, built.begins[1]);
    const lon = Buffer.alloc(g.x * 8);
    for (let j = 0; j < g.x; j++) lon.writeDoubleBE((360 * j) / g.x, j * 8);
    writeSync(fd, lon, 0, lon.length, built.begins[2]);
    const n = g.y * g.x;
    const step = Buffer.alloc(n * 4);
    for (let t = 0; t < g.times; t++) {
      for (let i = 0; i < n; i++) step.writeFloatBE(expectedValue(g.firstDay + t, i), i * 4);
      writeSync(fd, step, 0, step.length, built.begins[3] + t * step.length);
    }
  } finally {
    closeSync(fd);
  }
}
