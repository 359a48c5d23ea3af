#!/usr/bin/python3
"""Does a Zarr archive of a NetCDF-4 group tree open in xarray's DataTree exactly like the source?

    compare_datatree.py SOURCE.nc ARCHIVE.zarr [--drop-variables a,b] [--ignore-attrs x,y]

Prints ONE JSON object on stdout and exits 0; exit 2 only when this script
itself crashes (traceback on stderr):

    {"ok": bool, "mode": str, "nodes": [str], "differences": [str],
     "skipped": [str], "compared": [str], "notes": [str]}

xr.open_datatree(SOURCE) against xr.open_datatree(ARCHIVE, engine="zarr")
(needs xarray >= 2024.10: the sid stack). First the trees must have the same
node paths; then every node's dataset -- with the coordinates and dimensions
it inherits from its ancestors, as DataTree shows them -- is compared by
compare_xarray.py's compare_datasets, with all of that script's rules and
tolerances. Differences and compared variables are prefixed with the node
path ("/grp/sub: t2m: ...", "/grp/sub/t2m").

The same strength ladder as compare_xarray.py, for the whole tree at once
(open_datatree opens every group with the same options): default decoding,
then decode_times=False, then decode_cf=False; the source decides, and the
archive must open the same way. --drop-variables (bare names) are dropped
from every group on both sides.

Where open_datatree cannot be used -- xarray older than 2024.10 (Debian 12's
2023.01), or a source whose groups DataTree refuses (a child redefining a
dimension of its parent with another length is valid netCDF but "not aligned
with its parents") -- the trees are compared group by group instead: the same
node paths (netCDF4 groups vs Zarr groups), then for every group
compare_xarray.py's whole comparison of xr.open_dataset(SOURCE, group=G)
against xr.open_zarr(ARCHIVE, group=G); "mode" then starts with "per group".
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_xarray as cx  # noqa: E402 - the comparison rules live there


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("source")
    p.add_argument("archive")
    p.add_argument("--drop-variables", default=None, help="ignore these in every group (comma-separated)")
    p.add_argument("--ignore-attrs", default=None, help="attribute names to ignore (comma-separated)")
    args = p.parse_args(argv)
    args.drop_variables = cx.split_list(args.drop_variables) or []
    args.ignore_attrs = set(cx.split_list(args.ignore_attrs) or []) | cx.IGNORED_ATTRS
    return args


def node_args(args: argparse.Namespace, path: str) -> argparse.Namespace:
    """compare_xarray's arguments for one node: its raw-attribute checks open the archive there."""
    rel = path.strip("/")
    return argparse.Namespace(
        sources=[args.source],
        archive=args.archive,
        archive_group=rel or None,
        group=rel or None,
        variables=None,
        drop_variables=args.drop_variables,
        ignore_attrs=args.ignore_attrs,
    )


def open_tree(path: str, kwargs: dict, drop: list[str], **extra):
    import xarray as xr

    return xr.open_datatree(path, drop_variables=drop or None, **kwargs, **extra)


def node_paths(tree) -> list[str]:
    return sorted(node.path for node in tree.subtree)


def compare_trees(src, arc, args, res: dict) -> None:
    diffs = res["differences"]
    src_paths, arc_paths = node_paths(src), node_paths(arc)
    res["nodes"] = src_paths
    for p in sorted(set(src_paths) - set(arc_paths)):
        diffs.append(f"{p}: group in the source, missing from the archive")
    for p in sorted(set(arc_paths) - set(src_paths)):
        diffs.append(f"{p}: group in the archive, not in the source")
    for p in sorted(set(src_paths) & set(arc_paths)):
        part = cx.fresh_result()
        s = src[p].to_dataset(inherit=True)
        a = arc[p].to_dataset(inherit=True)
        cx.compare_datasets(s, a, node_args(args, p), part)
        prefix = "" if p == "/" else p
        part["differences"] = [f"{p}: {d}" for d in part["differences"]]
        part["compared"] = [f"{prefix}/{n}" for n in part["compared"]]
        part["notes"] = [f"{p}: {n}" for n in part["notes"]]
        part["skipped"] = [f"{p}: {n}" for n in part["skipped"]]
        cx.merge(res, part)


def source_groups(path: str) -> list[str]:
    import netCDF4

    out = []

    def visit(g, prefix: str) -> None:
        out.append(prefix or "/")
        for name, child in g.groups.items():
            visit(child, f"{prefix}/{name}")

    with netCDF4.Dataset(path) as nc:
        visit(nc, "")
    return sorted(out)


def archive_groups(path: str) -> list[str]:
    import zarr

    out = []

    def visit(g, prefix: str) -> None:
        out.append(prefix or "/")
        for name, child in g.groups():
            visit(child, f"{prefix}/{name}")

    visit(zarr.open_consolidated(path, mode="r"), "")
    return sorted(out)


def compare_per_group(args, why: str, result: dict) -> None:
    """Every group through compare_xarray's own comparison (open_dataset/open_zarr group=)."""
    diffs = result["differences"]
    src_paths, arc_paths = source_groups(args.source), archive_groups(args.archive)
    result["nodes"] = src_paths
    for p in sorted(set(src_paths) - set(arc_paths)):
        diffs.append(f"{p}: group in the source, missing from the archive")
    for p in sorted(set(arc_paths) - set(src_paths)):
        diffs.append(f"{p}: group in the archive, not in the source")
    modes = set()
    for p in sorted(set(src_paths) & set(arc_paths)):
        ns = node_args(args, p)
        ns.concat_dim, ns.raw = "time", False
        part = cx.compare(ns)
        modes.add(part["mode"])
        prefix = "" if p == "/" else p
        result["differences"].extend(f"{p}: {d}" for d in part["differences"])
        result["compared"].extend(f"{prefix}/{n}" for n in part["compared"] + part["raw_compared"])
        result["notes"].extend(f"{p}: {n}" for n in part["notes"])
        result["skipped"].extend(f"{p}: {n}" for n in part["skipped"])
    result["mode"] = f"per group ({', '.join(sorted(m for m in modes if m))}) because {why}"


def compare(args: argparse.Namespace) -> dict:
    if not os.path.exists(args.source):
        raise FileNotFoundError(args.source)
    result = {"ok": False, "mode": None, "nodes": [], **cx.fresh_result()}
    if not os.path.exists(args.archive):
        result["differences"].append(f"archive {args.archive} does not exist")
        return result
    cx.ARCHIVE_FORMAT = cx.archive_format(args.archive)
    cx.check_consolidated(args.archive, result["differences"])
    import xarray as xr

    if not hasattr(xr, "open_datatree"):
        compare_per_group(args, f"xarray {xr.__version__} has no open_datatree", result)
        result["ok"] = not result["differences"]
        return result
    failures = []
    for mode, kwargs in cx.MODES:
        try:
            src = open_tree(args.source, kwargs, args.drop_variables)
        except Exception as e:  # noqa: BLE001 - any failure means: try weaker decoding
            if "not aligned with its parents" in str(e):
                # No decoding makes DataTree accept such a tree: compare it group by group.
                compare_per_group(args, "open_datatree refuses the source's tree (not aligned)", result)
                result["ok"] = not result["differences"]
                return result
            failures.append(f"{mode}: {type(e).__name__}: {e}")
            continue
        result["mode"] = mode
        try:
            arc = open_tree(args.archive, kwargs, args.drop_variables, engine="zarr", consolidated=True)
        except Exception as e:  # noqa: BLE001
            result["differences"].append(
                f"archive does not open with xarray.open_datatree(engine='zarr', {cx.fmt_kwargs(kwargs)}) "
                f"although the source opens that way: {type(e).__name__}: {e}"
            )
            break
        try:
            compare_trees(src, arc, args, result)
        finally:
            src.close()
            arc.close()
        break
    else:
        result["differences"].append("the source does not open with xarray.open_datatree at all")
    result["notes"].extend(f"source not readable with {f}" for f in failures)
    result["ok"] = not result["differences"]
    return result


def main(argv: list[str]) -> int:
    return cx.main(argv, parse=parse_args, run=compare)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
