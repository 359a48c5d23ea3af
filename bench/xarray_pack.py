#!/usr/bin/python3
"""xarray's side of the packing benchmark (bench/packing.mjs), and its checks.

    xarray_pack.py pack IN.nc OUT.zarr --scale S --offset O [--var t2m]
        The timed reference: CF-pack the variable to int16 the way a Python
        user does, xr.open_dataset(chunks=...).to_zarr(encoding={"dtype":
        "int16", "scale_factor", "add_offset", "_FillValue": -32768,
        Blosc(zstd, 3, byte shuffle), chunks 24x180x360}), dask's threaded
        scheduler, consolidated metadata. S and O are passed as float32, the
        type zarrify stores them in for a float32 source.

    xarray_pack.py check IN.nc ARCHIVE.zarr [--var t2m] [--bits 16]
        Does the packed archive decode, through xarray, to the source within
        scale_factor/2 (plus 2 float32 ulps of the largest magnitude), with
        NaN exactly where the source has NaN? Also checks its encoding on disk
        (int dtype, _FillValue, chunks, compressor).

    xarray_pack.py compare IN.nc A.zarr B.zarr [--var t2m]
        The packed integers of two archives packed with the same
        scale_factor/add_offset (A: zarrify, B: xarray): how many differ, by
        how much, and whether every difference is a rounding tie. xarray
        2023.01 packs float32 data in float32 arithmetic ((v - o) / s in
        float32, then numpy.around); zarrify in float64. Both round half to
        even, so they can only disagree where the quotient lies within float32
        rounding error of a half-integer; anywhere else is a bug. Also sums the
        chunk bytes of both, and of A's chunks recompressed by B's compressor.

check and compare print ONE JSON object on stdout and exit 0; exit 2 when this
script itself crashes. pack exits 0 on success.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
import warnings

import numpy as np

CHUNKS = {"time": 24, "lat": 180, "lon": 360}
FILL = {8: -128, 16: -32768, 32: -2147483648}
# Time steps read at a time by the checks: 1/2 of the 200 MB case, bounded memory for any nt.
SLAB_STEPS = 24


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("pack")
    pk.add_argument("src")
    pk.add_argument("out")
    pk.add_argument("--scale", type=float, required=True)
    pk.add_argument("--offset", type=float, required=True)
    pk.add_argument("--var", default="t2m")
    ck = sub.add_parser("check")
    ck.add_argument("src")
    ck.add_argument("archive")
    ck.add_argument("--var", default="t2m")
    ck.add_argument("--bits", type=int, default=16, choices=sorted(FILL))
    cp = sub.add_parser("compare")
    cp.add_argument("src")
    cp.add_argument("a")
    cp.add_argument("b")
    cp.add_argument("--var", default="t2m")
    args = p.parse_args(argv)
    if args.cmd == "pack":
        pack(args.src, args.out, args.var, args.scale, args.offset)
        return 0
    warnings.simplefilter("ignore")
    try:
        if args.cmd == "check":
            result = check(args.src, args.archive, args.var, args.bits)
        else:
            result = compare(args.src, args.a, args.b, args.var)
    except Exception:  # noqa: BLE001 - contract: exit 2 with the traceback
        traceback.print_exc()
        return 2
    print(json.dumps(result, default=float))
    return 0


def pack(src: str, out: str, var: str, scale: float, offset: float) -> None:
    import numcodecs
    import xarray as xr

    ds = xr.open_dataset(src, chunks=CHUNKS)
    compressor = numcodecs.Blosc("zstd", 3, shuffle=numcodecs.Blosc.SHUFFLE)
    encoding = {}
    for name, v in ds.data_vars.items():
        if not all(d in CHUNKS for d in v.dims):
            continue
        encoding[name] = {
            "compressor": compressor,
            "chunks": tuple(CHUNKS[d] for d in v.dims),
        }
    encoding[var].update(
        {
            "dtype": "int16",
            "scale_factor": np.float32(scale),
            "add_offset": np.float32(offset),
            "_FillValue": np.int16(FILL[16]),
        }
    )
    ds.to_zarr(out, mode="w", encoding=encoding, consolidated=True)


def slabs(n: int):
    for start in range(0, n, SLAB_STEPS):
        yield slice(start, min(n, start + SLAB_STEPS))


def check(src: str, archive: str, var: str, bits: int) -> dict:
    import xarray as xr
    import zarr

    diffs: list[str] = []
    raw = zarr.open_consolidated(archive, mode="r")[var]
    want_dtype = np.dtype(f"<i{bits // 8}")
    if raw.dtype != want_dtype:
        diffs.append(f"dtype on disk {raw.dtype}, expected {want_dtype}")
    if raw.fill_value != FILL[bits]:
        diffs.append(f"fill_value {raw.fill_value}, expected {FILL[bits]}")
    if raw.attrs.get("_FillValue", raw.fill_value) != FILL[bits]:
        diffs.append(f"_FillValue {raw.attrs.get('_FillValue')}")
    want_chunks = tuple(CHUNKS[d] for d in raw.attrs["_ARRAY_DIMENSIONS"])
    if tuple(raw.chunks) != want_chunks:
        diffs.append(f"chunks {raw.chunks}, expected {want_chunks}")
    c = raw.compressor.get_config() if raw.compressor else {}
    if (c.get("id"), c.get("cname"), c.get("clevel"), c.get("shuffle")) != ("blosc", "zstd", 3, 1):
        diffs.append(f"compressor {c}")
    scale = float(raw.attrs["scale_factor"])
    offset = float(raw.attrs["add_offset"])

    s = xr.open_dataset(src)
    a = xr.open_zarr(archive, consolidated=True)
    sv, av = s[var], a[var]
    if sv.dims != av.dims or sv.shape != av.shape:
        diffs.append(f"dims/shape {av.dims}{av.shape}, source {sv.dims}{sv.shape}")
        return {"ok": False, "differences": diffs}
    for c_name in sv.dims:
        if c_name in s.coords and not s[c_name].equals(a[c_name]):
            diffs.append(f"coordinate {c_name} differs from the source")
    for k in ("units", "standard_name", "long_name"):
        if sv.attrs.get(k) != av.attrs.get(k):
            diffs.append(f"attribute {k}: {av.attrs.get(k)!r}, source {sv.attrs.get(k)!r}")

    max_abs = 0.0
    max_err = 0.0
    nan_mismatch = 0
    n_fill = 0
    for sl in slabs(sv.shape[0]):
        x = np.asarray(sv[sl].values)
        y = np.asarray(av[sl].values)
        decoded_dtype = y.dtype
        nx, ny = np.isnan(x), np.isnan(y)
        nan_mismatch += int(np.count_nonzero(nx != ny))
        n_fill += int(np.count_nonzero(ny))
        both = ~(nx | ny)
        if both.any():
            err = np.abs(y[both].astype(np.float64) - x[both].astype(np.float64))
            max_err = max(max_err, float(err.max()))
            max_abs = max(max_abs, float(np.abs(x[both]).max()))
    # xarray 2023.01 masks _FillValue first, which promotes int16 to float32, then scales in
    # float32 (decoded_dtype): each decoded value may be off by another float32 rounding or two.
    slack = 2 * float(np.spacing(np.float32(max_abs)))
    bound = scale / 2 + slack
    if max_err > bound:
        diffs.append(f"max |decoded - source| = {max_err:.6g} > scale/2 + 2 ulp = {bound:.6g}")
    if nan_mismatch:
        diffs.append(f"{nan_mismatch} values NaN on one side only")
    return {
        "ok": not diffs,
        "differences": diffs,
        "scale_factor": scale,
        "add_offset": offset,
        "decoded_dtype": str(decoded_dtype),
        "max_err": max_err,
        "bound": bound,
        "nan_mismatch": nan_mismatch,
        "nan_count": n_fill,
    }


def compare(src: str, a_path: str, b_path: str, var: str) -> dict:
    import xarray as xr
    import zarr

    a = zarr.open_consolidated(a_path, mode="r")[var]
    b = zarr.open_consolidated(b_path, mode="r")[var]
    diffs: list[str] = []
    if a.shape != b.shape or a.dtype != b.dtype:
        return {"ok": False, "differences": [f"{a.shape} {a.dtype} vs {b.shape} {b.dtype}"]}
    params = []
    for z in (a, b):
        params.append((np.float32(z.attrs["scale_factor"]), np.float32(z.attrs["add_offset"])))
    if params[0] != params[1]:
        diffs.append(f"scale_factor/add_offset differ: {params[0]} vs {params[1]}")
    s32, o32 = params[0]
    s64, o64 = float(s32), float(o32)
    sv = xr.open_dataset(src)[var]
    differing = 0
    max_diff = 0
    not_near_tie = 0
    exact_ties64 = 0
    ties_differing = 0
    for sl in slabs(a.shape[0]):
        ia = a[sl].astype(np.int64)
        ib = b[sl].astype(np.int64)
        x = np.asarray(sv[sl].values, dtype=np.float32)
        q64 = (x.astype(np.float64) - o64) / s64
        finite = np.isfinite(q64)
        frac = np.abs(q64 - np.floor(q64) - 0.5)
        exact_ties64 += int(np.count_nonzero(finite & (frac == 0)))
        d = ia != ib
        n = int(np.count_nonzero(d))
        if not n:
            continue
        differing += n
        max_diff = max(max_diff, int(np.abs(ia[d] - ib[d]).max()))
        ties_differing += int(np.count_nonzero(d & (frac == 0)))
        # xarray's quotient is (x - o) / s in float32: rounded once or twice by half an ulp of
        # its magnitude. Within that of a half-integer, float32 and float64 may round apart.
        tol = np.spacing(np.abs(q64[d]).astype(np.float32)).astype(np.float64)
        not_near_tie += int(np.count_nonzero(frac[d] > tol))
    if max_diff > 1:
        diffs.append(f"packed integers differ by up to {max_diff}")
    sizes = chunk_bytes(a_path, b_path, var)
    if not_near_tie:
        diffs.append(f"{not_near_tie} differing values are not at a rounding tie")
    return {
        "ok": not diffs,
        "differences": diffs,
        "total": int(np.prod(a.shape)),
        "differing": differing,
        "max_diff": max_diff,
        "exact_ties_float64": exact_ties64,
        "differing_at_exact_ties_float64": ties_differing,
        "differing_not_near_tie": not_near_tie,
        **sizes,
    }


def chunk_bytes(a_path: str, b_path: str, var: str) -> dict:
    """Compressed bytes of the variable's chunks in A and in B, and of A's chunks decoded and
    compressed again by numcodecs' Blosc (B's compressor): separates what the integers cost from
    what the Blosc/zstd implementation costs (zarrify bundles its own zstd, numcodecs links the
    system's)."""
    import os

    import zarr

    b_compressor = zarr.open_consolidated(b_path, mode="r")[var].compressor
    a_array = zarr.open_consolidated(a_path, mode="r")[var]
    a_compressor, dtype = a_array.compressor, a_array.dtype
    out = {"chunk_bytes_a": 0, "chunk_bytes_b": 0, "chunk_bytes_a_recompressed": 0}
    for key, root in (("chunk_bytes_a", a_path), ("chunk_bytes_b", b_path)):
        for f in os.listdir(os.path.join(root, var)):
            if f.startswith("."):
                continue
            path = os.path.join(root, var, f)
            out[key] += os.path.getsize(path)
            if key == "chunk_bytes_a":
                with open(path, "rb") as fh:
                    raw = a_compressor.decode(fh.read())
                # Typed, so Blosc shuffles by the element size, as it did when B was written.
                typed = np.frombuffer(raw, dtype=dtype)
                out["chunk_bytes_a_recompressed"] += len(b_compressor.encode(typed))
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
