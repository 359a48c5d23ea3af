#!/usr/bin/python3
"""The Python side of the sharding benchmark (bench/shards.mjs), run with today's stack: the sid
chroot's xarray + zarr-python 3 (`scripts/sid-chroot.sh run python3 bench/xarray_shards.py ...`).

    xarray_shards.py race ARCHIVE FILE... --start 2020-01-01 --end 2020-02-09 --freq 1D
        --chunks time:2 --shards time:10 [--jobs 8]
    xarray_shards.py read ARCHIVE [--var t2m] [--point I,J] [--step K] [--repeat 5]
    xarray_shards.py same A.zarr B.zarr [--var t2m]

race: xarray's region workflow on a sharded Zarr v3 template: the first file's grid over the
full time axis written with `to_zarr(compute=False, zarr_format=3, encoding={VAR: {"chunks",
"shards", "compressors": Blosc zstd 3 shuffle}})`, then every file into its region with
`to_zarr(region={"time": slice(a, b)}, safe_chunks=False)` from a multiprocessing.Pool(--jobs)
(bench/xarray_regions.py's write_one: zarr-python's shard read-modify-write, no lock; zarr-python
#3682 / xarray #10831). Prints {"files", "steps", "template_s", "write_s", "jobs"}. Steps lost are
counted afterwards with `xarray_regions.py lost` (also under the sid python).

read: zarr-python 3 reads of VAR straight from the store (zarr.open_array over a LocalStore
wrapped to count what it asks for): one time series (every step at grid point I,J; default the
middle of the grid) and one map (every lat x lon at step K; default the middle step). Each timed
best of --repeat, the array opened afresh every time (metadata reads included), files in the page
cache. Prints {"series_s", "map_s", "series": {gets, bytes, keys}, "map": {...}, "shape",
"chunks", "shards"}: gets = store reads (whole objects or byte ranges), bytes = bytes returned,
keys = distinct objects touched.

same: VAR and every coordinate of A and B hold identical values (NaN == NaN), read with zarr
slab by slab along the first dimension. Prints {"ok", "differences", "compared"}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xarray_regions  # noqa: E402


def parse_dims(spec: str) -> dict[str, int]:
    return xarray_regions.parse_chunking(spec)


def make_sharded_template(first: str, archive: str, times, chunks: dict, shards: dict) -> None:
    import dask.array as da
    import xarray as xr
    from zarr.codecs import BloscCodec

    blosc = BloscCodec(cname="zstd", clevel=3, shuffle="shuffle")
    with xr.open_dataset(first) as src:
        coords = {"time": xr.Variable("time", times, attrs=src["time"].attrs)}
        for name, v in src.coords.items():
            if "time" not in v.dims:
                coords[name] = v.load()
        data_vars, encoding = {}, {}
        for name, v in src.data_vars.items():
            if "time" not in v.dims:
                data_vars[name] = v.load()
                continue
            shape = tuple(len(times) if d == "time" else src.sizes[d] for d in v.dims)
            chunk = tuple(min(chunks.get(d, n), n) for d, n in zip(v.dims, shape))
            # A shard left out of --shards is the whole dimension, rounded up to whole chunks.
            shard = tuple(
                shards.get(d, -(-n // c) * c) for d, n, c in zip(v.dims, shape, chunk)
            )
            lazy = da.full(shape, np.nan, dtype=v.dtype, chunks=shard)
            data_vars[name] = xr.Variable(v.dims, lazy, attrs=v.attrs)
            encoding[name] = {
                "chunks": chunk,
                "shards": shard,
                "compressors": [blosc],
                "_FillValue": np.nan,
            }
        t_enc = src["time"].encoding
        encoding["time"] = {
            "units": t_enc["units"],
            "calendar": t_enc.get("calendar", "standard"),
            "dtype": "float64",
        }
        template = xr.Dataset(data_vars, coords=coords, attrs=src.attrs)
    template.to_zarr(
        archive, mode="w", compute=False, encoding=encoding, consolidated=True, zarr_format=3
    )


def race(a) -> int:
    import pandas as pd

    times = pd.date_range(a.start, a.end, freq=a.freq)
    xarray_regions.ARCHIVE = a.archive
    xarray_regions.TIMES = times.values
    xarray_regions.SAFE_CHUNKS = False
    t0 = time.perf_counter()
    make_sharded_template(a.files[0], a.archive, times, parse_dims(a.chunks), parse_dims(a.shards))
    t1 = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(a.jobs) as pool:
        steps = sum(pool.imap_unordered(xarray_regions.write_one, a.files, chunksize=1))
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


def counting_store(path: str):
    from zarr.storage import LocalStore

    class Counting(LocalStore):
        """A LocalStore counting the reads of chunk objects (metadata excluded): reads = get /
        get_sync calls that return data, after zarr's coalescing of byte ranges (so each is one
        read of the file system); ranges = inner chunks asked for through get_ranges."""

        def reset(self):
            self.reads = 0
            self.bytes = 0
            self.ranges = 0
            self.keys = set()

        def _count(self, key, buf):
            if key.endswith("zarr.json") or buf is None:
                return
            self.reads += 1
            self.bytes += len(buf)
            self.keys.add(key)

        async def get(self, key, prototype=None, byte_range=None):
            buf = await super().get(key, prototype, byte_range)
            self._count(key, buf)
            return buf

        def get_sync(self, key, *, prototype=None, byte_range=None):
            buf = super().get_sync(key, prototype=prototype, byte_range=byte_range)
            self._count(key, buf)
            return buf

        async def get_ranges(self, key, byte_ranges, **kw):
            self.ranges += len(byte_ranges)
            async for group in super().get_ranges(key, byte_ranges, **kw):
                yield group

        def get_ranges_sync(self, key, byte_ranges, **kw):
            self.ranges += len(byte_ranges)
            return super().get_ranges_sync(key, byte_ranges, **kw)

    store = Counting(path, read_only=True)
    store.reset()
    return store


def read(a) -> int:
    import zarr

    store = counting_store(a.archive)
    arr = zarr.open_array(store, path=a.var, mode="r")
    nt, ny, nx = arr.shape
    i, j = (int(s) for s in a.point.split(",")) if a.point else (ny // 2, nx // 2)
    k = a.step if a.step is not None else nt // 2
    out = {"shape": list(arr.shape), "chunks": list(arr.chunks)}
    out["shards"] = list(arr.shards) if arr.shards else None
    out["point"] = [i, j]
    out["step"] = k
    for name, sel in (("series", (slice(None), i, j)), ("map", (k, slice(None), slice(None)))):
        best = float("inf")
        for _ in range(a.repeat):
            store.reset()
            t = time.perf_counter()
            arr = zarr.open_array(store, path=a.var, mode="r")
            got = arr[sel]
            best = min(best, time.perf_counter() - t)
        out[f"{name}_s"] = round(best, 4)
        out[name] = {
            "reads": store.reads,
            "bytes": store.bytes,
            "ranges": store.ranges,
            "objects": len(store.keys),
        }
        out[f"{name}_sum"] = float(np.nansum(got, dtype=np.float64))
    print(json.dumps(out))
    return 0


def same(a) -> int:
    import zarr

    ga = zarr.open_group(a.a, mode="r")
    b = a.b
    gb = zarr.open_group(b, mode="r")
    differences, compared = [], []
    names = [a.var] + sorted(n for n in ga.array_keys() if n != a.var)
    for name in names:
        if name not in gb:
            differences.append(f"{name}: missing from {b}")
            continue
        x, y = ga[name], gb[name]
        if x.shape != y.shape or x.dtype != y.dtype:
            differences.append(f"{name}: {x.shape} {x.dtype} vs {y.shape} {y.dtype}")
            continue
        step = max(1, x.chunks[0]) * 10 if x.ndim else 1
        n = x.shape[0] if x.ndim else 1
        for s in range(0, n, step):
            sel = slice(s, min(n, s + step)) if x.ndim else ()
            u, v = np.asarray(x[sel]), np.asarray(y[sel])
            eq = u == v
            if u.dtype.kind == "f":
                eq |= np.isnan(u) & np.isnan(v)
            if not eq.all():
                differences.append(f"{name}: {int((~eq).sum())} values differ in [{s}:{s + step}]")
                break
        compared.append(name)
    print(json.dumps({"ok": not differences, "differences": differences, "compared": compared}))
    return 0


def main(argv: list[str]) -> int:
    warnings.simplefilter("ignore")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("race")
    r.add_argument("archive")
    r.add_argument("files", nargs="+")
    r.add_argument("--start", required=True)
    r.add_argument("--end", required=True)
    r.add_argument("--freq", required=True)
    r.add_argument("--chunks", required=True, help="dim:len,... inner chunks")
    r.add_argument("--shards", required=True, help="dim:len,... shards (left out: whole)")
    r.add_argument("--jobs", type=int, default=8)
    d = sub.add_parser("read")
    d.add_argument("archive")
    d.add_argument("--var", default="t2m")
    d.add_argument("--point", help="I,J (default: the middle of the grid)")
    d.add_argument("--step", type=int)
    d.add_argument("--repeat", type=int, default=5)
    s = sub.add_parser("same")
    s.add_argument("a")
    s.add_argument("b")
    s.add_argument("--var", default="t2m")
    a = p.parse_args(argv)
    return {"race": race, "read": read, "same": same}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
