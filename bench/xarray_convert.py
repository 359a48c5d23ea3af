#!/usr/bin/python3
"""The reference conversion, done the way a Python user does it:

    xarray_convert.py IN.nc OUT.zarr [--chunks aligned|output|time48|whole]
                                     [--scheduler threads|sync]

open lazily with dask chunks, write Zarr v2 with Blosc(zstd, level 3, byte
shuffle) in chunks 24x180x360, consolidated metadata.

--chunks (the dask chunks xarray reads with):
  aligned  {"time": 24}: 24 whole 1x721x1440 source chunks per dask task, so
           netCDF4 inflates every source chunk once; each task covers whole
           output chunks (the default: the best configuration here).
  output   {"time": 24, "lat": 180, "lon": 360}, the output chunks: every
           1x721x1440 source chunk is inflated once per output chunk it
           overlaps, 5 x 4 = 20 times (the bench's reference before issue 9).
  time48   {"time": 48}: the whole file in one dask chunk (one task).
  whole    chunks={}: dask chunks = the variable's on-disk chunks, 1x721x1440
           (48 tasks, then rechunked to 24 steps per write task by dask).
--scheduler: dask's threaded scheduler (default, one thread per core) or the
synchronous one.
"""

import argparse
import sys

import dask
import numcodecs
import xarray as xr

OUT_CHUNKS = {"time": 24, "lat": 180, "lon": 360}
DASK_CHUNKS = {
    "aligned": {"time": 24},
    "output": OUT_CHUNKS,
    "time48": {"time": 48},
    "whole": {},
}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--chunks", choices=sorted(DASK_CHUNKS), default="aligned")
    p.add_argument("--scheduler", choices=["threads", "sync"], default="threads")
    a = p.parse_args(argv)
    ds = xr.open_dataset(a.src, chunks=DASK_CHUNKS[a.chunks])
    if a.chunks == "whole":
        # On-disk chunks are one step; dask tasks of 24 steps so each write task
        # is whole output chunks (to_zarr refuses dask chunks that straddle them).
        ds = ds.chunk({"time": OUT_CHUNKS["time"]})
    compressor = numcodecs.Blosc("zstd", 3, shuffle=numcodecs.Blosc.SHUFFLE)
    encoding = {
        name: {"compressor": compressor, "chunks": tuple(OUT_CHUNKS[d] for d in var.dims)}
        for name, var in ds.data_vars.items()
        if all(d in OUT_CHUNKS for d in var.dims)
    }
    with dask.config.set(scheduler=a.scheduler):
        ds.to_zarr(a.out, mode="w", encoding=encoding, consolidated=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
