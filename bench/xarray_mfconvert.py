#!/usr/bin/python3
"""The reference multi-file conversion, the way a Python user does it:

    xarray_mfconvert.py OUT.zarr IN.nc... [--time-chunk N]
        [--parallel] [--combine by_coords|nested] [--chunks default|empty]
        [--minimal] [--scheduler threads|sync]

xr.open_mfdataset over the files (one dask chunk per file: the files' own
1 x 721 x 1440 chunks), rechunked along time to the output chunks (to_zarr
refuses dask chunks that straddle Zarr chunks), then written as Zarr v2 with
Blosc(zstd, level 3, byte shuffle), chunks N x 180 x 360, consolidated
metadata, by dask's threaded scheduler (one thread per core) unless --scheduler
sync. Prints one JSON line: the configuration and the open / write seconds.

The default is the plain call (combine="by_coords", parallel=False, threads):
no other configuration was measurably faster. Tried on 2026-12-01 on the
bench's 32 daily files (2 cores; whole command under GNU time, configurations
interleaved, inputs in the page cache; median wall s [runs]). The machine was
shared with other jobs both times (1-minute load 5.4-6.6, then 9-18), so
differences under ~30 % are noise; bench/README.md has the same table:

    configuration               wall s, trial 1 (3 runs)  trial 2 (5)  CPU s  RSS MiB
    default                     5.30 [5.30, 3.79, 5.60]   8.41         3.03   548
    --combine nested            4.84 [7.47, 4.57, 4.84]   8.62         2.77   548
    --minimal                   5.55 [7.16, 4.15, 5.55]   8.35         3.21   549
    --combine nested --minimal  5.28 [6.13, 3.77, 5.28]   7.83         3.14   548
    --chunks empty              5.47 [6.30, 5.47, 4.60]   7.72         3.18   549
    --scheduler sync            5.07 [5.07, 4.75, 5.94]   8.28         2.91   431
    --parallel                  5.95 [3.56, 5.95, 8.60]   8.17         2.92   543  (unsafe, below)

(--minimal = data_vars="minimal", coords="minimal", compat="override"; CPU s
= user + sys, trial 2's median.) Every configuration does the same work: 32
inflations, 40 chunk compressions; the combine options only change how the
32 small coordinate sets are checked, which is milliseconds. --chunks empty
is the default's own code path (below), so its spread is the noise itself.

parallel=True is not usable with this stack (Debian 12: netCDF4 1.6.2,
libnetcdf 4.9.0, libhdf5 1.10.8): it opens the files concurrently on dask's
threads, and netCDF4 >= 1.6.1 no longer serialises netCDF-C calls that are not
thread-safe: on the bench's 4-file smoke input 2 runs in 12 died while
opening ("RuntimeError: NetCDF: Not a valid ID", "OSError: NetCDF: Unknown
file format"; pydata/xarray#7079, #5276), and on the 32 files all 8 runs above
printed HDF5-DIAG errors (attributes not found) though they finished. Kept as
an option to show that, never the default: a reference must not fail at
random, and it was not faster either.

--chunks: open_mfdataset's default chunks=None becomes chunks={} (the files'
on-disk chunks) inside xarray 2023.01 (backends/api.py: `chunks=chunks or
{}`), so both spellings run the same code; kept for the record. Dask chunks
covering several output chunks along lat/lon would make netCDF4 inflate each
1 x 721 x 1440 source chunk once per dask chunk (see bench/README.md,
`xarray_convert.py --chunks output`), so none are tried here.
"""

import argparse
import json
import sys
import time

import dask
import numcodecs
import xarray as xr


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--time-chunk", type=int, default=24)
    p.add_argument("--parallel", action="store_true", help="open the files on dask (flaky, see above)")
    p.add_argument("--combine", choices=["by_coords", "nested"], default="by_coords")
    p.add_argument("--chunks", choices=["default", "empty"], default="default")
    p.add_argument(
        "--minimal",
        action="store_true",
        help='data_vars="minimal", coords="minimal", compat="override"',
    )
    p.add_argument("--scheduler", choices=["threads", "sync"], default="threads")
    a = p.parse_args(argv)
    out_chunks = {"time": a.time_chunk, "lat": 180, "lon": 360}
    kw = {"combine": a.combine, "parallel": a.parallel}
    if a.combine == "nested":
        kw["concat_dim"] = "time"
    if a.chunks == "empty":
        kw["chunks"] = {}
    if a.minimal:
        kw.update(data_vars="minimal", coords="minimal", compat="override")
    t0 = time.perf_counter()
    with dask.config.set(scheduler=a.scheduler):
        ds = xr.open_mfdataset(a.inputs, **kw)
        ds = ds.chunk({"time": a.time_chunk})
        t1 = time.perf_counter()
        compressor = numcodecs.Blosc("zstd", 3, shuffle=numcodecs.Blosc.SHUFFLE)
        encoding = {
            name: {"compressor": compressor, "chunks": tuple(out_chunks[d] for d in var.dims)}
            for name, var in ds.data_vars.items()
            if all(d in out_chunks for d in var.dims)
        }
        ds.to_zarr(a.out, mode="w", encoding=encoding, consolidated=True)
    t2 = time.perf_counter()
    config = {k: v for k, v in vars(a).items() if k not in ("out", "inputs")}
    print(json.dumps({"files": len(a.inputs), "config": config, "open_s": t1 - t0, "write_s": t2 - t1}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
