"""t2m of a zarrify archive as xarray decodes it, as JSON (null for NaN): the Python stack's
reading, for the model tests' fixed cases (Debian 12's xarray for Zarr v2, sid's for v3)."""
import json
import math
import sys
import warnings

import xarray as xr

warnings.simplefilter("ignore")
ds = xr.open_zarr(sys.argv[1])
values = ds["t2m"].values.astype("float64").ravel().tolist()
print(json.dumps({
    "t2m": [None if math.isnan(v) else v for v in values],
    "time": [str(t)[:10] for t in ds["time"].values],
}))
