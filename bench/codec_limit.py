#!/usr/bin/python3
"""The codec limit of the convert bench: what a converter that inflates every
source chunk once and compresses every output chunk once, with native codecs
on all cores, would take.

    codec_limit.py IN.nc [--var t2m] [--chunks 24,180,360] [--procs N] [--repeat 3]

Prints one JSON object (and a summary on stderr). Two phases, each on a
fork()ed multiprocessing pool of --procs processes (default: all cores), each
process single-threaded; each phase's wall is timed in the parent from handing
out the first task to the last result, median of --repeat rounds:

  inflate   every source chunk of VAR read with netCDF4 (libnetcdf -> libhdf5:
            read + zlib inflate + unshuffle + copy into a numpy array), one
            chunk per task (auto mask/scale off, so no numpy post-processing).
            Each process opens the file once, before the timing (untimed).
            Needs the variable chunked along its first dimension only
            (1 x rest, as make_input.py writes it).
  compress  every output chunk (CHUNKS, edge chunks padded to full size with
            NaN, as zarr-python stores them) compressed with numcodecs'
            Blosc(zstd, 3, SHUFFLE) = c-blosc, blosc threads 1 per process.
            The chunks are cut from the array in the parent before the pool is
            forked (untimed); workers return only the compressed size.

limit = inflate wall + compress wall. Not included: writing files, metadata,
any scheduling beyond the pool's. MB/s are of the variable's uncompressed
bytes (the bench's MB/s); the compress phase also reports the padded chunk
bytes it actually compressed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time

import netCDF4
import numcodecs
import numpy as np
from numcodecs import blosc

_nc = None
_var = None
_chunks: list[np.ndarray] = []


def _open(path: str, var: str) -> None:
    global _nc, _var
    _nc = netCDF4.Dataset(path, "r")
    _var = _nc.variables[var]
    _var.set_auto_maskandscale(False)
    _var.set_always_mask(False)


def _inflate(i: int) -> int:
    a = _var[i]
    return a.nbytes


def _compress_init() -> None:
    blosc.set_nthreads(1)
    blosc.use_threads = False


_codec = numcodecs.Blosc("zstd", 3, shuffle=numcodecs.Blosc.SHUFFLE)


def _compress(i: int) -> int:
    return len(_codec.encode(_chunks[i]))


def _timed(pool, fn, n: int) -> float:
    t0 = time.perf_counter()
    total = sum(pool.imap_unordered(fn, range(n), chunksize=1))
    dt = time.perf_counter() - t0
    assert total > 0
    return dt


def output_chunks(a: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
    grid = [range(0, n, c) for n, c in zip(a.shape, shape)]
    out = []
    for idx in np.ndindex(*[len(g) for g in grid]):
        sl = tuple(slice(g[k], g[k] + c) for g, k, c in zip(grid, idx, shape))
        piece = a[sl]
        if piece.shape != shape:
            full = np.full(shape, np.nan, dtype=a.dtype)
            full[tuple(slice(0, s) for s in piece.shape)] = piece
            piece = full
        out.append(np.ascontiguousarray(piece))
    return out


def main(argv: list[str]) -> int:
    global _chunks
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("--var", default="t2m")
    p.add_argument("--chunks", default="24,180,360")
    p.add_argument("--procs", type=int, default=os.cpu_count())
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)
    shape = tuple(int(s) for s in a.chunks.split(","))
    ctx = mp.get_context("fork")

    _open(a.src, a.var)
    src_chunking = _var.chunking()
    vshape = _var.shape
    if src_chunking == "contiguous" or list(src_chunking[1:]) != list(vshape[1:]) or src_chunking[0] != 1:
        print(f"codec_limit: {a.var} must be chunked 1 x {vshape[1:]}, is {src_chunking}", file=sys.stderr)
        return 2
    filters = _var.filters()
    n_src = vshape[0]
    raw = int(np.prod(vshape)) * _var.dtype.itemsize
    _nc.close()

    # Phase 1: inflate every source chunk once, on the pool.
    with ctx.Pool(a.procs, initializer=_open, initargs=(a.src, a.var)) as pool:
        pool.map(_inflate, range(min(n_src, a.procs * 2)), chunksize=1)  # warm-up
        inflate = [_timed(pool, _inflate, n_src) for _ in range(a.repeat)]

    # Phase 2: compress every output chunk once, on a pool forked after the chunks exist.
    _open(a.src, a.var)
    data = _var[:]
    _nc.close()
    _chunks = output_chunks(data, shape)
    del data
    chunk_bytes = sum(c.nbytes for c in _chunks)
    with ctx.Pool(a.procs, initializer=_compress_init) as pool:
        sizes = pool.map(_compress, range(len(_chunks)), chunksize=1)  # warm-up and size
        compress = [_timed(pool, _compress, len(_chunks)) for _ in range(a.repeat)]

    ti, tc = statistics.median(inflate), statistics.median(compress)
    res = {
        "procs": a.procs,
        "raw_bytes": raw,
        "source_chunks": n_src,
        "source_chunk_shape": list(src_chunking),
        "source_filters": {k: v for k, v in filters.items() if v},
        "output_chunks": len(_chunks),
        "output_chunk_shape": list(shape),
        "output_chunk_bytes": chunk_bytes,
        "compressed_bytes": int(sum(sizes)),
        "inflate_s": ti,
        "inflate_runs": inflate,
        "compress_s": tc,
        "compress_runs": compress,
        "limit_s": ti + tc,
        "versions": {
            "netCDF4": netCDF4.__version__,
            "libhdf5": netCDF4.__hdf5libversion__,
            "libnetcdf": netCDF4.__netcdf4libversion__,
            "numcodecs": numcodecs.__version__,
            "blosc": numcodecs.blosc.VERSION_STRING,
        },
    }
    mb = raw / 1e6
    print(
        f"codec limit on {a.procs} processes: inflate {n_src} source chunks {ti:.3f} s "
        f"({mb / ti:.0f} MB/s), compress {len(_chunks)} output chunks {tc:.3f} s "
        f"({mb / tc:.0f} MB/s of data, {chunk_bytes / 1e6 / tc:.0f} MB/s of padded chunks); "
        f"limit {ti + tc:.3f} s ({mb / (ti + tc):.0f} MB/s)",
        file=sys.stderr,
    )
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
