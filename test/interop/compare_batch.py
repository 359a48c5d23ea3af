"""compare_xarray.py over many (sources, archive) pairs in one interpreter: importing xarray
and zarr once instead of once per archive is what makes a whole-corpus pass affordable.

  compare_batch.py JOBS.json     JOBS: [{"name": ..., "argv": [compare_xarray.py's arguments]}]

Prints one JSON list of {"name", "result"} (a compare_xarray.py result, or {"error": traceback})
and exits 0.
"""

import json
import os
import sys
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_xarray  # noqa: E402


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        jobs = json.load(f)
    warnings.simplefilter("ignore")
    out = []
    for job in jobs:
        try:
            result = compare_xarray.compare(compare_xarray.parse_args(job["argv"]))
        except Exception:  # noqa: BLE001 - reported per job, the others still run
            result = {"ok": False, "error": traceback.format_exc(), "differences": ["exception"]}
        out.append({"name": job["name"], "result": result})
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
