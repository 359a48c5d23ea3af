#!/usr/bin/python3
"""Generate the region benchmark's inputs: a time series split over many
NetCDF-4 files, as hourly model output or daily satellite grids arrive.

    make_series.py OUTDIR --files 64 --steps 24 [--nlat 181] [--nlon 360]
                   [--step-hours 1] [--start 2020-01-01] [--seed 1]

File i (OUTDIR/part_<i:04d>.nc) holds steps [i*steps, (i+1)*steps) of
float32 t2m(time, lat, lon) on a regular global grid, time as
"hours since <start>" (standard calendar), coordinates lat/lon as float64.
Storage and field as bench/make_input.py's (bench/common.py): deflate level 4
+ byte shuffle, chunks (1, nlat, nlon), a synthetic 2 m temperature whose
every step differs from every other.

OUTDIR is written as OUTDIR.tmp and renamed when complete: an existing OUTDIR
always holds the whole series. Prints the file paths as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys

import numpy as np

from common import Field, create_t2m


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("outdir")
    p.add_argument("--files", type=int, required=True)
    p.add_argument("--steps", type=int, required=True, help="time steps per file")
    p.add_argument("--nlat", type=int, default=181)
    p.add_argument("--nlon", type=int, default=360)
    p.add_argument("--step-hours", type=float, default=1.0)
    p.add_argument("--start", default="2020-01-01")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    paths = make(a.outdir, a.files, a.steps, a.nlat, a.nlon, a.step_hours, a.start, a.seed)
    print(json.dumps(paths))
    return 0


def paths_in(outdir: str, files: int) -> list[str]:
    return [os.path.join(outdir, f"part_{i:04d}.nc") for i in range(files)]


def make(outdir, files, steps, nlat, nlon, step_hours, start, seed) -> list[str]:
    import netCDF4

    tmp = outdir.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    field = Field(nlat, nlon, seed)
    t0 = dt.datetime.fromisoformat(start)
    units = f"hours since {t0.strftime('%Y-%m-%d %H:%M:%S')}"
    title = "zarrify region benchmark input (synthetic 2 m temperature)"

    for f in range(files):
        path = os.path.join(tmp, f"part_{f:04d}.nc")
        with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
            t, v = create_t2m(nc, field, units, title, "bench/make_series.py")
            first = f * steps
            t[:] = (np.arange(first, first + steps) * step_hours).astype(np.float64)
            for k in range(steps):
                v[k, :, :] = field.step(first + k, (first + k) * step_hours)
        if files >= 16 and (f + 1) % 16 == 0:
            print(f"make_series: {f + 1}/{files} files", file=sys.stderr, flush=True)
    shutil.rmtree(outdir, ignore_errors=True)
    os.replace(tmp, outdir)
    return paths_in(outdir, files)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
