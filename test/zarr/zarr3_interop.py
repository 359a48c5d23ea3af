"""Interop oracle for Zarr v3 in test/zarr/interop.test.ts, run with the sid chroot's python3
(today's zarr-python 3 and xarray; scripts/sid-chroot.sh).

  check ARCHIVE MANIFEST   open ARCHIVE with zarr.open_consolidated and compare every array of
                           MANIFEST (dtype, shape, chunks, fill_value, attributes, values); then
                           open it with xarray.open_zarr and compare dimensions, the decoded
                           _FillValue, and that arrays without one are not masked.

Prints one JSON object {"ok": bool, "errors": [...], "checked": n} and exits 0 when ok.
"""

import base64
import json
import math
import os
import sys
import warnings

import numpy as np
import zarr


def canonical(v) -> str:
    # json.dumps writes NaN as NaN on both sides, so NaN attributes compare equal.
    return json.dumps(v, sort_keys=True)


def expected_values(entry, base):
    shape = tuple(entry["shape"])
    path = os.path.join(base, entry["data"])
    if entry["data"].endswith(".json"):
        with open(path, encoding="utf-8") as f:
            items = json.load(f)
        if entry["numpy_dtype"].startswith("<U"):
            return np.array(items, dtype=entry["numpy_dtype"]).reshape(shape)
        arr = np.empty(len(items), dtype=object)
        arr[:] = items
        return arr.reshape(shape)
    with open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=entry["numpy_dtype"]).reshape(shape)


def same_fill(actual, expected, dtype) -> bool:
    if dtype.kind == "f":
        if expected in ("NaN", "Infinity", "-Infinity"):
            expected = float(expected.replace("Infinity", "inf"))
        return (math.isnan(actual) and math.isnan(expected)) or float(actual) == float(expected)
    if dtype.kind == "S":
        return bytes(actual) == base64.b64decode(expected)
    if dtype.kind in "UOT":
        return str(actual) == expected
    return int(actual) == int(expected)


def check(archive, manifest_path):
    errors = []
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    base = os.path.dirname(manifest_path)
    g = zarr.open_consolidated(archive, mode="r")
    if canonical(dict(g.attrs)) != canonical(manifest["root_attrs"]):
        errors.append(f"root attrs {dict(g.attrs)!r} != {manifest['root_attrs']!r}")
    checked = 0
    for entry in manifest["arrays"]:
        name = entry["path"]
        try:
            z = g[name]
        except KeyError:
            errors.append(f"{name}: missing from consolidated metadata")
            continue
        vlen = entry["numpy_dtype"] == "|O"
        dtype = np.dtype(object) if vlen else np.dtype(entry["numpy_dtype"])
        if not (vlen and z.dtype.kind in "OT") and z.dtype != dtype:
            errors.append(f"{name}: dtype {z.dtype} != {dtype}")
        if list(z.shape) != entry["shape"]:
            errors.append(f"{name}: shape {z.shape} != {entry['shape']}")
        if list(z.chunks) != entry["chunks"]:
            errors.append(f"{name}: chunks {z.chunks} != {entry['chunks']}")
        shards = list(z.shards) if z.shards is not None else None
        if shards != entry.get("shards"):
            errors.append(f"{name}: shards {shards} != {entry.get('shards')}")
        if list(z.metadata.dimension_names or []) != entry["dims"]:
            errors.append(f"{name}: dimension_names {z.metadata.dimension_names} != {entry['dims']}")
        if not same_fill(z.fill_value, entry["fill_value"], dtype):
            errors.append(f"{name}: fill_value {z.fill_value!r} != {entry['fill_value']!r}")
        attrs = dict(z.attrs)
        attrs.pop("_FillValue", None)  # checked through xarray below
        if canonical(attrs) != canonical(entry["attrs"]):
            errors.append(f"{name}: attrs {attrs!r} != {entry['attrs']!r}")
        try:
            actual = z[...]
        except Exception as exc:  # noqa: BLE001 - report any decode failure
            errors.append(f"{name}: read failed: {exc!r}")
            continue
        expected = expected_values(entry, base)
        if dtype.kind == "f":
            equal = np.array_equal(actual, expected, equal_nan=True)
        elif vlen:
            equal = [str(x) for x in np.ravel(actual)] == [str(x) for x in np.ravel(expected)]
        else:
            equal = np.array_equal(actual, expected)
        if not equal:
            errors.append(f"{name}: values differ: {np.ravel(actual)[:4]!r} vs {np.ravel(expected)[:4]!r}")
        checked += 1

    import xarray as xr

    raw = xr.open_zarr(
        archive, consolidated=True, mask_and_scale=False, decode_times=False, concat_characters=False
    )
    decoded = xr.open_zarr(archive, consolidated=True, decode_times=False)
    for entry in manifest["arrays"]:
        name = entry["path"]
        if name not in raw.variables:
            errors.append(f"xarray: {name} missing")
            continue
        if list(raw.variables[name].dims) != entry["dims"]:
            errors.append(f"xarray: {name} dims {raw.variables[name].dims} != {entry['dims']}")
        fill = decoded.variables[name].encoding.get("_FillValue")
        want = entry["xarray_fill"]
        if want is None:
            if fill is not None and not (isinstance(fill, float) and math.isnan(fill) and entry["numpy_dtype"][1] == "f"):
                errors.append(f"xarray: {name} has _FillValue {fill!r}, expected none")
            if entry["numpy_dtype"][1] in "iu":
                values = decoded[name].values
                scale = entry["attrs"].get("scale_factor", 1)
                if not np.allclose(values, expected_values(entry, base).astype("f8") * scale, rtol=1e-6, atol=0):
                    errors.append(f"xarray: {name} values changed by decoding")
        elif fill is None or not same_fill(fill, want, np.dtype(entry["numpy_dtype"]) if entry["numpy_dtype"] != "|O" else np.dtype(object)):
            errors.append(f"xarray: {name} _FillValue {fill!r} != {want!r}")
    return errors, checked


def main():
    warnings.simplefilter("ignore")
    if sys.argv[1] != "check":
        raise SystemExit(f"unknown mode {sys.argv[1]}")
    errors, checked = check(sys.argv[2], sys.argv[3])
    print(json.dumps({"ok": not errors, "errors": errors, "checked": checked, "zarr": zarr.__version__}))
    sys.exit(0 if not errors else 1)


if __name__ == "__main__":
    main()
