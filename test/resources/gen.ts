/**
 * Inputs for the resource-bound tests and scripts/resource-bounds.ts, written at test time: the
 * big ones a step at a time (never whole in memory), the many tiny ones from one prebuilt header
 * so 10,000 files take a second or two.
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { python } from "../helpers/paths.js";
import { buildFile, NC } from "../readers/netcdf3-builder.js";

export interface Grid {
  y: number;
  x: number;
}

const TIME_ATTRS = [
  { name: "units", type: NC.CHAR, values: "days since 2000-01-01" },
  { name: "calendar", type: NC.CHAR, values: "standard" },
];

/** A CDF-2 file along an unlimited time dimension: `times` records of (time, t2m[y][x]). */
export function writeRecordFile(path: string, times: number, g: Grid, firstDay = 0): void {
  const built = buildFile({
    version: 2,
    numrecs: times,
    dims: [
      { name: "time", size: 0 },
      { name: "lat", size: g.y },
      { name: "lon", size: g.x },
    ],
    vars: [
      { name: "time", type: NC.DOUBLE, dims: [0], attrs: TIME_ATTRS },
      { name: "t2m", type: NC.FLOAT, dims: [0, 1, 2] },
    ],
  });
  // Two record variables: each record is the time value, then the step's grid.
  const record = Buffer.alloc(built.recsize);
  for (let i = 0; i < g.y * g.x; i++) record.writeFloatBE(i / (g.y * g.x), 8 + i * 4);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, built.header, 0, built.header.length, 0);
    for (let t = 0; t < times; t++) {
      // Only the time and the first value change: a GiB is written at disk speed.
      record.writeDoubleBE(firstDay + t, 0);
      record.writeFloatBE(t, 8);
      writeSync(fd, record, 0, record.length, built.begins[0] + t * built.recsize);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * `count` one-step record files `step-00000.nc`…, day k in file k: the shape of a daily archive
 * fed by a file per day. Returns their paths in time order.
 */
export function writeStepFiles(dir: string, count: number, g: Grid): string[] {
  const built = buildFile({
    version: 1,
    numrecs: 1,
    dims: [
      { name: "time", size: 0 },
      { name: "lat", size: g.y },
      { name: "lon", size: g.x },
    ],
    vars: [
      { name: "time", type: NC.DOUBLE, dims: [0], attrs: TIME_ATTRS },
      { name: "t2m", type: NC.FLOAT, dims: [0, 1, 2] },
    ],
  });
  const file = Buffer.alloc(built.begins[0] + built.recsize);
  built.header.copy(file, 0);
  const at = built.begins[0];
  for (let i = 0; i < g.y * g.x; i++) file.writeFloatBE(i / (g.y * g.x), at + 8 + i * 4);
  const paths: string[] = [];
  for (let k = 0; k < count; k++) {
    // Only the time and the first value differ: writing 10,000 files stays a matter of seconds.
    file.writeDoubleBE(k, at);
    file.writeFloatBE(k, at + 8);
    const path = join(dir, `step-${String(k).padStart(5, "0")}.nc`);
    writeFileSync(path, file);
    paths.push(path);
  }
  return paths;
}

/** The date `days` after 2000-01-01, the last step of an archive of `days + 1` daily steps. */
export function dayAfter2000(days: number): string {
  return new Date(Date.UTC(2000, 0, 1 + days)).toISOString().slice(0, 10);
}

/**
 * A NetCDF-4 file (netCDF4-python): `times` steps of t2m[y][x], chunked (chunkTime, y, x), zlib
 * level 1, written a chunk at a time.
 */
export function writeNetcdf4(
  path: string,
  times: number,
  g: Grid,
  chunkTime: number,
  firstDay = 0,
): void {
  const script = `
import sys, numpy as np, netCDF4
path, T, Y, X, C, D = sys.argv[1], *map(int, sys.argv[2:7])
with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
    ds.createDimension("time", None)
    ds.createDimension("lat", Y)
    ds.createDimension("lon", X)
    t = ds.createVariable("time", "f8", ("time",))
    t.units = "days since 2000-01-01"
    t.calendar = "standard"
    v = ds.createVariable("t2m", "f4", ("time", "lat", "lon"), chunksizes=(C, Y, X), zlib=True, complevel=1)
    ramp = (np.arange(Y * X, dtype="f4") / (Y * X)).reshape(Y, X)
    for s in range(0, T, C):
        n = min(C, T - s)
        t[s:s + n] = D + np.arange(s, s + n)
        v[s:s + n] = ramp[None] + np.arange(s, s + n, dtype="f4")[:, None, None]
`;
  const r = spawnSync(
    python,
    ["-c", script, path, ...[times, g.y, g.x, chunkTime, firstDay].map(String)],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`writing ${path} failed: ${r.stderr}`);
}
