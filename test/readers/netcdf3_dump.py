"""Dump NetCDF files as JSON, as netCDF4-python reads them, for the NetCDF-3 reader tests.

Usage: /usr/bin/python3 netcdf3_dump.py OUTDIR FILE [FILE ...] [--vars a,b]

Writes OUTDIR/<n>.json for the n-th FILE (0-based). Raw stored values: no masking, scaling or
char-to-string conversion. Data is base64 of the little-endian bytes (exact, NaN payloads
included); attribute values are lists with NaN/Inf as strings and 64-bit integers as strings so
JSON keeps them exact.
"""

import argparse
import base64
import json
import math
import os

import netCDF4
import numpy as np


def number(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Inf" if x > 0 else "-Inf")
    return x


def attr(value):
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, bytes):
        return {"type": "bytes", "value": list(value)}
    arr = np.asarray(value)
    big = arr.dtype.kind in "iu" and arr.dtype.itemsize == 8
    values = [str(v) if big else number(v) for v in arr.reshape(-1).tolist()]
    return {"type": arr.dtype.name, "scalar": arr.ndim == 0, "value": values}


def dtype_name(dt):
    return "char" if dt.kind == "S" and dt.itemsize == 1 else dt.name


def data(var):
    arr = np.ascontiguousarray(var[...])
    if arr.dtype.kind == "S":
        raw = arr.tobytes()
    else:
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    return base64.b64encode(raw).decode("ascii")


def dump(path, only):
    with netCDF4.Dataset(path) as ds:
        ds.set_auto_maskandscale(False)
        ds.set_auto_chartostring(False)
        ds.set_always_mask(False)
        out = {
            "data_model": ds.data_model,
            "dims": [
                {"name": d.name, "size": len(d), "unlimited": d.isunlimited()}
                for d in ds.dimensions.values()
            ],
            "attrs": [[n, attr(ds.getncattr(n))] for n in ds.ncattrs()],
            "variables": [],
        }
        for v in ds.variables.values():
            entry = {
                "name": v.name,
                "dtype": dtype_name(v.dtype),
                "dims": list(v.dimensions),
                "shape": list(v.shape),
                "attrs": [[n, attr(v.getncattr(n))] for n in v.ncattrs()],
            }
            if only is None or v.name in only:
                entry["data"] = data(v)
            out["variables"].append(entry)
        return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("outdir")
    p.add_argument("files", nargs="+")
    p.add_argument("--vars", help="comma-separated variables whose data to dump (default: all)")
    a = p.parse_args()
    only = set(a.vars.split(",")) if a.vars else None
    for i, f in enumerate(a.files):
        with open(os.path.join(a.outdir, f"{i}.json"), "w") as fh:
            json.dump(dump(f, only), fh)


if __name__ == "__main__":
    main()
