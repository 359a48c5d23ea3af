"""
The kill matrix's xarray oracle, run by Debian 12's python (Zarr v2) or the sid chroot's (v3):
one process checks a batch of archives, so the matrix pays Python's start once per verb.

    python3 oracle.py JOBS.json  ->  one JSON list on stdout, one entry per job

A job is {"path": archive dir, "steps": bool, "final": bool}. For each it reports whether the
archive opens (xr.open_zarr; a final archive must open from its consolidated metadata), a
fingerprint of everything xarray decodes (variables' dims, dtype, attrs, values, chunk encoding,
global attrs), and with "steps" the state of every time step of t2m against the source values
(grid.ts expectedValue): "full" (every cell equals the source), "none" (every cell missing) or
"some".
"""
import hashlib
import json
import sys
import warnings

import numpy as np
import xarray as xr

EPOCH = np.datetime64("2000-01-01T00:00:00", "ns")


def expected(day, n):
    i = np.arange(n, dtype=np.uint64)
    h = ((i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)) ^ np.uint64((day * 40503) & 0xFFFFFFFF)
    return (day + (h % np.uint64(65536)).astype(np.float64) / 65536.0).astype(np.float32)


def jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


def fingerprint(ds):
    parts = {"attrs": json.dumps(ds.attrs, sort_keys=True, default=jsonable)}
    for name in sorted(ds.variables):
        v = ds.variables[name]
        values = np.ascontiguousarray(v.values)
        parts[name] = {
            "dims": list(v.dims),
            "dtype": str(v.dtype),
            "shape": list(v.shape),
            "attrs": json.dumps(v.attrs, sort_keys=True, default=jsonable),
            "chunks": jsonable(v.encoding.get("chunks")),
            "preferred": jsonable(v.encoding.get("preferred_chunks")),
            "values": hashlib.sha256(values.tobytes()).hexdigest(),
        }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest(), parts


def step_states(ds):
    t2m = ds["t2m"]
    days = ((ds["time"].values.astype("datetime64[ns]") - EPOCH) / np.timedelta64(1, "D")).astype(int)
    values = t2m.values.reshape(t2m.shape[0], -1)
    out = []
    for k, day in enumerate(days):
        row = values[k]
        if np.isnan(row).all():
            out.append("none")
        elif np.array_equal(row, expected(int(day), row.size)):
            out.append("full")
        else:
            out.append("some")
    return out


def check(job):
    res = {"path": job["path"], "opens": False}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = xr.open_zarr(job["path"], consolidated=True if job.get("final") else None)
            res["warnings"] = sorted({str(w.message).split("\n")[0][:160] for w in caught})
        with ds:
            res["opens"] = True
            res["fingerprint"], res["parts"] = fingerprint(ds)
            if job.get("steps"):
                res["steps"] = step_states(ds)
    except Exception as e:  # the report says what failed; the matrix decides what it means
        res["error"] = f"{type(e).__name__}: {e}"[:400]
    return res


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    print(json.dumps([check(j) for j in jobs]))


if __name__ == "__main__":
    main()
