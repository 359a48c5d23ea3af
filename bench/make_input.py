#!/usr/bin/python3
"""Generate the benchmark input: a NetCDF-4 file holding float32
t2m(time, lat=721, lon=1440), the ERA5 0.25-degree grid.

    make_input.py OUT.nc [--nt 48] [--seed 1]

--nt 48 is ~200 MB uncompressed (48*721*1440*4 B = 199.3 MB); --nt 1000 is
~4.15 GB. Storage: deflate level 4 + byte shuffle, chunks (1, 721, 1440), the
layout of typical model output written one step at a time. Hourly steps of
the synthetic 2 m temperature in bench/common.py, written one at a time, so
generating the 4 GB file needs ~30 MB of memory.
Written to OUT.tmp then renamed: a file at OUT is always complete.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from common import Field, create_t2m

NLAT, NLON = 721, 1440


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
    field = Field(NLAT, NLON, seed)
    with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
        title = "zarrify benchmark input (synthetic 2 m temperature)"
        t, v = create_t2m(nc, field, "hours since 2020-01-01 00:00:00", title, "bench/make_input.py")
        t[:] = np.arange(nt, dtype=np.float64)
        for i in range(nt):
            v[i, :, :] = field.step(i, float(i))
            if nt >= 200 and (i + 1) % 100 == 0:
                print(f"make_input: {i + 1}/{nt} steps", file=sys.stderr, flush=True)
    os.replace(tmp, out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
