#!/usr/bin/python3
"""The reference conversion, done the way a Python user does it:

    xarray_convert.py IN.nc OUT.zarr

open lazily with dask chunks (24, 180, 360), write Zarr v2 with
Blosc(zstd, level 3, byte shuffle) in the same chunks, consolidated metadata,
dask's default threaded scheduler (one thread per core).
"""

import sys

import numcodecs
import xarray as xr

CHUNKS = {"time": 24, "lat": 180, "lon": 360}


def main(argv: list[str]) -> int:
    src, out = argv
    ds = xr.open_dataset(src, chunks=CHUNKS)
    compressor = numcodecs.Blosc("zstd", 3, shuffle=numcodecs.Blosc.SHUFFLE)
    encoding = {
        name: {"compressor": compressor, "chunks": tuple(CHUNKS[d] for d in var.dims)}
        for name, var in ds.data_vars.items()
        if all(d in CHUNKS for d in var.dims)
    }
    ds.to_zarr(out, mode="w", encoding=encoding, consolidated=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
