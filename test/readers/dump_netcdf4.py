"""Dump NetCDF-4/HDF5 files as JSON, as netCDF4-python reads them, for the HDF5 reader tests.

Usage: /usr/bin/python3 dump_netcdf4.py OUTDIR FILE [FILE ...]

Writes OUTDIR/<n>.json for the n-th FILE (0-based): every group of the file (by path), each with
its own dimensions, attributes and variables, as netCDF-C presents them. Values are the raw stored
ones: no masking, scaling or char-to-string conversion. Numeric and char data are base64 of the
little-endian bytes (exact, NaN payloads included); string data are lists. Attribute values are
lists with NaN/Inf as strings and 64-bit integers as strings so JSON keeps them exact. A file that
netCDF4-python cannot open gets {"error": message}.
"""

import base64
import json
import math
import os
import sys

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
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return {"type": "strs", "value": value}
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        return {"type": "other:" + str(arr.dtype), "value": None}
    big = arr.dtype.kind in "iu" and arr.dtype.itemsize == 8
    values = [str(v) if big else number(v) for v in arr.reshape(-1).tolist()]
    return {"type": arr.dtype.name, "scalar": arr.ndim == 0, "value": values}


def dtype_name(var):
    dt = var.datatype
    if isinstance(dt, netCDF4.CompoundType):
        return "compound"
    if isinstance(dt, netCDF4.EnumType):
        return "enum:" + np.dtype(dt.dtype).name
    if isinstance(dt, netCDF4.VLType):
        return "string" if dt.dtype is str else "vlen"
    if dt is str:
        return "string"
    dt = np.dtype(dt)
    if dt.kind == "S" and dt.itemsize == 1:
        return "char"
    if dt.kind == "V":
        return "opaque"
    return dt.name


def data(var, kind):
    arr = var[...]
    if kind == "string":
        return {"strings": [s if isinstance(s, str) else "" for s in np.asarray(arr, dtype=object).reshape(-1).tolist()]}
    arr = np.ascontiguousarray(np.asarray(arr))
    if arr.dtype.kind == "S":
        raw = arr.tobytes()
    else:
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    return {"b64": base64.b64encode(raw).decode("ascii")}


def chunking(var):
    c = var.chunking()
    return None if c == "contiguous" or c is None else list(c)


def dump_group(g, path, out):
    g.set_auto_maskandscale(False)
    g.set_auto_chartostring(False)
    g.set_always_mask(False)
    entry = {
        "dims": [
            {"name": d.name, "size": len(d), "unlimited": d.isunlimited()}
            for d in g.dimensions.values()
        ],
        "attrs": [[n, attr(g.getncattr(n))] for n in g.ncattrs()],
        "variables": [],
    }
    for v in g.variables.values():
        kind = dtype_name(v)
        item = {
            "name": v.name,
            "dtype": kind,
            "dims": list(v.dimensions),
            "shape": list(v.shape),
            "chunks": chunking(v),
            "filters": v.filters(),
        }
        try:
            item["attrs"] = [[n, attr(v.getncattr(n))] for n in v.ncattrs()]
        except Exception as e:  # compound-typed attributes
            item["attrs_error"] = str(e)
        if kind in ("compound", "vlen", "opaque"):
            item["data"] = None
        else:
            item["data"] = data(v, kind)
        entry["variables"].append(item)
    out[path] = entry
    for name, child in g.groups.items():
        dump_group(child, (path.rstrip("/") + "/" + name), out)


def dump(path):
    try:
        with netCDF4.Dataset(path) as ds:
            groups = {}
            dump_group(ds, "/", groups)
            return {"data_model": ds.data_model, "groups": groups}
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}


def main():
    outdir, files = sys.argv[1], sys.argv[2:]
    for i, f in enumerate(files):
        with open(os.path.join(outdir, f"{i}.json"), "w") as fh:
            json.dump(dump(f), fh)


if __name__ == "__main__":
    main()
