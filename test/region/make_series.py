#!/usr/bin/python3
"""Write a time series split over many NetCDF files, as a model or a satellite archive would.

    make_series.py OUTDIR --sizes 3,7,5 [--start 2020-01-01] [--step-hours 24] [--nlat 6]
                   [--nlon 8] [--format NETCDF4] [--mixed-units] [--nan] [--chunk-time N]

File i holds sizes[i] consecutive steps. Values are a function of (step, lat, lon), so any
concatenation can be checked. --mixed-units gives every other file other time units (hours since
1990 instead of days since 2020), --nan puts NaN holes in t2m, and every file has an int16 'flag'
variable with a _FillValue and a time_bnds(time, nv) bounds variable. Prints the paths as JSON.
"""
import argparse
import datetime as dt
import json
import os

import netCDF4
import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("outdir")
    p.add_argument("--sizes", required=True)
    p.add_argument("--start", default="2020-01-01")
    p.add_argument("--step-hours", type=float, default=24)
    p.add_argument("--nlat", type=int, default=6)
    p.add_argument("--nlon", type=int, default=8)
    p.add_argument("--format", default="NETCDF4")
    p.add_argument("--mixed-units", action="store_true")
    p.add_argument("--nan", action="store_true")
    p.add_argument("--prefix", default="part")
    p.add_argument("--lat-shift", type=float, default=0.0)
    a = p.parse_args()

    os.makedirs(a.outdir, exist_ok=True)
    start = dt.datetime.fromisoformat(a.start)
    step = dt.timedelta(hours=a.step_hours)
    lat = np.linspace(-60, 60, a.nlat) + a.lat_shift
    lon = np.linspace(0, 350, a.nlon)
    paths = []
    offset = 0
    for i, n in enumerate(int(s) for s in a.sizes.split(",")):
        path = os.path.join(a.outdir, f"{a.prefix}_{i:04d}.nc")
        with netCDF4.Dataset(path, "w", format=a.format) as ds:
            ds.title = "zarrify region test series"
            ds.createDimension("time", None)
            ds.createDimension("lat", a.nlat)
            ds.createDimension("lon", a.nlon)
            ds.createDimension("nv", 2)
            units = "hours since 1990-01-01 00:00:00" if a.mixed_units and i % 2 else "days since 2020-01-01"
            t = ds.createVariable("time", "f8", ("time",))
            t.units = units
            t.calendar = "standard"
            t.standard_name = "time"
            t.axis = "T"
            t.bounds = "time_bnds"
            dates = [start + step * (offset + k) for k in range(n)]
            t[:] = netCDF4.date2num(dates, units, "standard")
            tb = ds.createVariable("time_bnds", "f8", ("time", "nv"))
            tb[:] = np.stack([netCDF4.date2num(dates, units, "standard"),
                              netCDF4.date2num([d + step for d in dates], units, "standard")], axis=1)
            la = ds.createVariable("lat", "f4", ("lat",))
            la.units = "degrees_north"
            la[:] = lat
            lo = ds.createVariable("lon", "f4", ("lon",))
            lo.units = "degrees_east"
            lo[:] = lon
            steps = np.arange(offset, offset + n, dtype="f8")[:, None, None]
            field = 250 + steps + lat[None, :, None] * 0.5 + lon[None, None, :] * 0.01
            if a.nan:
                field[:, 0, 0] = np.nan
            v = ds.createVariable("t2m", "f4", ("time", "lat", "lon"), fill_value=np.float32(np.nan) if False else None)
            v.units = "K"
            v.long_name = "2 metre temperature"
            v[:] = field.astype("f4")
            f = ds.createVariable("flag", "i2", ("time", "lat", "lon"), fill_value=np.int16(-999))
            flags = ((steps + np.arange(a.nlat)[None, :, None] + np.arange(a.nlon)[None, None, :]) % 7).astype("i2")
            f[:] = np.ma.masked_where(flags == 3, flags)
        paths.append(path)
        offset += n
    print(json.dumps(paths))


if __name__ == "__main__":
    main()
