#!/usr/bin/python3
"""Generate the region benchmark's inputs: a time series split over many
NetCDF-4 files, as hourly model output or daily satellite grids arrive.

    make_series.py OUTDIR --files 64 --steps 24 [--nlat 181] [--nlon 360]
                   [--step-hours 1] [--start 2020-01-01] [--seed 1]

File i (OUTDIR/part_<i:04d>.nc) holds steps [i*steps, (i+1)*steps) of
float32 t2m(time, lat, lon) on a regular global grid, time as
"hours since <start>" (standard calendar), coordinates lat/lon as float64.
Storage like bench/make_input.py: deflate level 4 + byte shuffle, chunks
(1, nlat, nlon). The field is the same kind of synthetic 2 m temperature as
make_input.py (gradients, waves, diurnal cycle, float32 noise) so compression
ratios are realistic, and every step differs from every other, so a step
written to the wrong place or lost cannot go unnoticed.

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

DEFLATE_LEVEL = 4


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
    rng = np.random.default_rng(seed)
    lat = np.linspace(90.0, -90.0, nlat)
    lon = np.arange(nlon) * (360.0 / nlon)
    phi = np.deg2rad(lat)[:, None]
    lam = np.deg2rad(lon)[None, :]
    base = 258.0 + 42.0 * np.cos(phi) ** 2
    for _ in range(24):
        c_phi, c_lam = rng.uniform(-1.2, 1.2), rng.uniform(0, 2 * np.pi)
        width, amp = rng.uniform(0.05, 0.4), rng.uniform(-8.0, 8.0)
        d2 = (phi - c_phi) ** 2 + (np.angle(np.exp(1j * (lam - c_lam))) * np.cos(phi)) ** 2
        base = base + amp * np.exp(-d2 / (2 * width**2))
    noise_pool = rng.normal(0.0, 0.35, size=(8, nlat, nlon)).astype(np.float32)
    t0 = dt.datetime.fromisoformat(start)
    units = f"hours since {t0.strftime('%Y-%m-%d %H:%M:%S')}"

    for f in range(files):
        path = os.path.join(tmp, f"part_{f:04d}.nc")
        with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
            nc.createDimension("time", None)
            nc.createDimension("lat", nlat)
            nc.createDimension("lon", nlon)
            t = nc.createVariable("time", "f8", ("time",))
            t.units = units
            t.calendar = "standard"
            t.standard_name = "time"
            t.long_name = "time"
            t.axis = "T"
            la = nc.createVariable("lat", "f8", ("lat",))
            la.units = "degrees_north"
            la.standard_name = "latitude"
            la.long_name = "latitude"
            la.axis = "Y"
            lo = nc.createVariable("lon", "f8", ("lon",))
            lo.units = "degrees_east"
            lo.standard_name = "longitude"
            lo.long_name = "longitude"
            lo.axis = "X"
            v = nc.createVariable(
                "t2m",
                "f4",
                ("time", "lat", "lon"),
                zlib=True,
                complevel=DEFLATE_LEVEL,
                shuffle=True,
                chunksizes=(1, nlat, nlon),
            )
            v.units = "K"
            v.standard_name = "air_temperature"
            v.long_name = "2 metre temperature"
            nc.Conventions = "CF-1.8"
            nc.title = "zarrify region benchmark input (synthetic 2 m temperature)"
            nc.source = "bench/make_series.py"
            la[:] = lat
            lo[:] = lon
            first = f * steps
            t[:] = (np.arange(first, first + steps) * step_hours).astype(np.float64)
            for k in range(steps):
                i = first + k
                hours = i * step_hours
                diurnal = 6.0 * np.cos(lam - 2 * np.pi * (hours % 24) / 24.0) * np.cos(phi)
                season = -12.0 * np.sin(phi) * np.cos(2 * np.pi * hours / (24 * 365.25))
                waves = (
                    5.0 * np.sin(4 * lam - 0.021 * hours) * np.sin(2 * phi) ** 2
                    + 3.0 * np.sin(7 * lam + 0.013 * hours) * np.cos(3 * phi)
                )
                noise = np.roll(noise_pool[i % len(noise_pool)], i * 7, axis=1)
                v[k, :, :] = (base + diurnal + season + waves).astype(np.float32) + noise
        if files >= 16 and (f + 1) % 16 == 0:
            print(f"make_series: {f + 1}/{files} files", file=sys.stderr, flush=True)
    shutil.rmtree(outdir, ignore_errors=True)
    os.replace(tmp, outdir)
    return paths_in(outdir, files)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
