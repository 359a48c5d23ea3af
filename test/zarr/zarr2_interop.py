"""Interop oracle for test/zarr/interop.test.ts, run with Debian's /usr/bin/python3.

  check ARCHIVE MANIFEST   open ARCHIVE with zarr.open_consolidated (zarr 2.13) and compare every
                           array listed in MANIFEST (dtype, shape, chunks, fill_value, attrs,
                           compressor, values); also open it with xarray.open_zarr and compare
                           dimensions and unmasked values.
  frames DIR               decompress every ts-*.blosc in DIR with numcodecs' c-blosc and compare
                           with the matching .src; then write py-*.blosc frames (c-blosc output for
                           every cname x shuffle x typesize x size) with their .src for the TS side.

Prints one JSON object {"ok": bool, "errors": [...], "checked": n} and exits 0 when ok.
"""

import base64
import glob
import json
import math
import os
import sys

import numcodecs
import numpy as np
import zarr
from numcodecs import blosc


def expected_values(entry, base):
    dtype = entry["numpy_dtype"]
    shape = tuple(entry["shape"])
    if entry["dtype"] == "string":
        with open(os.path.join(base, entry["data"]), encoding="utf-8") as f:
            items = json.load(f)
        arr = np.empty(len(items), dtype=object)
        arr[:] = items
        return arr.reshape(shape)
    with open(os.path.join(base, entry["data"]), "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def same_fill(actual, expected, dtype):
    if expected is None:
        return actual is None
    if actual is None:
        return False
    if dtype.kind == "f":
        if expected in ("NaN", "Infinity", "-Infinity"):
            return str(float(actual)) == {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[expected]
        return float(actual) == float(expected)
    if dtype.kind == "S":
        # numpy strips trailing NULs from S scalars: compare as S1 arrays.
        return np.array(actual, dtype=dtype) == np.array(base64.b64decode(expected), dtype=dtype)
    if dtype.kind == "O":
        return actual == expected
    return int(actual) == int(expected)


def check(archive, manifest_path):
    errors = []
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    base = os.path.dirname(manifest_path)
    g = zarr.open_consolidated(archive, mode="r")
    if dict(g.attrs) != manifest["root_attrs"]:
        errors.append(f"root attrs {dict(g.attrs)!r} != {manifest['root_attrs']!r}")
    checked = 0
    for entry in manifest["arrays"]:
        name = entry["path"]
        try:
            z = g[name]
        except KeyError:
            errors.append(f"{name}: missing from consolidated metadata")
            continue
        dtype = np.dtype(entry["numpy_dtype"])
        if z.dtype != dtype:
            errors.append(f"{name}: dtype {z.dtype} != {dtype}")
        if list(z.shape) != entry["shape"]:
            errors.append(f"{name}: shape {z.shape} != {entry['shape']}")
        if list(z.chunks) != entry["chunks"]:
            errors.append(f"{name}: chunks {z.chunks} != {entry['chunks']}")
        if not same_fill(z.fill_value, entry["fill_value"], dtype):
            errors.append(f"{name}: fill_value {z.fill_value!r} != {entry['fill_value']!r}")
        attrs = dict(z.attrs)
        if "_FillValue" in attrs:
            errors.append(f"{name}: _FillValue duplicated in .zattrs")
        if attrs != entry["attrs"]:
            errors.append(f"{name}: attrs {attrs!r} != {entry['attrs']!r}")
        comp = z.compressor.get_config() if z.compressor is not None else None
        if comp != entry["compressor"]:
            errors.append(f"{name}: compressor {comp!r} != {entry['compressor']!r}")
        try:
            actual = z[...]
        except Exception as exc:  # noqa: BLE001 - report any decode failure
            errors.append(f"{name}: read failed: {exc!r}")
            continue
        expected = expected_values(entry, base)
        if dtype.kind == "f":
            equal = np.array_equal(actual, expected, equal_nan=True)
        else:
            equal = np.array_equal(actual, expected)
        if not equal:
            errors.append(f"{name}: values differ: {actual.ravel()[:8]!r} vs {expected.ravel()[:8]!r}")
        checked += 1

    import xarray as xr

    ds = xr.open_zarr(
        archive, consolidated=True, mask_and_scale=False, decode_times=False, concat_characters=False
    )
    for entry in manifest["arrays"]:
        name = entry["path"]
        if name not in ds.variables:
            errors.append(f"xarray: {name} missing")
            continue
        var = ds.variables[name]
        if list(var.dims) != entry["dims"]:
            errors.append(f"xarray: {name} dims {var.dims} != {entry['dims']}")
    masked = xr.open_zarr(archive, consolidated=True, decode_times=False)
    for entry in manifest["arrays"]:
        if entry["fill_value"] is not None or entry["dtype"] in ("string", "char"):
            continue
        # No fill value: xarray must not mask anything (it does apply scale_factor).
        values = masked[entry["path"]].values
        expected = expected_values(entry, base).astype("f8") * entry["attrs"].get("scale_factor", 1)
        if not np.allclose(values, expected, rtol=1e-6, atol=0, equal_nan=True):
            errors.append(f"xarray: {entry['path']} values changed by decoding")
    return errors, checked


SHUFFLES = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}


def frames(directory):
    errors = []
    checked = 0
    blosc.set_nthreads(1)
    for path in sorted(glob.glob(os.path.join(directory, "ts-*.blosc"))):
        with open(path, "rb") as f:
            frame = f.read()
        with open(path[: -len(".blosc")] + ".src", "rb") as f:
            src = f.read()
        try:
            out = blosc.decompress(frame)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{os.path.basename(path)}: c-blosc failed: {exc!r}")
            continue
        if out != src:
            errors.append(f"{os.path.basename(path)}: c-blosc decoded different bytes")
        checked += 1
    rng = np.random.default_rng(7)
    for cname in ("blosclz", "lz4", "lz4hc", "zlib", "zstd"):
        for shuffle, code in SHUFFLES.items():
            for dtype in ("u1", "<i2", "<f4", "<f8"):
                for n in (50, 5003, 40000):
                    x = np.linspace(0, 40, n)
                    if dtype == "u1":
                        arr = (np.sin(x) * 100 + 120).astype("u1")
                    elif dtype == "<i2":
                        arr = (np.sin(x) * 3000 + rng.integers(0, 5, n)).astype("<i2")
                    else:
                        arr = (np.sin(x) * 20 + rng.normal(0, 0.01, n)).astype(dtype)
                    frame = blosc.compress(arr, cname.encode(), 5, code, 0)
                    stem = os.path.join(directory, f"py-{cname}-{shuffle}-{dtype.strip('<|')}-{n}")
                    with open(stem + ".blosc", "wb") as f:
                        f.write(frame)
                    with open(stem + ".src", "wb") as f:
                        f.write(arr.tobytes())
    return errors, checked


def main():
    mode = sys.argv[1]
    if mode == "check":
        errors, checked = check(sys.argv[2], sys.argv[3])
    elif mode == "frames":
        errors, checked = frames(sys.argv[2])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps({"ok": not errors, "errors": errors, "checked": checked, "zarr": zarr.__version__, "numcodecs": numcodecs.__version__}))
    sys.exit(0 if not errors else 1)


if __name__ == "__main__":
    main()
