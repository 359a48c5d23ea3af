#!/usr/bin/python3
"""Reference answers for test/dataset/cftime/*.test.ts from cftime (num2date/date2num), xarray
(cftime_range, decode_cf_datetime) and netCDF4 (raw time axes of real files).

Reads one JSON request on stdin and writes one JSON answer on stdout:
  {"decode": [{"values", "dtype", "units", "calendar", "encode_units"?}],
   "ranges": [{"start", "end", "freq", "calendar"}],
   "xarray": [{"values", "units", "calendar"}],
   "files": [{"path", "var"}]}
Dates travel as [year, month, day, hour, minute, second, microsecond]; int64 values as strings.
Run with Debian's /usr/bin/python3 (python3-netcdf4 brings python3-cftime).
"""
import json
import sys
import warnings

import cftime
import netCDF4
import numpy as np
import pandas as pd
import xarray as xr
from xarray.coding.times import decode_cf_datetime

warnings.simplefilter("ignore")


def tup(d):
    return [d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond]


def err(e):
    return {"error": f"{type(e).__name__}: {e}"}


def as_array(values, dtype):
    if dtype[0] in "iu":
        return np.array([int(v) for v in values], dtype=dtype)
    return np.array(values, dtype=dtype)


def decode(case):
    try:
        dates = cftime.num2date(as_array(case["values"], case["dtype"]), case["units"], case["calendar"])
    except Exception as e:  # noqa: BLE001 - the error itself is the answer
        return err(e)
    out = {"dates": [tup(d) for d in np.ravel(dates)]}
    if "encode_units" in case:
        try:
            out["encoded"] = np.ravel(
                cftime.date2num(dates, case["encode_units"], case["calendar"])
            ).tolist()
        except Exception as e:  # noqa: BLE001
            out["encoded"] = err(e)
    return out


def time_range(case):
    try:
        dates = xr.cftime_range(case["start"], case["end"], freq=case["freq"], calendar=case["calendar"])
    except Exception as e:  # noqa: BLE001
        return err(e)
    return {"dates": [tup(d) for d in dates]}


def xarray_decode(case):
    try:
        decoded = decode_cf_datetime(np.array(case["values"]), case["units"], case["calendar"])
    except Exception as e:  # noqa: BLE001
        return err(e)
    if np.issubdtype(decoded.dtype, np.datetime64):
        return {"dates": [tup(pd.Timestamp(d)) for d in decoded]}
    return {"dates": [tup(d) for d in decoded]}


def read_file(case):
    with netCDF4.Dataset(case["path"]) as ds:
        var = ds.variables[case["var"]]
        var.set_auto_maskandscale(False)
        raw = np.ravel(var[:])
        units = var.getncattr("units")
        calendar = var.getncattr("calendar") if "calendar" in var.ncattrs() else "standard"
    out = {
        "units": units,
        "calendar": calendar,
        "dtype": raw.dtype.str[1:],
        "values": [str(v) for v in raw.tolist()] if raw.dtype.kind in "iu" else raw.tolist(),
    }
    out.update(decode({"values": out["values"], "dtype": out["dtype"], "units": units, "calendar": calendar}))
    return out


def main():
    request = json.load(sys.stdin)
    answer = {
        "decode": [decode(c) for c in request.get("decode", [])],
        "ranges": [time_range(c) for c in request.get("ranges", [])],
        "xarray": [xarray_decode(c) for c in request.get("xarray", [])],
        "files": [read_file(c) for c in request.get("files", [])],
        "versions": {"cftime": cftime.__version__, "xarray": xr.__version__},
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
