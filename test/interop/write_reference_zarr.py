#!/usr/bin/python3
"""Write the Zarr archive xarray itself makes from a NetCDF file, optionally
perturbed, so compare_xarray.py can be shown to pass and to fail.

    write_reference_zarr.py SOURCE.nc OUT.zarr [--group G] [--zarr-format 2|3]
        [--perturb value|drop-attr|global-attr|drop-var|time-units|fill-value|stale-metadata]
        [--perturb-var NAME]

Reads the source the strongest way xarray can (the same ladder as
compare_xarray.py), writes it with Dataset.to_zarr(consolidated=True);
variables xarray cannot open (compound, named like one of their dimensions)
are copied raw with zarr-python, as a converter would. Prints one JSON object:
{"mode": str, "perturbed": {"kind": str, "variable": str|null, "detail": str}|null}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import warnings

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
from compare_xarray import MODES, nc_group, xarray_unreadable_variables  # noqa: E402

PERTURBATIONS = (
    "value",
    "drop-attr",
    "global-attr",
    "drop-var",
    "time-units",
    "fill-value",
    "stale-metadata",
)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("source")
    p.add_argument("out")
    p.add_argument("--group", default=None)
    p.add_argument("--zarr-format", type=int, choices=(2, 3), default=2)
    p.add_argument("--perturb", choices=PERTURBATIONS, default=None)
    p.add_argument("--perturb-var", default=None, help="variable to perturb (default: the largest)")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    mode = write(args.source, args.out, args.group, args.zarr_format)
    perturbed = perturb(args.out, args.perturb, args.perturb_var) if args.perturb else None
    print(json.dumps({"mode": mode, "perturbed": perturbed}, default=str))
    return 0


def write(source: str, out: str, group: str | None, zarr_format: int = 2) -> str:
    import xarray as xr
    import zarr

    raw = xarray_unreadable_variables(source, group)
    shutil.rmtree(out, ignore_errors=True)
    for mode, kwargs in MODES:
        try:
            ds = xr.open_dataset(source, group=group, drop_variables=sorted(raw) or None, **kwargs)
            ds.load()
        except Exception:  # noqa: BLE001 - try the next, weaker, decoding
            continue
        break
    else:
        raise RuntimeError(f"xarray cannot read {source} at all")
    # zarr_format is only passed for v3: Debian 12's xarray (the v2 oracle) predates the argument.
    fmt = {"zarr_format": 3} if zarr_format == 3 else {}
    ds.to_zarr(out, mode="w", consolidated=True, **fmt)
    if raw:
        import netCDF4

        root = zarr.open_group(out, mode="r+")
        with netCDF4.Dataset(source) as nc:
            g = nc_group(nc, group)
            for name in raw:
                copy_raw(g.variables[name], root, name)
        zarr.consolidate_metadata(out)
    return mode


def copy_raw(v, root, name: str) -> None:
    v.set_auto_maskandscale(False)
    data = np.asarray(v[...])
    attrs = {k: v.getncattr(k) for k in v.ncattrs()}
    fill = attrs.pop("_FillValue", None)
    dtype = data.dtype
    if dtype.names:
        # zarr v2 stores structured types packed; drop netCDF's C alignment.
        dtype = np.dtype([(n, dtype.fields[n][0]) for n in dtype.names])
        data = data.astype(dtype)
        # zarr 2.13 accepts a structured fill value only as raw bytes.
        fill = None if fill is None else np.asarray(fill).astype(dtype).tobytes()
    if v3(root):
        arr = root.create_array(
            name, data=data, fill_value=fill, overwrite=True, dimension_names=list(v.dimensions)
        )
        arr.attrs.update({k: to_json(x) for k, x in attrs.items()})
        if fill is not None:
            # xarray reads a v3 _FillValue from the attribute, in its own encoding.
            from xarray.backends.zarr import FillValueCoder

            arr.attrs["_FillValue"] = FillValueCoder.encode(fill, data.dtype)
        return
    arr = root.create_dataset(name, data=data, dtype=dtype, fill_value=fill, overwrite=True)
    arr.attrs.update({k: to_json(x) for k, x in attrs.items()})
    arr.attrs["_ARRAY_DIMENSIONS"] = list(v.dimensions)


def to_json(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


def v3(root) -> bool:
    return getattr(getattr(root, "metadata", None), "zarr_format", 2) == 3


def read_json(path: str):
    with open(path) as f:
        return json.load(f)


def write_json(path: str, doc) -> None:
    with open(path, "w") as f:
        json.dump(doc, f)


def changed_fill_v3(dtype: np.dtype, old):
    """Another fill in xarray's v3 encoding (FillValueCoder): base64 float64 for floats."""
    import base64
    import struct

    if dtype.kind == "f":
        value = 0.0 if old is None or struct.unpack("<d", base64.b64decode(old))[0] != 0.0 else 1.0
        return base64.b64encode(struct.pack("<d", value)).decode()
    return 0 if old not in (0, 0.0) else 1


def array_dims(arr) -> list[str]:
    if v3(arr):
        return list(arr.metadata.dimension_names or [])
    return list(arr.attrs.get("_ARRAY_DIMENSIONS", []))


def data_arrays(root) -> list[str]:
    """Non-coordinate arrays with at least one element, largest first."""
    dims = set()
    for name in root.array_keys():
        dims.update(array_dims(root[name]))
    names = [n for n in root.array_keys() if n not in dims and root[n].size > 0]
    return sorted(names, key=lambda n: -root[n].size) or [n for n in root.array_keys() if root[n].size]


def perturb(out: str, kind: str, var: str | None) -> dict:
    import zarr

    root = zarr.open_group(out, mode="r+")
    names = [var] if var else data_arrays(root)
    detail: str
    name: str | None = names[0] if names else None
    if kind == "value":
        arr = root[name]
        idx = (0,) * arr.ndim
        old = arr[idx]
        arr[idx] = changed(old, arr.dtype)
        detail = f"{name}{list(idx)}: {old!r} -> {arr[idx]!r}"
    elif kind == "drop-attr":
        name = next(
            (n for n in names if any(k != "_ARRAY_DIMENSIONS" for k in root[n].attrs)), None
        )
        if name is None:
            raise RuntimeError("no variable with attributes to drop")
        key = sorted(k for k in root[name].attrs if k != "_ARRAY_DIMENSIONS")[0]
        del root[name].attrs[key]
        detail = f"{name}: deleted attribute {key}"
    elif kind == "global-attr":
        name = None
        keys = sorted(root.attrs)
        if keys:
            key = keys[0]
            root.attrs[key] = f"{root.attrs[key]!r} (perturbed)"
        else:
            key = "perturbed"
            root.attrs[key] = "yes"
        detail = f"global attribute {key} changed"
    elif kind == "drop-var":
        del root[name]
        detail = f"{name}: deleted"
    elif kind == "time-units":
        name = next(
            (n for n in root.array_keys() if " since " in str(root[n].attrs.get("units", ""))),
            None,
        )
        if name is None:
            raise RuntimeError("no variable with time units")
        units = root[name].attrs["units"]
        unit, _, ref = units.partition(" since ")
        new = f"{unit} since 1901-01-01" if not ref.startswith("1901") else f"{unit} since 1902-01-01"
        root[name].attrs["units"] = new
        detail = f"{name}: units {units!r} -> {new!r}"
    elif kind == "fill-value":
        name = next((n for n in names if root[n].dtype.kind in "fiu"), None)
        if name is None:
            raise RuntimeError("no numeric variable")
        # Where xarray reads the fill: .zarray's fill_value (v2), the _FillValue attribute (v3).
        if v3(root):
            meta_path = os.path.join(out, name, "zarr.json")
            meta = read_json(meta_path)
            attrs = meta["attributes"]
            old = attrs.get("_FillValue")
            attrs["_FillValue"] = changed_fill_v3(root[name].dtype, old)
            write_json(meta_path, meta)
            detail = f"{name}: _FillValue {old!r} -> {attrs['_FillValue']!r}"
        else:
            meta_path = os.path.join(out, name, ".zarray")
            meta = read_json(meta_path)
            old = meta["fill_value"]
            meta["fill_value"] = 0 if old not in (0, 0.0) else 1
            write_json(meta_path, meta)
            detail = f"{name}: fill_value {old!r} -> {meta['fill_value']!r}"
    elif kind == "stale-metadata":
        # Change an attribute file behind .zmetadata's back: readers that use
        # consolidated metadata would never see it.
        if v3(root):
            attrs_key = f"{name}/zarr.json"
            meta = read_json(os.path.join(out, attrs_key))
            meta["attributes"]["perturbed"] = "not in the consolidated metadata"
            write_json(os.path.join(out, attrs_key), meta)
        else:
            attrs_key = f"{name}/.zattrs"
            attrs = read_json(os.path.join(out, attrs_key))
            attrs["perturbed"] = "not in .zmetadata"
            write_json(os.path.join(out, attrs_key), attrs)
        return {"kind": kind, "variable": name, "detail": f"{attrs_key} edited, not reconsolidated"}
    else:
        raise ValueError(kind)
    zarr.consolidate_metadata(out)
    return {"kind": kind, "variable": name, "detail": detail}


def changed(old, dtype: np.dtype):
    if dtype.kind == "f":
        return 12345.5 if old != 12345.5 else -1.0
    if dtype.kind in "iu":
        return 7 if old != 7 else 8
    if dtype.kind == "b":
        return not old
    if dtype.kind in "SUO":
        return "perturbed" if old != "perturbed" else "other"
    if dtype.names:
        new = np.array(old, dtype=dtype)
        first = dtype.names[0]
        new[first] = changed(new[first][()], dtype.fields[first][0])
        return new
    raise RuntimeError(f"cannot perturb dtype {dtype}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
