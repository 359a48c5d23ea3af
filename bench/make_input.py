#!/usr/bin/python3
"""Generate the benchmark input: a NetCDF-4 file holding float32
t2m(time, lat=721, lon=1440), the ERA5 0.25-degree grid.

    make_input.py OUT.nc [--nt 48] [--seed 1]

--nt 48 is ~200 MB uncompressed (48*721*1440*4 B = 199.3 MB); --nt 1000 is
~4.15 GB. Storage: deflate level 4 + byte shuffle, chunks (1, 721, 1440), the
layout of typical model output written one step at a time.

The field looks like a 2 m temperature so compression ratios are realistic:
a latitude gradient, a seasonal/diurnal swing, travelling planetary waves,
land-sea-like static structure and small-scale noise, at full float32
precision (no rounding, which would flatter the compressor). It is written one
time step at a time, so generating the 4 GB file needs ~30 MB of memory.
Written to OUT.tmp then renamed: a file at OUT is always complete.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

NLAT, NLON = 721, 1440
DEFLATE_LEVEL = 4


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--nt", type=int, default=48)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    make(args.out, args.nt, args.seed)
    return 0


def make(out: str, nt: int, seed: int) -> None:
    import netCDF4

    tmp = out + ".tmp"
    rng = np.random.default_rng(seed)
    lat = np.linspace(90.0, -90.0, NLAT)
    lon = np.arange(NLON) * 0.25
    phi = np.deg2rad(lat)[:, None]
    lam = np.deg2rad(lon)[None, :]

    # Static part: equator-to-pole gradient plus "orography/continents" made of
    # a few smooth bumps, so neighbouring values correlate as in real fields.
    base = 258.0 + 42.0 * np.cos(phi) ** 2
    for _ in range(24):
        c_phi, c_lam = rng.uniform(-1.2, 1.2), rng.uniform(0, 2 * np.pi)
        width, amp = rng.uniform(0.05, 0.4), rng.uniform(-8.0, 8.0)
        d2 = (phi - c_phi) ** 2 + (np.angle(np.exp(1j * (lam - c_lam))) * np.cos(phi)) ** 2
        base = base + amp * np.exp(-d2 / (2 * width**2))
    base = base.astype(np.float64)
    # A pool of noise fields reused with a shift: fresh normals for every step
    # of the 4 GB case would dominate generation time and add nothing.
    noise_pool = rng.normal(0.0, 0.35, size=(8, NLAT, NLON)).astype(np.float32)

    with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
        nc.createDimension("time", None)
        nc.createDimension("lat", NLAT)
        nc.createDimension("lon", NLON)
        t = nc.createVariable("time", "f8", ("time",))
        t.units = "hours since 2020-01-01 00:00:00"
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
            chunksizes=(1, NLAT, NLON),
        )
        v.units = "K"
        v.standard_name = "air_temperature"
        v.long_name = "2 metre temperature"
        nc.Conventions = "CF-1.8"
        nc.title = "zarrify benchmark input (synthetic 2 m temperature)"
        nc.source = "bench/make_input.py"
        la[:] = lat
        lo[:] = lon
        t[:] = np.arange(nt, dtype=np.float64)
        for i in range(nt):
            hours = float(i)
            diurnal = 6.0 * np.cos(lam - 2 * np.pi * (hours % 24) / 24.0) * np.cos(phi)
            season = -12.0 * np.sin(phi) * np.cos(2 * np.pi * hours / (24 * 365.25))
            waves = (
                5.0 * np.sin(4 * lam - 0.021 * hours) * np.sin(2 * phi) ** 2
                + 3.0 * np.sin(7 * lam + 0.013 * hours) * np.cos(3 * phi)
            )
            noise = np.roll(noise_pool[i % len(noise_pool)], i * 7, axis=1)
            v[i, :, :] = (base + diurnal + season + waves).astype(np.float32) + noise
            if nt >= 200 and (i + 1) % 100 == 0:
                print(f"make_input: {i + 1}/{nt} steps", file=sys.stderr, flush=True)
    os.replace(tmp, out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
