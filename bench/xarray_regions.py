#!/usr/bin/python3
"""The reference for the region benchmark: xarray's documented parallel
region workflow, done the way a Python user does it.

    xarray_regions.py write ARCHIVE.zarr FILE... --start 2020-01-01
        --end 2020-03-04T23:00 --freq 1H --chunking time:24,lat:181,lon:360
        [--jobs 2] [--unsafe]
    xarray_regions.py lost ARCHIVE.zarr FILE...

write: 1. template: the first file's grid, coordinates and attributes over
the full time range pd.date_range(start, end, freq), its data variables as
lazy dask arrays, written with `to_zarr(compute=False)` (Zarr v2, Blosc zstd
level 3 + byte shuffle, _FillValue NaN, consolidated metadata: no data
chunks). 2. every file into its region with
`open_dataset(f).drop_vars(<variables without time>).to_zarr(region={"time":
slice(a, b)})`, from a multiprocessing.Pool of --jobs processes; a and b come
from the file's own times, looked up in the template's time axis.
--unsafe passes safe_chunks=False (xarray's only way to write regions that
share a chunk; the Python original does this). Prints one JSON object:
{"files", "steps", "template_s", "write_s", "jobs"}; exit 1 when a file fails.

lost: how many of the archive's time steps hold no data (every value of every
data variable NaN), and how many differ in any way from the files' values
(steps in time order across the files). Prints {"steps", "all_nan",
"differ", "all_nan_steps"}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import warnings

import numpy as np

# Filled in before the pool forks; workers inherit them.
ARCHIVE = ""
TIMES = None
SAFE_CHUNKS = True


def main(argv: list[str]) -> int:
    warnings.simplefilter("ignore")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("archive")
    w.add_argument("files", nargs="+")
    w.add_argument("--start", required=True)
    w.add_argument("--end", required=True)
    w.add_argument("--freq", required=True)
    w.add_argument("--chunking", required=True, help="dim:len,... e.g. time:24,lat:181,lon:360")
    w.add_argument("--jobs", type=int, default=1)
    w.add_argument("--unsafe", action="store_true", help="safe_chunks=False")
    c = sub.add_parser("lost")
    c.add_argument("archive")
    c.add_argument("files", nargs="+")
    a = p.parse_args(argv)
    if a.cmd == "write":
        return write(a)
    print(json.dumps(lost(a.archive, a.files)))
    return 0


def parse_chunking(spec: str) -> dict[str, int]:
    out = {}
    for part in spec.split(","):
        name, n = part.split(":")
        out[name.strip()] = int(n)
    return out


def make_template(first: str, archive: str, times, chunks: dict[str, int]) -> None:
    import dask.array as da
    import numcodecs
    import xarray as xr

    compressor = numcodecs.Blosc("zstd", 3, shuffle=numcodecs.Blosc.SHUFFLE)
    with xr.open_dataset(first) as src:
        time_dim = "time"
        coords = {time_dim: xr.Variable(time_dim, times, attrs=src[time_dim].attrs)}
        for name, v in src.coords.items():
            if time_dim not in v.dims:
                coords[name] = v.load()
        data_vars = {}
        encoding = {}
        for name, v in src.data_vars.items():
            if time_dim not in v.dims:
                data_vars[name] = v.load()
                continue
            shape = tuple(len(times) if d == time_dim else src.sizes[d] for d in v.dims)
            chunk = tuple(chunks.get(d, shape[i]) for i, d in enumerate(v.dims))
            lazy = da.full(shape, np.nan, dtype=v.dtype, chunks=chunk)
            data_vars[name] = xr.Variable(v.dims, lazy, attrs=v.attrs)
            encoding[name] = {"compressor": compressor, "chunks": chunk, "_FillValue": np.nan}
        t_enc = src[time_dim].encoding
        encoding[time_dim] = {
            "units": t_enc["units"],
            "calendar": t_enc.get("calendar", "standard"),
            "dtype": "float64",
        }
        template = xr.Dataset(data_vars, coords=coords, attrs=src.attrs)
    template.to_zarr(archive, mode="w", compute=False, encoding=encoding, consolidated=True)


def write_one(path: str) -> int:
    import xarray as xr

    with xr.open_dataset(path) as ds:
        first = np.datetime64(ds["time"].values[0])
        a = int(np.searchsorted(TIMES, first))
        n = ds.sizes["time"]
        if a + n > len(TIMES) or not np.array_equal(TIMES[a : a + n], ds["time"].values):
            raise ValueError(f"{path}: its times are not on the archive's time axis")
        region_only = ds.drop_vars([k for k, v in ds.variables.items() if "time" not in v.dims])
        region_only.to_zarr(ARCHIVE, region={"time": slice(a, a + n)}, safe_chunks=SAFE_CHUNKS)
    return n


def write(a) -> int:
    global ARCHIVE, TIMES, SAFE_CHUNKS
    import pandas as pd

    ARCHIVE = a.archive
    SAFE_CHUNKS = not a.unsafe
    times = pd.date_range(a.start, a.end, freq=a.freq)
    TIMES = times.values
    t0 = time.perf_counter()
    make_template(a.files[0], a.archive, times, parse_chunking(a.chunking))
    t1 = time.perf_counter()
    # fork: the workers inherit ARCHIVE/TIMES and the imported modules.
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(a.jobs) as pool:
        steps = sum(pool.imap_unordered(write_one, a.files, chunksize=1))
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "files": len(a.files),
                "steps": steps,
                "template_s": round(t1 - t0, 3),
                "write_s": round(t2 - t1, 3),
                "jobs": a.jobs,
            }
        )
    )
    return 0


def lost(archive: str, files: list[str]) -> dict:
    import xarray as xr

    arc = xr.open_zarr(archive, consolidated=True)
    names = [k for k, v in arc.data_vars.items() if "time" in v.dims]
    nt = arc.sizes["time"]
    all_nan = np.ones(nt, dtype=bool)
    differ = np.zeros(nt, dtype=bool)
    for name in names:
        v = arc[name]
        axes = tuple(i for i, d in enumerate(v.dims) if d != "time")
        all_nan &= np.isnan(v.values).all(axis=axes)
    pos = 0
    for f in files:
        with xr.open_dataset(f) as src:
            n = src.sizes["time"]
            for name in names:
                want = src[name].values
                got = arc[name].isel(time=slice(pos, pos + n)).values
                same = (want == got) | (np.isnan(want) & np.isnan(got))
                axes = tuple(range(1, same.ndim))
                differ[pos : pos + n] |= ~same.all(axis=axes)
            pos += n
    differ[pos:] = True  # steps no file covers would be an archive longer than the series
    return {
        "steps": int(nt),
        "all_nan": int(all_nan.sum()),
        "differ": int(differ.sum()),
        "all_nan_steps": [int(i) for i in np.flatnonzero(all_nan)],
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
