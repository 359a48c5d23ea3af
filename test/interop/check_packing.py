#!/usr/bin/python3
"""How close does xarray's decoding of a packed Zarr v2 variable come to the source?

    check_packing.py SOURCE.nc ARCHIVE.zarr VAR

Prints one JSON object: the packed dtype and CF attributes xarray found, the largest error of
xr.open_zarr's decoded values against xr.open_dataset's source values ("decoded_max_error", in
the decoded dtype xarray chose), the largest error of packed*scale+offset computed in float64
("float64_max_error"), the scale, how many NaN differ, and the float32 spacing at the largest
magnitude (xarray 2023.01 decodes int8/int16 through float32, which adds that rounding).
"""
import json
import sys

import numpy as np
import xarray as xr


def main():
    source, archive, var = sys.argv[1:4]
    src = xr.open_dataset(source)[var].values.astype("f8")
    dec = xr.open_zarr(archive)[var]
    raw = xr.open_zarr(archive, mask_and_scale=False)[var]
    enc = dec.encoding
    scale = float(enc.get("scale_factor", 1.0))
    offset = float(enc.get("add_offset", 0.0))
    fill = raw.attrs.get("_FillValue")
    packed = raw.values
    f64 = packed.astype("f8") * scale + offset
    if fill is not None:
        f64[packed == fill] = np.nan
    decoded = dec.values.astype("f8")
    both = ~np.isnan(src) & ~np.isnan(decoded)
    out = {
        "dtype": str(enc.get("dtype")),
        "decoded_dtype": str(dec.dtype),
        "scale_factor": scale,
        "add_offset": offset,
        "fill_value": None if fill is None else int(fill),
        "nan_mismatch": int((np.isnan(src) != np.isnan(decoded)).sum()),
        "decoded_max_error": float(np.max(np.abs(src[both] - decoded[both]), initial=0)),
        "float64_max_error": float(np.nanmax(np.abs(src - f64), initial=0)),
        "float32_spacing": float(np.spacing(np.float32(np.nanmax(np.abs(src), initial=0)))),
        "packed_min": int(packed[packed != fill].min()) if packed.size else None,
        "packed_max": int(packed[packed != fill].max()) if packed.size else None,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
