#!/usr/bin/python3
"""Are two archives' data the same, as xarray reads them?

    compare_outputs.py A.zarr B.zarr

Opens both with xr.open_zarr(consolidated=True) and compares every data
variable and coordinate present in A: dims, shape, dtype and values (NaN-aware,
exact), slab by slab so multi-GB archives need little memory. Attributes are
not compared here: each archive is checked against the source NetCDF with
test/interop/compare_xarray.py, which does. Prints one JSON object
{"ok": bool, "differences": [str], "compared": [str]}; exit 0, or 2 on a crash.
"""

import json
import os
import sys
import traceback
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "interop"))
from compare_xarray import SLAB_ELEMENTS, same_dtype, unequal_mask  # noqa: E402


def main(argv: list[str]) -> int:
    warnings.simplefilter("ignore")
    try:
        result = compare(*argv)
    except Exception:  # noqa: BLE001 - contract: exit 2 with the traceback
        traceback.print_exc()
        return 2
    print(json.dumps(result, default=str))
    return 0


def compare(a_path: str, b_path: str) -> dict:
    import xarray as xr

    a = xr.open_zarr(a_path, consolidated=True)
    b = xr.open_zarr(b_path, consolidated=True)
    diffs: list[str] = []
    compared: list[str] = []
    for name in sorted(a.variables):
        if name not in b.variables:
            diffs.append(f"{name}: only in {a_path}")
            continue
        va, vb = a.variables[name], b.variables[name]
        if va.dims != vb.dims or va.shape != vb.shape:
            diffs.append(f"{name}: dims/shape {va.dims}{va.shape} vs {vb.dims}{vb.shape}")
            continue
        if not same_dtype(va.dtype, vb.dtype):
            diffs.append(f"{name}: dtype {va.dtype} vs {vb.dtype}")
            continue
        bad = count_unequal(va, vb)
        if bad:
            diffs.append(f"{name}: {bad} of {va.size} values differ")
        compared.append(name)
    return {"ok": not diffs, "differences": diffs, "compared": compared}


def count_unequal(va, vb) -> int:
    if va.ndim == 0 or va.size <= SLAB_ELEMENTS:
        slabs = [slice(None)]
    else:
        step = max(1, SLAB_ELEMENTS // (va.size // va.shape[0]))
        slabs = [slice(i, i + step) for i in range(0, va.shape[0], step)]
    bad = 0
    for sl in slabs:
        x = np.asarray((va if va.ndim == 0 else va[sl]).values)
        y = np.asarray((vb if vb.ndim == 0 else vb[sl]).values)
        mask = unequal_mask(x, y)
        bad += x.size if mask is None else int(np.count_nonzero(mask))
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
