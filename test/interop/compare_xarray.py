#!/usr/bin/python3
"""Does a Zarr archive open in xarray exactly like the NetCDF file it came from?

Zarr v2 is checked with Debian 12's stack (/usr/bin/python3: xarray 2023.01, zarr 2.13), Zarr v3
with today's (the sid chroot: xarray 2026, zarr-python 3; scripts/sid-chroot.sh run python3 ...).
The format is read off the archive (a root zarr.json means v3).

    compare_xarray.py SOURCE.nc [MORE.nc ...] ARCHIVE.zarr [--group G] [--archive-group G]
        [--variables a,b] [--drop-variables c] [--ignore-attrs x,y]
        [--concat-dim time] [--raw]

Prints ONE JSON object on stdout and exits 0; exit 2 only when this script
itself crashes (traceback on stderr):

    {"ok": bool,                 # no differences
     "mode": str,                # how the xarray-readable part was compared
     "decode_times": bool,       # were times compared decoded?
     "differences": [str],
     "skipped": [str],           # "name: reason" for what could not be compared at all
     "compared": [str],          # variables compared through xarray
     "raw_compared": [str],      # variables compared netCDF4-raw vs zarr-raw
     "notes": [str]}             # tolerated differences, fallbacks taken

Strength ladder, strongest first (the source decides; the archive must then
open the same way, or that is itself a difference):
  1. xarray, default decoding;
  2. xarray, decode_times=False (year 0, 'months since', bad calendars, ...);
  3. xarray, decode_cf=False (raw values and raw CF attributes);
  4. netCDF4 raw vs zarr raw for every variable.
Variables xarray 2023.01 can never open (a multi-dimensional variable named
like one of its dimensions -> MissingDimensionsError; compound types) are
dropped from the xarray comparison up front and compared raw (4) instead, so
one such variable does not weaken the comparison of all the others.

Everything else must match: data variables vs coordinates, dims and sizes,
decoded dtypes, values (exact; NaN == NaN, NaT == NaT), variable and global
attributes, and the semantic encoding (dtype on disk, _FillValue,
missing_value, scale_factor, add_offset, units, calendar, _Unsigned). Also
.zmetadata must agree with every .zarray/.zattrs/.zgroup on disk.

Tolerated, each because it changes nothing a user of the decoded data sees
(found by round-tripping the whole real corpus through xarray's own to_zarr,
see write_reference_zarr.py; each is also commented where it is applied):
  * byte order of dtypes (netCDF-4 may be big-endian; values are compared);
  * vlen strings reported as `str` by netCDF4 and `object` by zarr;
  * encoding dtype S1 (NetCDF char array) vs |Sn (fixed-width bytes) when the
    decoded dtype is the same -- xarray's own writer does this;
  * _FillValue=NaN on one side only, for float data on disk -- xarray adds it
    to every float variable; a NaN fill masks nothing that is not NaN;
  * time units spelled differently with the same unit and the same reference
    instant ("days since 1970-01-01 00:00:00" vs "days since 1970-01-01");
  * calendar absent vs "standard" vs "gregorian" (CF defaults/aliases), and
    vs "proleptic_gregorian" when both sides decode to datetime64;
  * numeric attributes compared by value and kind (int/float/str/bool), not by
    width: Zarr v2 attributes are JSON; one-element arrays equal scalars;
  * trailing NUL bytes in byte strings (numpy fixed-width padding);
  * netCDF-C bookkeeping (_NCProperties, _Netcdf4Dimid, ...). Other
    attributes starting with "_NC" (any case; a user's _NCPROPERTIES) are
    hidden by xarray's zarr reader, so they are compared against the raw
    Zarr attributes instead: they must be there, equal;
  * compound types compared by field names and types, not C padding (raw).
Zarr v3 only, each shown by xarray's own to_zarr(zarr_format=3) round trip of the corpus too:
  * float32 scale_factor/add_offset read back as float64 (JSON has no float32), so xarray
    unpacks to float64 where the source unpacks to float32; values must agree to 2 float32 ulps;
  * a _FillValue on NetCDF char data is absent (xarray's v3 reader cannot decode one on bytes and
    fails to open the archive at all); the bytes must equal the source's, its masked elements the
    fill bytes.
Not tolerated, although xarray's own to_zarr does them (so its output of
these real files is *not* ok): missing_value -999.0 written as -999 (int vs
float kind), _Unsigned="false" dropped, a NaN _FillValue on int16 data
written as 0 (xarray-data_eraint_uvz.nc: decodes to float32, not float64),
char dimensions collapsed differently (tidync_argo_*).

With several SOURCE files they are combined the way a Python user would:
xr.open_mfdataset(combine="nested", concat_dim=--concat-dim,
data_vars="minimal", coords="minimal", compat="override") in the order given.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import traceback
import warnings

import numpy as np

# Elements per slab when comparing values: bounded memory for multi-GB archives.
SLAB_ELEMENTS = 16 * 1024 * 1024

# encoding keys that change what a user sees after decoding; storage-only keys
# (chunks, compressor, zlib, shuffle, contiguous, source, preferred_chunks, ...)
# legitimately differ between NetCDF and Zarr and are not compared.
SEMANTIC_ENCODING_KEYS = (
    "dtype",
    "_FillValue",
    "missing_value",
    "scale_factor",
    "add_offset",
    "units",
    "calendar",
    "_Unsigned",
)

# Attributes that are ignored everywhere, each because xarray / zarr-python
# change it on their own on a NetCDF -> Zarr round trip (established by
# test/interop/write_reference_zarr.py over the whole real corpus), not because
# a converter could get it wrong:
IGNORED_ATTRS = {
    # xarray's zarr backend stores dimension names here and hides it on read;
    # only visible in the raw (netCDF4 vs zarr) comparison.
    "_ARRAY_DIMENSIONS",
    # netCDF-C bookkeeping, hidden by netCDF4-python on the source side and
    # meaningless in Zarr.
    "_NCProperties",
    "_Netcdf4Coordinates",
    "_Netcdf4Dimid",
    "_nc3_strict",
}
# xarray's zarr reader hides every attribute starting with "_NC" (NCZarr
# bookkeeping; backends/zarr.py get_attrs; 2026 xarray in any case, "_nc"
# too), so such a user attribute (_NCPROPERTIES in test_gold.nc) is checked
# in the raw Zarr attributes (compare_hidden_attrs), not through xarray.
HIDDEN_ATTR_PREFIX = "_nc"


def hidden_by_xarray(key: str) -> bool:
    return key.lower().startswith(HIDDEN_ATTR_PREFIX)


# Set by compare(): the archive's Zarr format (3 allows the packed-float widening below).
ARCHIVE_FORMAT = 2


class SourceUnreadable(Exception):
    """The source cannot be read at the current strength; try a weaker one."""


def main(argv: list[str], parse=None, run=None) -> int:
    """The contract of this script and of compare_datatree.py, which passes its own parse/run:
    one JSON object on stdout and exit 0, or exit 2 with a traceback."""
    args = (parse or parse_args)(argv)
    try:
        warnings.simplefilter("ignore")
        result = (run or compare)(args)
    except Exception:  # noqa: BLE001 - the contract is exit 2 + traceback
        traceback.print_exc()
        return 2
    print(json.dumps(result, default=str))
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("paths", nargs="+", help="SOURCE.nc [MORE.nc ...] ARCHIVE.zarr")
    p.add_argument("--group", default=None, help="NetCDF group the archive was made from")
    p.add_argument(
        "--archive-group",
        default=None,
        help="Zarr group of the archive to compare (a group tree converted whole: 'a/b')",
    )
    p.add_argument("--variables", default=None, help="compare only these (comma-separated)")
    p.add_argument("--drop-variables", default=None, help="ignore these (comma-separated)")
    p.add_argument("--ignore-attrs", default=None, help="attribute names to ignore (comma-separated)")
    p.add_argument("--concat-dim", default="time", help="dimension joining several sources")
    p.add_argument(
        "--raw",
        action="store_true",
        help="also compare every variable's stored values and attributes\n"
        "netCDF4-raw vs zarr-raw (for converters that keep NetCDF's layout)",
    )
    args = p.parse_args(argv)
    if len(args.paths) < 2:
        p.error("need SOURCE and ARCHIVE")
    args.sources = args.paths[:-1]
    args.archive = args.paths[-1]
    args.variables = split_list(args.variables)
    args.drop_variables = split_list(args.drop_variables) or []
    args.ignore_attrs = set(split_list(args.ignore_attrs) or []) | IGNORED_ATTRS
    return args


def split_list(s: str | None) -> list[str] | None:
    if s is None:
        return None
    return [x.strip() for x in s.split(",") if x.strip()]


# --------------------------------------------------------------------------
# orchestration


MODES = [
    ("xarray", {}),
    ("xarray decode_times=False", {"decode_times": False}),
    ("xarray decode_cf=False", {"decode_cf": False}),
]


def compare(args: argparse.Namespace) -> dict:
    for src in args.sources:
        if not os.path.exists(src):
            raise FileNotFoundError(src)
    result = {
        "ok": False,
        "mode": None,
        "decode_times": False,
        "differences": [],
        "skipped": [],
        "compared": [],
        "raw_compared": [],
        "notes": [],
    }
    if not os.path.exists(args.archive):
        result["differences"].append(f"archive {args.archive} does not exist")
        return result
    global ARCHIVE_FORMAT
    ARCHIVE_FORMAT = archive_format(args.archive)
    check_consolidated(args.archive, result["differences"])

    raw_only = xarray_unreadable_variables(args.sources[0], args.group)
    raw_only = {k: v for k, v in raw_only.items() if selected(k, args)}
    failures = []
    for mode, kwargs in MODES:
        attempt = fresh_result()
        try:
            compare_with_xarray(args, kwargs, sorted(raw_only), attempt)
        except SourceUnreadable as e:
            failures.append(f"{mode}: {e}")
            continue
        result["mode"] = mode
        result["decode_times"] = kwargs.get("decode_times", True) and kwargs.get("decode_cf", True)
        merge(result, attempt)
        break
    else:
        # Nothing xarray can do with the source: every variable goes raw.
        result["mode"] = "netCDF4 raw vs zarr raw"
        raw_only = None
    result["notes"].extend(f"source not readable with {f}" for f in failures)

    if raw_only is None or raw_only:
        if len(args.sources) > 1:
            result["skipped"].extend(
                f"{name}: raw comparison of a multi-file source is not supported"
                for name in (raw_only or ["(all variables)"])
            )
        else:
            for name, why in (raw_only or {}).items():
                result["notes"].append(f"{name}: compared raw because {why}")
            compare_raw(args, None if raw_only is None else sorted(raw_only), result)

    if args.raw and raw_only is not None:
        if len(args.sources) > 1:
            result["skipped"].append("--raw: not supported with several sources")
        else:
            compare_raw(args, None, result)

    result["ok"] = not result["differences"]
    return result


def fresh_result() -> dict:
    return {"differences": [], "skipped": [], "compared": [], "raw_compared": [], "notes": []}


def merge(into: dict, part: dict) -> None:
    for k in ("differences", "skipped", "compared", "raw_compared", "notes"):
        into[k].extend(part[k])


def selected(name: str, args: argparse.Namespace) -> bool:
    if name in args.drop_variables:
        return False
    return args.variables is None or name in args.variables


def archive_format(archive: str) -> int:
    return 3 if os.path.exists(os.path.join(archive, "zarr.json")) else 2


def check_consolidated(archive: str, diffs: list[str]) -> None:
    """xarray reads consolidated metadata only, so a stale copy would hide the real metadata."""
    if archive_format(archive) == 3:
        check_consolidated_v3(archive, diffs)
        return
    zmeta_path = os.path.join(archive, ".zmetadata")
    if not os.path.exists(zmeta_path):
        diffs.append("archive has no consolidated metadata (.zmetadata)")
        return
    with open(zmeta_path) as f:
        zmeta = json.load(f)
    entries = zmeta.get("metadata", {})
    if zmeta.get("zarr_consolidated_format") != 1:
        diffs.append(".zmetadata: zarr_consolidated_format is not 1")
    for key, value in entries.items():
        path = os.path.join(archive, key)
        if not os.path.exists(path):
            diffs.append(f".zmetadata lists {key} but the file does not exist")
            continue
        with open(path) as f:
            on_disk = json.load(f)
        # Canonical text, not ==: two parsed NaNs never compare equal.
        if canonical_json(on_disk) != canonical_json(value):
            diffs.append(f".zmetadata entry {key} differs from the file on disk")
    for dirpath, _dirs, files in os.walk(archive):
        for name in files:
            if name in (".zarray", ".zattrs", ".zgroup"):
                key = os.path.relpath(os.path.join(dirpath, name), archive).replace(os.sep, "/")
                if key not in entries:
                    diffs.append(f"{key} exists but is missing from .zmetadata")


def check_consolidated_v3(archive: str, diffs: list[str]) -> None:
    """Zarr v3 (zarr-python 3): the root zarr.json holds every node's document inline."""
    with open(os.path.join(archive, "zarr.json")) as f:
        root = json.load(f)
    cm = root.get("consolidated_metadata")
    if not isinstance(cm, dict) or not isinstance(cm.get("metadata"), dict):
        diffs.append("archive has no consolidated metadata (root zarr.json consolidated_metadata)")
        return
    if cm.get("kind") != "inline":
        diffs.append(f"zarr.json: consolidated_metadata kind is {cm.get('kind')!r}, not 'inline'")
    entries = cm["metadata"]
    for key, value in entries.items():
        path = os.path.join(archive, key, "zarr.json")
        if not os.path.exists(path):
            diffs.append(f"consolidated metadata lists {key} but {key}/zarr.json does not exist")
            continue
        with open(path) as f:
            on_disk = json.load(f)
        on_disk.pop("consolidated_metadata", None)
        value = {k: v for k, v in value.items() if k != "consolidated_metadata"}
        if canonical_json(on_disk) != canonical_json(value):
            diffs.append(f"consolidated metadata entry {key} differs from {key}/zarr.json")
    for dirpath, _dirs, files in os.walk(archive):
        if "zarr.json" in files and os.path.abspath(dirpath) != os.path.abspath(archive):
            key = os.path.relpath(dirpath, archive).replace(os.sep, "/")
            if key not in entries:
                diffs.append(f"{key}/zarr.json exists but is missing from the consolidated metadata")


def canonical_json(v) -> str:
    return json.dumps(v, sort_keys=True)


# --------------------------------------------------------------------------
# opening


def xarray_unreadable_variables(source: str, group: str | None) -> dict[str, str]:
    """Variables xarray 2023.01 refuses whatever the decoding options."""
    import netCDF4

    out: dict[str, str] = {}
    try:
        with netCDF4.Dataset(source) as nc:
            g = nc_group(nc, group)
            for name, v in g.variables.items():
                if name in v.dimensions and v.ndim != 1:
                    out[name] = (
                        "it has more than one dimension and the name of one of them "
                        "(xarray MissingDimensionsError)"
                    )
                elif isinstance(v.datatype, netCDF4.CompoundType):
                    out[name] = "it has a compound type, which xarray cannot decode"
                elif isinstance(v.datatype, netCDF4.VLType) and v.dtype is not str:
                    out[name] = "it has a non-string vlen type, which xarray cannot decode"
    except OSError:
        pass  # not netCDF4-readable: the xarray ladder will say why
    return out


def nc_group(nc, group: str | None):
    g = nc
    for part in (group or "").strip("/").split("/"):
        if part:
            g = g.groups[part]
    return g


def open_source(args: argparse.Namespace, kwargs: dict, drop: list[str]):
    import xarray as xr

    common = dict(kwargs, drop_variables=drop or None)
    if len(args.sources) == 1:
        return xr.open_dataset(args.sources[0], group=args.group, **common)
    return xr.open_mfdataset(
        args.sources,
        group=args.group,
        combine="nested",
        concat_dim=args.concat_dim,
        data_vars="minimal",
        coords="minimal",
        compat="override",
        combine_attrs="override",
        **common,
    )


def open_archive(args: argparse.Namespace, kwargs: dict, drop: list[str]):
    import xarray as xr

    return xr.open_zarr(
        args.archive, group=args.archive_group, consolidated=True, drop_variables=drop or None, **kwargs
    )


def archive_node(root, args):
    """The Zarr group compared: the root, or --archive-group in a converted group tree."""
    return root[args.archive_group] if args.archive_group else root


def compare_with_xarray(args, kwargs: dict, raw_only: list[str], res: dict) -> None:
    diffs = res["differences"]
    drop = sorted(set(args.drop_variables) | set(raw_only))
    try:
        src = open_source(args, kwargs, drop)
    except Exception as e:  # noqa: BLE001 - any failure means: try weaker decoding
        raise SourceUnreadable(f"{type(e).__name__}: {e}") from e
    try:
        arc = open_archive(args, kwargs, drop)
    except Exception as e:  # noqa: BLE001
        diffs.append(
            f"archive does not open with xarray.open_zarr({fmt_kwargs(kwargs)}) although the "
            f"source opens that way: {type(e).__name__}: {e}"
        )
        src.close()
        # Still report what differs, as far as a weaker reading allows.
        if kwargs.get("decode_cf") is False:
            return
        try:
            arc = open_archive(args, {"decode_cf": False}, drop)
            src = open_source(args, {"decode_cf": False}, drop)
        except Exception:  # noqa: BLE001
            return
        res["notes"].append("values compared with decode_cf=False after the archive failed to open")
    if args.variables is not None:
        src = subset(src, args.variables, "source", diffs)
        arc = subset(arc, args.variables, "archive", diffs)
    try:
        compare_datasets(src, arc, args, res)
    finally:
        src.close()
        arc.close()


def fmt_kwargs(kwargs: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in kwargs.items())


def subset(ds, names: list[str], side: str, diffs: list[str]):
    present = [n for n in names if n in ds.variables]
    for n in names:
        if n not in ds.variables:
            diffs.append(f"{n}: requested with --variables but not in the {side}")
    return ds[present]


# --------------------------------------------------------------------------
# xarray comparison


def compare_datasets(src, arc, args, res: dict) -> None:
    diffs = res["differences"]
    ignore = args.ignore_attrs
    src_data, arc_data = set(src.data_vars), set(arc.data_vars)
    src_coords, arc_coords = set(src.coords), set(arc.coords)
    for name in sorted((src_data | src_coords) - (arc_data | arc_coords)):
        diffs.append(f"{name}: in the source, missing from the archive")
    for name in sorted((arc_data | arc_coords) - (src_data | src_coords)):
        diffs.append(f"{name}: in the archive, not in the source")
    for name in sorted(src_data & arc_coords):
        diffs.append(f"{name}: a data variable in the source but a coordinate in the archive")
    for name in sorted(src_coords & arc_data):
        diffs.append(f"{name}: a coordinate in the source but a data variable in the archive")
    if dict(src.sizes) != dict(arc.sizes):
        diffs.append(f"dataset dimensions differ: source {dict(src.sizes)}, archive {dict(arc.sizes)}")

    for name in sorted(set(src.variables) & set(arc.variables)):
        compare_variable(name, src.variables[name], arc.variables[name], ignore, res)
        res["compared"].append(name)

    compare_attrs("global attributes", src.attrs, arc.attrs, ignore, diffs)
    compare_hidden_attrs(src, args, res)


def compare_hidden_attrs(src, args, res: dict) -> None:
    """The source's "_NC*" attributes xarray hides on the Zarr side, against the raw Zarr attrs."""
    owners = [("global attributes", src.attrs, "")]
    owners += [(f"{n}: attribute", src.variables[n].attrs, n) for n in sorted(src.variables)]
    wanted = [(w, a, n) for w, a, n in owners if any(hidden_by_xarray(k) and k not in IGNORED_ATTRS for k in a)]
    if not wanted:
        return
    import zarr

    root = archive_node(zarr.open_group(args.archive, mode="r"), args)
    for what, attrs, name in wanted:
        try:
            zattrs = dict((root[name] if name else root).attrs)
        except KeyError:
            continue  # a missing variable is reported elsewhere
        for key in sorted(k for k in attrs if hidden_by_xarray(k) and k not in IGNORED_ATTRS):
            if key not in zattrs:
                res["differences"].append(
                    f"{what} {key!r} is missing from the archive (source {attrs[key]!r}; compared in the raw Zarr attributes, xarray hides '_NC*')"
                )
            elif not attr_equal(attrs[key], zattrs[key]):
                res["differences"].append(
                    f"{what} {key!r} differs: source {attrs[key]!r}, archive (raw Zarr) {zattrs[key]!r}"
                )


def compare_variable(name: str, s, a, ignore: set[str], res: dict) -> None:
    diffs = res["differences"]
    if s.dims != a.dims:
        diffs.append(f"{name}: dims differ: source {s.dims}, archive {a.dims}")
        return
    if s.shape != a.shape:
        diffs.append(f"{name}: shape differs: source {s.shape}, archive {a.shape}")
        return
    widened = packed_float_widening(s, a)
    unmasked = unmasked_text_fill(s, a)
    if widened or unmasked:
        res["notes"].append(f"{name}: tolerated dtype {s.dtype} vs {a.dtype}: {widened or unmasked}")
    elif not same_dtype(s.dtype, a.dtype):
        diffs.append(f"{name}: dtype differs: source {s.dtype}, archive {a.dtype}")
    # Undecoded CF attributes (decode_times=False / decode_cf=False) get the
    # same tolerance as their decoded counterparts in .encoding.
    def tolerate(key, sv, av):
        if key not in ("_FillValue", "calendar"):
            return None
        why = tolerated_encoding_difference(key, sv, av, s, a)
        if why:
            res["notes"].append(f"{name}: tolerated attribute {key} {sv!r} vs {av!r}: {why}")
        return why

    compare_attrs(f"{name}: attribute", s.attrs, a.attrs, ignore, diffs, tolerate)
    compare_encoding(name, s, a, res)
    compare_values(
        name, s, a, diffs, ulps=2 if widened else 0, masked_as=s.encoding["_FillValue"] if unmasked else None
    )


def unmasked_text_fill(s, a) -> str | None:
    """Zarr v3 cannot carry a _FillValue on fixed-length bytes that xarray reads back: its
    FillValueCoder raises "Unsupported dtype |S8" and the whole archive fails to open (as xarray's
    own to_zarr(zarr_format=3) round trip of tidync_argo_*.nc and netcdfjs_madis-sao.nc shows). So
    a NetCDF char variable with a _FillValue keeps its bytes and loses the mask: where the source
    shows NaN, the archive holds the fill bytes."""
    if ARCHIVE_FORMAT != 3:
        return None
    disk = s.encoding.get("dtype")
    if disk is None or np.dtype(disk).kind != "S" or "_FillValue" not in s.encoding:
        return None
    if "_FillValue" in a.encoding or a.dtype.kind != "S" or s.dtype.kind != "O":
        return None
    return "_FillValue on fixed-length bytes is unreadable for xarray's v3 reader; data kept unmasked"


def packed_float_widening(s, a) -> str | None:
    """Zarr v3 attributes are JSON, which has no float32: a float32 scale_factor/add_offset reads
    back as a Python float, and xarray then unpacks to float64 where the NetCDF source unpacks to
    float32. xarray's own to_zarr(zarr_format=3) round trip of the same file shows exactly this
    (geocat_dz.nc, netcdf4-python_issue671.nc ...); values then agree to float32 precision."""
    if ARCHIVE_FORMAT != 3:
        return None
    packed = any(k in a.encoding for k in ("scale_factor", "add_offset"))
    if packed and s.dtype == np.float32 and a.dtype == np.float64:
        return "float32 packing attributes are float64 in JSON; values agree to float32 precision"
    return None


def same_dtype(x: np.dtype, y: np.dtype) -> bool:
    # Byte order is a storage detail (netCDF-4 files may be big-endian, Zarr
    # writers usually pick little-endian); values are compared separately.
    return normalise_dtype(x) == normalise_dtype(y)


def normalise_dtype(d) -> np.dtype:
    # netCDF4-python reports vlen strings as the Python type str, zarr-python as
    # object (with a VLenUTF8 codec): the same variable-length strings.
    if d is str:
        return np.dtype(object)
    return np.dtype(d).newbyteorder("<")


def compare_encoding(name: str, s, a, res: dict) -> None:
    diffs, notes = res["differences"], res["notes"]
    for key in SEMANTIC_ENCODING_KEYS:
        sv, av = s.encoding.get(key), a.encoding.get(key)
        if sv is None and av is None:
            continue
        if sv is not None and av is not None:
            if same_dtype(sv, av) if key == "dtype" else attr_equal(sv, av):
                continue
        tolerated = tolerated_encoding_difference(key, sv, av, s, a)
        if tolerated:
            notes.append(f"{name}: tolerated encoding {key} {sv!r} vs {av!r}: {tolerated}")
        elif key == "dtype" and sv is not None and av is not None:
            diffs.append(f"{name}: on-disk dtype (encoding) differs: source {sv}, archive {av}")
        elif sv is None:
            diffs.append(f"{name}: encoding {key} is {av!r} in the archive, absent in the source")
        elif av is None:
            diffs.append(f"{name}: encoding {key} is {sv!r} in the source, absent in the archive")
        else:
            diffs.append(f"{name}: encoding {key} differs: source {sv!r}, archive {av!r}")


def tolerated_encoding_difference(key: str, sv, av, s, a) -> str | None:
    """Why a difference in encoding[key] changes nothing a user sees, or None.

    Each case is something xarray's own to_zarr does to a NetCDF source (seen
    over the whole real corpus by write_reference_zarr.py); each is harmless
    because the decoded values, which are compared separately, are the same.
    """
    if key == "dtype":
        if sv is None or av is None:
            return "on-disk dtype not recorded on one side"
        if unmasked_text_fill(s, a):
            return "char array stored as fixed-width bytes, unmasked (see unmasked_text_fill)"
        # NetCDF char arrays (S1 plus a character dimension) are decoded to
        # fixed-width bytes |Sn; xarray writes them to Zarr as |Sn directly.
        if np.dtype(sv) == np.dtype("S1") and np.dtype(av).kind == "S" and same_dtype(s.dtype, a.dtype):
            return "char array stored as fixed-width bytes; decoded dtype is the same"
        return None
    if key == "_FillValue" and av is None and unmasked_text_fill(s, a):
        return unmasked_text_fill(s, a)
    if key == "_FillValue" and (sv is None) != (av is None):
        # xarray adds _FillValue=NaN to every float variable that has none
        # (conventions.maybe_default_fill_value), times stored as floats included.
        # A NaN fill masks nothing that is not NaN already.
        present = sv if sv is not None else av
        if is_nan(present) and on_disk_kind(s) == "f" and on_disk_kind(a) == "f":
            return "NaN fill on a float variable masks nothing"
        return None
    if key == "units" and sv is not None and av is not None:
        # xarray rewrites CF time units when it re-encodes datetimes:
        # "days since 1970-01-01 00:00:00" -> "days since 1970-01-01",
        # "days since 1-1-1" -> "days since 0001-1-1".
        if s.dtype.kind == "M" or a.dtype.kind == "M" or s.dtype.kind == "O":
            pandas_dates = s.dtype.kind == "M" and a.dtype.kind == "M"
            if same_time_units(sv, av, s.encoding.get("calendar"), pandas_dates):
                return "same unit and same reference instant"
        return None
    if key == "calendar":
        # CF: no calendar means "standard", and "gregorian" is its old name.
        # xarray writes "standard" for cftime dates and "proleptic_gregorian" for
        # datetime64 data, which it only produces where the two calendars agree.
        norm = {CALENDAR_ALIASES.get(x.lower() if isinstance(x, str) else x, x) for x in (sv, av)}
        if len(norm) == 1:
            return "same calendar under CF defaults and aliases"
        if norm == {"standard", "proleptic_gregorian"} and s.dtype.kind == a.dtype.kind == "M":
            return "equivalent calendars for datetime64 values"
        return None
    return None


CALENDAR_ALIASES = {None: "standard", "gregorian": "standard"}


def on_disk_kind(var) -> str:
    d = var.encoding.get("dtype", var.dtype)
    return "O" if d is str else np.dtype(d).kind


def same_time_units(u1: str, u2: str, calendar: str | None, pandas_dates: bool) -> bool:
    """Same unit and same reference instant, parsed the way xarray decodes:
    pandas for datetime64 results (time-zone offsets honoured), cftime otherwise."""
    import cftime
    import pandas as pd
    from xarray.coding.times import _unpack_netcdf_time_units

    try:
        (d1, r1), (d2, r2) = _unpack_netcdf_time_units(u1), _unpack_netcdf_time_units(u2)
    except ValueError:
        return False
    if d1.lower() != d2.lower():
        return False
    try:
        if pandas_dates:
            t1, t2 = (pd.Timestamp(r) for r in (r1, r2))
            t1, t2 = (t.tz_convert(None) if t.tz is not None else t for t in (t1, t2))
        else:
            cal = calendar or "standard"
            t1, t2 = (cftime.num2date(0, f"{d1} since {r}", calendar=cal) for r in (r1, r2))
    except Exception:  # noqa: BLE001 - e.g. cftime rejects "1600-1-1T0:0:0"
        p1, p2 = parse_reference(r1), parse_reference(r2)
        return p1 is not None and p1 == p2
    return t1 == t2


REFERENCE_RE = re.compile(
    r"\s*(-?\d+)-(\d{1,2})-(\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?)?"
    r"\s*(Z|UTC|[+-]\d{1,2}(?::?\d{2})?)?\s*"
)


def parse_reference(ref: str) -> tuple | None:
    """Components of a CF reference date, for spellings no library accepts."""
    m = REFERENCE_RE.fullmatch(ref)
    if not m:
        return None
    y, mo, d, h, mi, sec, tz = m.groups()
    tz_min = 0
    if tz and tz not in ("Z", "UTC"):
        sign = -1 if tz[0] == "-" else 1
        hh, _, mm = tz[1:].partition(":")
        if not mm and len(hh) > 2:
            hh, mm = hh[:-2], hh[-2:]
        tz_min = sign * (int(hh) * 60 + int(mm or 0))
    return (int(y), int(mo), int(d), int(h or 0), int(mi or 0), float(sec or 0), tz_min)


def is_nan(v) -> bool:
    try:
        return v is not None and np.ndim(v) == 0 and bool(np.isnan(v))
    except TypeError:
        return False


def compare_attrs(
    what: str, s: dict, a: dict, ignore: set[str], diffs: list[str], tolerate=None, through_xarray=True
) -> None:
    for key in sorted(set(s) | set(a)):
        if key in ignore or (through_xarray and hidden_by_xarray(key)):
            continue
        sv, av = s.get(key), a.get(key)
        if sv is not None and av is not None and attr_equal(sv, av):
            continue
        if tolerate is not None and tolerate(key, sv, av):
            continue
        if key not in a:
            diffs.append(f"{what} {key!r} is missing from the archive (source {s[key]!r})")
        elif key not in s:
            diffs.append(f"{what} {key!r} is in the archive only ({a[key]!r})")
        elif not attr_equal(s[key], a[key]):
            diffs.append(f"{what} {key!r} differs: source {s[key]!r}, archive {a[key]!r}")


def attr_kind(v) -> str:
    if isinstance(v, (str, bytes)):
        return "str"
    arr = np.asarray(v)
    if arr.dtype.kind in "SUO":
        return "str"
    if arr.dtype.kind == "b":
        return "bool"
    if arr.dtype.kind in "iu":
        return "int"
    return arr.dtype.kind


def text(v):
    """bytes -> str; trailing NULs are padding in fixed-width numpy bytes."""
    if isinstance(v, bytes):
        return v.rstrip(b"\x00").decode("utf-8", "replace")
    return v


def exact_ints(v):
    """A JSON list of integers as the integer array it was: numpy 2 makes a list holding
    values past 2**63 an object array, which would compare as another kind."""
    if isinstance(v, list) and v and all(isinstance(i, int) and not isinstance(i, bool) for i in v):
        lo, hi = min(v), max(v)
        if lo >= 0 and hi < 2**64:
            return np.array(v, dtype=np.uint64 if hi >= 2**63 else np.int64)
        if lo >= -(2**63) and hi < 2**63:
            return np.array(v, dtype=np.int64)
    return v


def attr_equal(x, y) -> bool:
    """Numeric attributes compare by value and kind (int/float/str), not by width:
    Zarr v2 keeps attributes as JSON, which has no float32 or int16."""
    x, y = exact_ints(text(x)), exact_ints(text(y))
    if isinstance(x, str) or isinstance(y, str):
        return isinstance(x, str) and isinstance(y, str) and x == y
    if attr_kind(x) != attr_kind(y):
        return False
    xa, ya = np.asarray(x), np.asarray(y)
    if xa.dtype.kind in "SUO" or ya.dtype.kind in "SUO":
        return xa.shape == ya.shape and bool(np.all(xa == ya))
    # A one-element attribute is a scalar to netCDF4-python and to JSON alike.
    if xa.size == 1 and ya.size == 1:
        xa, ya = xa.reshape(()), ya.reshape(())
    if xa.shape != ya.shape:
        return False
    if xa.dtype.kind in "fc" or ya.dtype.kind in "fc":
        return bool(np.array_equal(xa.astype(np.complex128), ya.astype(np.complex128), equal_nan=True))
    return bool(np.array_equal(xa, ya))


def compare_values(name: str, s, a, diffs: list[str], ulps: int = 0, masked_as=None) -> None:
    if s.ndim == 0 or s.size <= SLAB_ELEMENTS:
        slabs = [None]
    else:
        per_row = max(1, s.size // s.shape[0])
        step = max(1, SLAB_ELEMENTS // per_row)
        slabs = [slice(i, min(i + step, s.shape[0])) for i in range(0, s.shape[0], step)]
    total_bad = 0
    first = None
    for sl in slabs:
        sv = load(s, sl, "source")
        if masked_as is not None:
            sv = unmask(sv, masked_as)
        try:
            av = load(a, sl, "archive")
        except Exception as e:  # noqa: BLE001 - a broken archive is a difference
            diffs.append(f"{name}: archive data cannot be read: {type(e).__name__}: {e}")
            return
        bad = unequal_mask(sv, av) if not ulps else not_within_ulps(sv, av, ulps)
        if bad is None:
            diffs.append(f"{name}: values are not comparable: source {sv.dtype}, archive {av.dtype}")
            return
        n = int(np.count_nonzero(bad))
        if n and first is None:
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            off = 0 if sl is None else sl.start
            full_idx = (idx[0] + off, *idx[1:]) if idx else idx
            first = (full_idx, sv[idx], av[idx])
        total_bad += n
    if total_bad:
        idx, x, y = first
        diffs.append(
            f"{name}: values differ at {total_bad} of {s.size} elements "
            f"(first at {idx}: source {x!r}, archive {y!r})"
        )


def load(var, sl, side: str) -> np.ndarray:
    try:
        v = var if sl is None else var[sl]
        return np.asarray(v.values)
    except Exception as e:  # noqa: BLE001
        if side == "source":
            # e.g. times that only fail to decode once the values are read
            raise SourceUnreadable(f"reading source values failed: {type(e).__name__}: {e}") from e
        raise


def unequal_mask(x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """True where the values differ; NaN == NaN, NaT == NaT."""
    if x.shape != y.shape:
        return np.ones(x.shape, dtype=bool)
    kx, ky = x.dtype.kind, y.dtype.kind
    if x.dtype.names or y.dtype.names:
        if x.dtype.names != y.dtype.names:
            return None
        bad = np.zeros(x.shape, dtype=bool)
        for f in x.dtype.names:
            sub = unequal_mask(x[f], y[f])
            if sub is None:
                return None
            bad |= sub.reshape(x.shape + (-1,)).any(axis=-1) if sub.shape != x.shape else sub
        return bad
    if kx in "Mm" or ky in "Mm":
        if kx != ky:
            return None
        return x.view("i8") != y.view("i8") if x.dtype == y.dtype else x != y
    if kx == "O" or ky == "O":
        return object_unequal(x, y)
    if kx in "SU" or ky in "SU":
        if kx != ky:
            return None
        return x != y
    if kx in "fc" or ky in "fc":
        both_nan = np.isnan(x) & np.isnan(y)
        return (x != y) & ~both_nan
    return x != y


def unmask(values: np.ndarray, fill) -> np.ndarray:
    """Masked (NaN) elements of a decoded text array replaced by the fill they stand for."""
    out = values.copy()
    for idx in np.ndindex(out.shape):
        v = out[idx]
        if isinstance(v, float) and math.isnan(v):
            out[idx] = fill
    return out


def not_within_ulps(x: np.ndarray, y: np.ndarray, ulps: int) -> np.ndarray:
    """True where y, rounded to x's float type, is more than `ulps` units in the last place of x
    away (NaN == NaN)."""
    y = y.astype(x.dtype)
    both_nan = np.isnan(x) & np.isnan(y)
    return (np.abs(x - y) > ulps * np.spacing(np.abs(x))) & ~both_nan


def object_unequal(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    bad = np.zeros(x.shape, dtype=bool)
    for idx in np.ndindex(x.shape):
        p, q = x[idx], y[idx]
        p, q = text(p), text(q)
        try:
            same = bool(p == q)
        except Exception:  # noqa: BLE001
            same = False
        if not same:
            same = is_missing(p) and is_missing(q)
        bad[idx] = not same
    return bad


def is_missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(math.isnan(v))
    except TypeError:
        return False


# --------------------------------------------------------------------------
# raw comparison: netCDF4 (no masking, scaling or char conversion) vs zarr


def compare_raw(args, names: list[str] | None, result: dict) -> None:
    """Differences found here are prefixed "[raw] "."""
    part = fresh_result()
    compare_raw_into(args, names, part)
    part["differences"] = [f"[raw] {d}" for d in part["differences"]]
    merge(result, part)


def compare_raw_into(args, names: list[str] | None, res: dict) -> None:
    import netCDF4
    import zarr

    diffs = res["differences"]
    try:
        root = archive_node(zarr.open_consolidated(args.archive, mode="r"), args)
    except Exception as e:  # noqa: BLE001
        diffs.append(f"archive does not open with zarr.open_consolidated: {type(e).__name__}: {e}")
        return
    with netCDF4.Dataset(args.sources[0]) as nc:
        g = nc_group(nc, args.group)
        if names is None:
            names = [n for n in g.variables if selected(n, args)]
            for n in sorted(set(root.array_keys()) - set(g.variables)):
                if selected(n, args):
                    diffs.append(f"{n}: in the archive, not in the source")
            compare_attrs(
                "global attributes",
                nc_attrs(g, res, "global"),
                dict(root.attrs),
                args.ignore_attrs,
                diffs,
                through_xarray=False,
            )
        for name in names:
            v = g.variables[name]
            if name not in root.array_keys():
                diffs.append(f"{name}: in the source, missing from the archive")
                continue
            compare_raw_variable(name, v, root[name], args.ignore_attrs, res)
            res["raw_compared"].append(name)


def nc_attrs(obj, res: dict, owner: str) -> dict:
    out = {}
    for key in obj.ncattrs():
        try:
            out[key] = obj.getncattr(key)
        except Exception as e:  # noqa: BLE001 - e.g. attributes of user-defined types
            res["skipped"].append(f"{owner} attribute {key}: netCDF4 cannot read it ({e})")
    return out


def compare_raw_variable(name: str, v, z, ignore: set[str], res: dict) -> None:
    diffs = res["differences"]
    zattrs = dict(z.attrs)
    v3 = getattr(getattr(z, "metadata", None), "zarr_format", 2) == 3
    zdims = tuple(z.metadata.dimension_names or ()) if v3 else tuple(zattrs.get("_ARRAY_DIMENSIONS", ()))
    src_dtype = np.dtype(object) if v.dtype is str else np.dtype(v.dtype)
    # A v3 char array stored as n-byte strings, its last (string length) dimension folded in.
    folded = (
        v3
        and src_dtype == np.dtype("S1")
        and z.dtype.kind == "S"
        and z.dtype.itemsize > 1
        and v.ndim == len(zdims) + 1
        and v.shape[-1] == z.dtype.itemsize
    )
    src_dims, src_shape = (tuple(v.dimensions)[:-1], tuple(v.shape)[:-1]) if folded else (tuple(v.dimensions), tuple(v.shape))
    if src_dims != zdims:
        diffs.append(f"{name}: dims differ: source {tuple(v.dimensions)}, archive {zdims}")
        return
    if src_shape != tuple(z.shape):
        diffs.append(f"{name}: shape differs: source {tuple(v.shape)}, archive {tuple(z.shape)}")
        return
    if folded:
        res["notes"].append(f"{name}: char array compared as {z.dtype} strings over {zdims}")
        src_dtype = z.dtype
    if not raw_dtype_equal(src_dtype, z.dtype):
        diffs.append(f"{name}: dtype differs: source {src_dtype}, archive {z.dtype}")
    s_attrs = nc_attrs(v, res, name)
    # In Zarr v3 xarray takes _FillValue from the attribute (FillValueCoder), never from the
    # array's fill_value, which only says what unwritten chunks read as.
    if v3 and "_FillValue" in zattrs:
        from xarray.backends.zarr import FillValueCoder

        zattrs["_FillValue"] = FillValueCoder.decode(zattrs["_FillValue"], z.dtype)
    # In Zarr v2 the fill value lives in .zarray, which is where xarray puts _FillValue.
    elif not v3 and "_FillValue" not in zattrs and z.fill_value is not None:
        if "_FillValue" in s_attrs:
            zattrs["_FillValue"] = z.fill_value
        elif not (z.dtype.kind == "f" and is_nan(z.fill_value)):
            # xarray would mask this value although the source has no _FillValue.
            # (A NaN fill on floats masks nothing: tolerated, as in the xarray path.)
            diffs.append(f"{name}: zarr fill_value {z.fill_value!r} but the source has no _FillValue")
    if s_attrs.get("_FillValue") is not None and src_dtype.names:
        fv_s, fv_z = np.asarray(s_attrs.pop("_FillValue")), zattrs.pop("_FillValue", None)
        if fv_z is None or unequal_mask(fv_s.reshape(()), np.asarray(fv_z, dtype=z.dtype).reshape(())).any():
            diffs.append(f"{name}: _FillValue differs: source {fv_s!r}, archive {fv_z!r}")
    compare_attrs(f"{name}: attribute", s_attrs, zattrs, ignore, diffs, through_xarray=False)
    v.set_auto_maskandscale(False)
    if src_dtype.kind == "S":
        v.set_auto_chartostring(False)
    if v.ndim == 0 or v.size <= SLAB_ELEMENTS:
        slabs = [Ellipsis]
    else:
        step = max(1, SLAB_ELEMENTS // max(1, v.size // v.shape[0]))
        slabs = [slice(i, min(i + step, v.shape[0])) for i in range(0, v.shape[0], step)]
    bad_total = 0
    first = None
    for sl in slabs:
        try:
            sv = np.asarray(v[sl])
        except Exception as e:  # noqa: BLE001
            res["skipped"].append(f"{name}: netCDF4 cannot read the source values ({e})")
            return
        if folded:
            sv = np.ascontiguousarray(sv).view(src_dtype).reshape(sv.shape[:-1])
        av = np.asarray(z[sl])
        bad = unequal_mask(sv, av)
        if bad is None:
            diffs.append(f"{name}: values are not comparable: source {sv.dtype}, archive {av.dtype}")
            return
        n = int(np.count_nonzero(bad))
        if n and first is None:
            idx = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
            off = sl.start if isinstance(sl, slice) else 0
            full = (idx[0] + off, *idx[1:]) if idx else idx
            first = (full, sv[idx], av[idx])
        bad_total += n
    if bad_total:
        idx, x, y = first
        diffs.append(
            f"{name}: raw values differ at {bad_total} of {v.size} elements "
            f"(first at {idx}: source {x!r}, archive {y!r})"
        )


def raw_dtype_equal(x: np.dtype, y: np.dtype) -> bool:
    if x.names or y.names:
        # Compound members are compared by name and type; netCDF's C-aligned
        # padding has no meaning once the fields are stored packed.
        if x.names != y.names:
            return False
        return all(raw_dtype_equal(x.fields[n][0], y.fields[n][0]) for n in x.names)
    if x.subdtype or y.subdtype:
        return bool(x.subdtype and y.subdtype and x.shape == y.shape) and raw_dtype_equal(
            x.subdtype[0], y.subdtype[0]
        )
    return same_dtype(x, y)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
