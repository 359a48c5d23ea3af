#!/usr/bin/python3
"""What a Zarr v2 archive says about itself, as seen by its readers.

    zarr_v2_info.py ARCHIVE.zarr

Prints one JSON object, read from the consolidated metadata (.zmetadata),
which is what xarray.open_zarr(consolidated=True) uses:

    {"zarr_consolidated_format": 1,
     "keys": [".zattrs", ".zgroup", "t2m/.zarray", ...],
     "attrs": {...},                       # root group attributes
     "arrays": {"t2m": {"shape": [..], "chunks": [..], "dtype": "<f4",
                        "compressor": {...}|null, "filters": [...]|null,
                        "fill_value": ..., "order": "C",
                        "dimension_separator": "."|"/"|null,
                        "dims": [..]|null,          # _ARRAY_DIMENSIONS
                        "attrs": {...},             # without _ARRAY_DIMENSIONS
                        "chunks_on_disk": int}}}    # chunk files present

Exit 1 with a message on stderr when there is no .zmetadata.
"""

import json
import os
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: zarr_v2_info.py ARCHIVE.zarr", file=sys.stderr)
        return 2
    print(json.dumps(info(argv[0])))
    return 0


def info(archive: str) -> dict:
    path = os.path.join(archive, ".zmetadata")
    if not os.path.exists(path):
        print(f"{archive}: no consolidated metadata (.zmetadata)", file=sys.stderr)
        sys.exit(1)
    with open(path) as f:
        zmeta = json.load(f)
    meta = zmeta.get("metadata", {})
    arrays = {}
    for key, value in meta.items():
        if not key.endswith(".zarray"):
            continue
        name = key[: -len("/.zarray")] if "/" in key else ""
        attrs = dict(meta.get(f"{name}/.zattrs" if name else ".zattrs", {}))
        dims = attrs.pop("_ARRAY_DIMENSIONS", None)
        arrays[name] = {
            "shape": value.get("shape"),
            "chunks": value.get("chunks"),
            "dtype": value.get("dtype"),
            "compressor": value.get("compressor"),
            "filters": value.get("filters"),
            "fill_value": value.get("fill_value"),
            "order": value.get("order"),
            "dimension_separator": value.get("dimension_separator"),
            "dims": dims,
            "attrs": attrs,
            "chunks_on_disk": count_chunks(os.path.join(archive, name), value),
        }
    return {
        "zarr_consolidated_format": zmeta.get("zarr_consolidated_format"),
        "keys": sorted(meta),
        "attrs": meta.get(".zattrs", {}),
        "arrays": arrays,
    }


def count_chunks(array_dir: str, zarray: dict) -> int:
    # Chunk keys are "i.j.k" (or nested i/j/k with dimension_separator "/");
    # a 0-d array's single chunk is "0".
    if not os.path.isdir(array_dir):
        return 0
    if zarray.get("dimension_separator") == "/":
        n = 0
        for dirpath, _dirs, files in os.walk(array_dir):
            n += sum(1 for f in files if not f.startswith(".") and f[0].isdigit())
        return n
    return sum(1 for f in os.listdir(array_dir) if not f.startswith(".") and f[0].isdigit())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
