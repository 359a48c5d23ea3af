/**
 * The NetCDF-4 group tree as the parts of one archive: each group a Zarr group at the same path,
 * with the configuration narrowed to that group. Without `--group`, `convert` writes every part;
 * the planning of each part is the single-group planning, unchanged.
 *
 * Selection names in a tree: a bare name (`t2m`) means that variable in every group that has
 * one; a path (`grp/sub/t2m`, leading `/` optional) means that group's variable only. Chunk
 * lengths and `--time-dim` apply to the groups that have the dimension. Extra attributes (`attrs`)
 * are global attributes, so they go on the root only.
 */
import type { ZarrifyConfig } from "../config/schema.js";
import type { Dataset } from "../dataset/types.js";
import { ConfigError, InputError } from "../errors.js";
import { hint, message, opt } from "../hint.js";
import { refuseUnknownChunkDims } from "../plan/chunk-dims.js";

export interface GroupPart {
  /** Zarr path of the group: "" for the root, "grp/sub" below it. */
  path: string;
  ds: Dataset;
  /** The configuration narrowed to this group's variables and dimensions. */
  config: ZarrifyConfig;
}

/**
 * Names a directory of a Zarr group cannot take: the documents of the group itself (v2 and v3),
 * zarrify's own records, and what the v3 spec reserves (`.`, `..`, a `__` prefix).
 */
const RESERVED = new Set([".zarray", ".zgroup", ".zattrs", ".zmetadata", "zarr.json", ".zarrify"]);

/** Why `name` cannot be a Zarr node name, or undefined when it can. */
export function zarrNameProblem(name: string): string | undefined {
  if (name === "" || name === "." || name === "..") return "Zarr paths have no such segment";
  if (name.includes("/")) return "'/' separates Zarr path segments";
  if (name.startsWith("__")) return "Zarr v3 reserves names starting with '__'";
  if (RESERVED.has(name)) return `'${name}' is a Zarr metadata document's name`;
  return undefined;
}

/** Pre-order: a group before its children, children in the file's link order. */
function walk(root: Dataset): { path: string; ds: Dataset }[] {
  const out: { path: string; ds: Dataset }[] = [];
  const visit = (ds: Dataset, path: string) => {
    out.push({ path, ds });
    for (const child of ds.children?.() ?? []) {
      const name = child.group.slice(child.group.lastIndexOf("/") + 1);
      const problem = zarrNameProblem(name);
      if (problem) {
        throw new InputError(
          `${root.path}: group '${child.group}' cannot become a Zarr group: ${problem}`,
          {
            path: root.path,
            hint: hint`convert the other groups one at a time with ${opt("group")}, or rename the group in the source`,
          },
        );
      }
      visit(child, path === "" ? name : `${path}/${name}`);
    }
  };
  visit(root, "");
  return out;
}

interface Scoped {
  /** "" for a bare name (every group), else the group's Zarr path. */
  group: string | undefined;
  name: string;
  given: string;
}

function scope(given: string): Scoped {
  const trimmed = given.replace(/^\/+/, "");
  const slash = trimmed.lastIndexOf("/");
  if (slash < 0) return { group: undefined, name: trimmed, given };
  return { group: trimmed.slice(0, slash), name: trimmed.slice(slash + 1), given };
}

function namesOf(ds: Dataset): Set<string> {
  return new Set([
    ...ds.variables.map((v) => v.name),
    ...(ds.unsupported ?? []).map((u) => u.name),
  ]);
}

function applies(s: Scoped, path: string, names: Set<string>): boolean {
  return (s.group === undefined || s.group === path) && names.has(s.name);
}

/** A qualified name as the user would type it back: `grp/sub/var`, or `var` in the root. */
function qualified(path: string, name: string): string {
  return path === "" ? name : `${path}/${name}`;
}

/**
 * For --variables: the coordinate variables of ancestor groups that the selected variables' dimensions
 * need (a child's variable on the root's `time` brings the root's `time`, as DataTree inherits
 * it), per node. Within a group the usual selection rule brings the rest.
 */
function ancestorCoordinates(
  nodes: { path: string; ds: Dataset }[],
  names: Set<string>[],
  include: Scoped[],
): string[][] {
  const out = nodes.map(() => [] as string[]);
  const index = new Map(nodes.map((n, i) => [n.path, i]));
  const parent = (path: string) => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
  nodes.forEach((node, i) => {
    if (node.path === "") return;
    const picked = node.ds.variables.filter((v) =>
      include.some((s) => s.name === v.name && applies(s, node.path, names[i])),
    );
    for (const dim of new Set(picked.flatMap((v) => v.dims))) {
      if (names[i].has(dim)) continue;
      for (let p = parent(node.path); ; p = parent(p)) {
        const at = index.get(p);
        if (at !== undefined && names[at].has(dim)) {
          out[at].push(dim);
          break;
        }
        if (p === "") break;
      }
    }
  });
  return out;
}

/**
 * The tree's parts with each group's configuration. Refuses, for the whole tree at once, names
 * that match no group, chunk lengths for dimensions no group has, and variables we cannot
 * represent that the selection includes (named with their group, so the hint can be pasted).
 */
export function treeParts(root: Dataset, config: ZarrifyConfig): GroupPart[] {
  const nodes = walk(root);
  const include = (config.variables ?? []).map(scope);
  const drop = (config.dropVariables ?? []).map(scope);
  const names = nodes.map((n) => namesOf(n.ds));

  for (const [flag, list] of [
    [message`${opt("variables")}`, include],
    [message`${opt("dropVariables")}`, drop],
  ] as const) {
    for (const s of list) {
      if (nodes.some((n, i) => applies(s, n.path, names[i]))) continue;
      const all = nodes.flatMap((n, i) => [...names[i]].map((v) => qualified(n.path, v)));
      throw new ConfigError(
        `${flag}: no variable '${s.given}' in any group of ${root.path} (variables: ${all.join(", ") || "none"})`,
        { hint: "name a variable as listed: a bare name picks it in every group, grp/var in one" },
      );
    }
  }

  const allDims = new Set(nodes.flatMap((n) => n.ds.dims.map((d) => d.name)));
  refuseUnknownChunkDims(config.chunking, [...allDims], root.path);
  if (config.shards !== "auto") {
    refuseUnknownChunkDims(config.shards, [...allDims], root.path, "shards");
  }
  if (config.timeDim !== undefined && !allDims.has(config.timeDim)) {
    throw new ConfigError(
      `time dimension '${config.timeDim}' is not a dimension of any group of ${root.path} (dimensions: ${[...allDims].join(", ") || "none"})`,
      { hint: hint`pass ${opt("timeDim")} with one of the listed dimensions` },
    );
  }

  const inherited = ancestorCoordinates(nodes, names, include);
  const bad: string[] = [];
  const parts = nodes.map((node, i): GroupPart => {
    const local = (list: Scoped[]) =>
      list.filter((s) => applies(s, node.path, names[i])).map((s) => s.name);
    const wanted = [...new Set([...local(include), ...inherited[i]])];
    const dropped = local(drop);
    // --variables that names nothing here leaves the group empty (it still exists in the tree).
    const empty = include.length > 0 && wanted.length === 0;
    for (const u of node.ds.unsupported ?? []) {
      const selected = empty ? false : wanted.length === 0 || wanted.includes(u.name);
      if (selected && !dropped.includes(u.name)) {
        bad.push(`'${qualified(node.path, u.name)}' (${u.reason})`);
      }
    }
    const dims = new Set(node.ds.dims.map((d) => d.name));
    const here = (lengths: Readonly<Record<string, number>> | undefined) =>
      Object.fromEntries(Object.entries(lengths ?? {}).filter(([d]) => dims.has(d)));
    const chunking = here(config.chunking);
    return {
      path: node.path,
      ds: node.ds,
      config: {
        ...config,
        variables: empty ? undefined : wanted.length > 0 ? wanted : undefined,
        dropVariables: empty ? [...names[i]] : dropped,
        chunking,
        shards:
          config.shards === undefined || config.shards === "auto"
            ? config.shards
            : here(config.shards),
        timeDim:
          config.timeDim !== undefined && dims.has(config.timeDim) ? config.timeDim : undefined,
        attrs: node.path === "" ? config.attrs : undefined,
      },
    };
  });
  if (bad.length > 0) {
    throw new InputError(
      `${root.path}: cannot convert variable${bad.length > 1 ? "s" : ""} ${bad.join(", ")}`,
      {
        path: root.path,
        hint: hint`leave it out with ${opt(
          "dropVariables",
          bad.map((b) => b.slice(1, b.indexOf("' ("))),
        )}`,
      },
    );
  }
  return parts;
}
