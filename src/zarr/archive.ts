/**
 * Metadata I/O for a whole archive: writing array/group documents, consolidating them, and
 * opening an existing archive.
 *
 *   writeArrayMetadata(store, meta): Promise<void>
 *   writeGroupMetadata(store, format, attrs, path = ""): Promise<void>
 *   writeConsolidated(store, format): Promise<void>
 *       v2: ".zmetadata" = {"zarr_consolidated_format": 1, "metadata": {"<key>": <doc>, ...}}
 *           with every .zgroup/.zarray/.zattrs in the archive (what zarr.open_consolidated reads);
 *       v3: the root zarr.json gains "consolidated_metadata": {"kind": "inline",
 *           "must_understand": false, "metadata": {"<path>": <zarr.json doc>, ...}} as
 *           zarr-python 3 writes it (flat paths, sorted by depth then name).
 *       It re-reads the documents from the store, so it reflects what is really there. Call it
 *       once, after all metadata is written (template/convert end), never from region writers.
 *   readArchiveMetadata(store, { consolidated? }): Promise<ArchiveMetadata>
 *       Detects the format, then uses consolidated metadata when present (default) or walks the
 *       hierarchy with listDir (consolidated: false, e.g. right after an append changed shapes).
 *   readJson(store, key): Promise<Json | undefined>
 */
import type { Attrs, DType } from "../dataset/types.js";
import { InputError } from "../errors.js";
import { type Json, type JsonObject, JsonText, parseJson, stringifyJson } from "./json.js";
import { joinPath, type ZarrFormat } from "./keys.js";
import { type ArrayMeta, arrayDocuments, groupDocuments } from "./metadata.js";
import { parseArrayDocuments, parseGroupAttrs } from "./metadata-parse.js";
import type { Store } from "./store/types.js";

export interface ArchiveMetadata {
  format: ZarrFormat;
  /** Root group attributes. */
  attrs: Attrs;
  /** Arrays by path ("t2m", "sub/t2m"). */
  arrays: Map<string, ArrayMeta>;
  /** Non-root groups by path, with their attributes. */
  groups: Map<string, Attrs>;
  /** Whether the result came from consolidated metadata. */
  consolidated: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A JSON document as stored: UTF-8, indented, with a final newline. */
export function jsonBytes(doc: Json, indent: number): Uint8Array {
  return encoder.encode(`${stringifyJson(doc, indent)}\n`);
}

/** Where a key of the store is, for messages: the file or the object URL. */
function keyLocation(store: Store, key: string): string {
  const d = store.describe();
  if (d?.kind === "fs") return `${d.root.replace(/\/+$/, "")}/${key}`;
  if (d?.kind === "s3") return `s3://${d.bucket}/${d.prefix ? `${d.prefix}/` : ""}${key}`;
  return key;
}

export async function readJson(store: Store, key: string): Promise<Json | undefined> {
  const bytes = await store.get(key);
  if (bytes === undefined) return undefined;
  try {
    return parseJson(decoder.decode(bytes));
  } catch (err) {
    throw new InputError(
      `${keyLocation(store, key)}: the archive's metadata is not valid JSON (${(err as Error).message})`,
      {
        cause: err,
        hint: "the archive is damaged: restore this file from a copy, or recreate the archive",
      },
    );
  }
}

async function writeDocs(
  store: Store,
  path: string,
  docs: Record<string, JsonObject>,
  indent: number,
) {
  await Promise.all(
    Object.entries(docs).map(([name, doc]) =>
      store.set(joinPath(path, name), jsonBytes(doc, indent)),
    ),
  );
}

export async function writeArrayMetadata(store: Store, meta: ArrayMeta): Promise<void> {
  await writeDocs(store, meta.path, arrayDocuments(meta), meta.zarrFormat === 2 ? 4 : 2);
}

export async function writeGroupMetadata(
  store: Store,
  format: ZarrFormat,
  attrs: Attrs,
  path = "",
  attrTypes?: Record<string, DType>,
): Promise<void> {
  await writeDocs(store, path, groupDocuments(format, attrs, attrTypes), format === 2 ? 4 : 2);
}

interface Node {
  path: string;
  kind: "array" | "group";
  docs: Record<string, Json | undefined>;
}

function isObject(v: Json | undefined): v is JsonObject {
  return (
    v !== null &&
    v !== undefined &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    !(v instanceof JsonText)
  );
}

/** Walks the hierarchy below the root group, reading each node's own documents. */
async function walk(store: Store, format: ZarrFormat): Promise<Node[]> {
  const nodes: Node[] = [];
  const visit = async (prefix: string): Promise<void> => {
    const { prefixes } = await store.listDir(prefix);
    const children = await Promise.all(
      prefixes.map(async (p): Promise<Node | undefined> => {
        if (format === 3) {
          const doc = await readJson(store, joinPath(p, "zarr.json"));
          if (!isObject(doc)) return undefined;
          if (doc.node_type === "array")
            return { path: p, kind: "array", docs: { "zarr.json": doc } };
          if (doc.node_type === "group")
            return { path: p, kind: "group", docs: { "zarr.json": doc } };
          return undefined;
        }
        const [zarray, zgroup, zattrs] = await Promise.all([
          readJson(store, joinPath(p, ".zarray")),
          readJson(store, joinPath(p, ".zgroup")),
          readJson(store, joinPath(p, ".zattrs")),
        ]);
        if (zarray !== undefined)
          return { path: p, kind: "array", docs: { ".zarray": zarray, ".zattrs": zattrs } };
        if (zgroup !== undefined)
          return { path: p, kind: "group", docs: { ".zgroup": zgroup, ".zattrs": zattrs } };
        return undefined;
      }),
    );
    for (const child of children) {
      if (!child) continue;
      nodes.push(child);
      if (child.kind === "group") await visit(child.path);
    }
  };
  await visit("");
  return nodes;
}

function sortPaths(paths: string[]): string[] {
  const depth = (p: string) => p.split("/").length;
  return paths.sort(
    (a, b) =>
      depth(a) - depth(b) ||
      (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0),
  );
}

export async function detectFormat(store: Store): Promise<ZarrFormat | undefined> {
  const v3 = await readJson(store, "zarr.json");
  if (isObject(v3)) {
    if (v3.node_type !== "group") {
      throw new InputError(
        "The archive root is a Zarr array, not a group; zarrify archives are groups.",
      );
    }
    return 3;
  }
  if ((await store.get(".zgroup")) !== undefined) return 2;
  if ((await store.get(".zarray")) !== undefined) {
    throw new InputError(
      "The archive root is a Zarr array, not a group; zarrify archives are groups.",
    );
  }
  return undefined;
}

/**
 * Documents are embedded as the exact text in the store, not re-serialised from a parse: the
 * parse cannot tell 100.0 from 100, and a float attribute must stay a float for xarray.
 */
async function rawDoc(store: Store, key: string): Promise<JsonText | undefined> {
  const bytes = await store.get(key);
  return bytes === undefined ? undefined : new JsonText(decoder.decode(bytes).trim());
}

const EMPTY_CONSOLIDATED: JsonObject = { kind: "inline", must_understand: false, metadata: {} };

/** A JSON object's text with one more member at its end, the rest kept byte for byte. */
function spliceMember(text: string, key: string, value: Json): string {
  const body = text.slice(0, text.lastIndexOf("}")).trimEnd();
  const sep = body.endsWith("{") ? "" : ",";
  return `${body}${sep}\n  ${JSON.stringify(key)}: ${stringifyJson(value, 2)}\n}`;
}

export async function writeConsolidated(store: Store, format: ZarrFormat): Promise<void> {
  const nodes = await walk(store, format);
  if (format === 2) {
    const metadata: JsonObject = {};
    const keys = [".zgroup", ".zattrs"];
    for (const node of nodes) {
      for (const [name, doc] of Object.entries(node.docs)) {
        if (doc !== undefined) keys.push(joinPath(node.path, name));
      }
    }
    for (const key of keys) {
      const doc = await rawDoc(store, key);
      if (doc !== undefined) metadata[key] = doc;
    }
    const doc: JsonObject = { metadata, zarr_consolidated_format: 1 };
    await store.set(".zmetadata", jsonBytes(doc, 4));
    return;
  }
  const root = await readJson(store, "zarr.json");
  if (!isObject(root))
    throw new InputError("Cannot consolidate: the archive has no root zarr.json.");
  const metadata: JsonObject = {};
  const groups = new Set(nodes.filter((n) => n.kind === "group").map((n) => n.path));
  for (const p of sortPaths(nodes.map((n) => n.path))) {
    const doc = await rawDoc(store, joinPath(p, "zarr.json"));
    if (doc === undefined) continue;
    // zarr-python 3 gives every group below the root an empty block of its own in the root's
    // listing (DataTree.to_zarr(zarr_format=3, consolidated=True) writes exactly this).
    metadata[p] = groups.has(p)
      ? new JsonText(spliceMember(doc.text, "consolidated_metadata", EMPTY_CONSOLIDATED))
      : doc;
  }
  const consolidated: JsonObject = { kind: "inline", must_understand: false, metadata };
  if (root.consolidated_metadata === undefined) {
    // Splice into the root's own text so its attributes keep their exact form.
    const text = (await rawDoc(store, "zarr.json"))?.text ?? "{}";
    const spliced = `${spliceMember(text, "consolidated_metadata", consolidated)}\n`;
    await store.set("zarr.json", encoder.encode(spliced));
    return;
  }
  // Re-consolidating: replace the old block (the root is re-serialised from its parse here).
  root.consolidated_metadata = consolidated;
  await store.set("zarr.json", jsonBytes(root, 2));
}

function fromNodes(
  format: ZarrFormat,
  rootAttrs: Attrs,
  nodes: Node[],
  consolidated: boolean,
): ArchiveMetadata {
  const arrays = new Map<string, ArrayMeta>();
  const groups = new Map<string, Attrs>();
  for (const n of nodes) {
    if (n.kind === "array") arrays.set(n.path, parseArrayDocuments(format, n.path, n.docs));
    else groups.set(n.path, parseGroupAttrs(format, n.docs));
  }
  return { format, attrs: rootAttrs, arrays, groups, consolidated };
}

function nodesFromConsolidatedV2(metadata: JsonObject): Node[] {
  const byPath = new Map<string, Node>();
  for (const [key, doc] of Object.entries(metadata)) {
    const slash = key.lastIndexOf("/");
    const path = slash < 0 ? "" : key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (path === "") continue;
    const node = byPath.get(path) ?? { path, kind: "group" as const, docs: {} };
    node.docs[name] = doc;
    if (name === ".zarray") node.kind = "array";
    byPath.set(path, node);
  }
  return [...byPath.values()].filter((n) => n.kind === "array" || n.docs[".zgroup"] !== undefined);
}

export async function readArchiveMetadata(
  store: Store,
  options: { consolidated?: boolean } = {},
): Promise<ArchiveMetadata> {
  const format = await detectFormat(store);
  if (format === undefined) {
    throw new InputError("No Zarr archive here: neither zarr.json (v3) nor .zgroup (v2) exists.");
  }
  const useConsolidated = options.consolidated ?? true;
  if (format === 2) {
    const zmeta = useConsolidated ? await readJson(store, ".zmetadata") : undefined;
    if (isObject(zmeta) && isObject(zmeta.metadata)) {
      const md = zmeta.metadata;
      const rootAttrs = parseGroupAttrs(2, { ".zattrs": md[".zattrs"] });
      return fromNodes(2, rootAttrs, nodesFromConsolidatedV2(md), true);
    }
    const rootAttrs = parseGroupAttrs(2, { ".zattrs": await readJson(store, ".zattrs") });
    return fromNodes(2, rootAttrs, await walk(store, 2), false);
  }
  const root = (await readJson(store, "zarr.json")) as JsonObject;
  const rootAttrs = parseGroupAttrs(3, { "zarr.json": root });
  const cm = root.consolidated_metadata;
  if (useConsolidated && isObject(cm) && isObject(cm.metadata)) {
    const nodes: Node[] = [];
    for (const [path, doc] of Object.entries(cm.metadata)) {
      if (!isObject(doc)) continue;
      const kind = doc.node_type === "array" ? "array" : "group";
      nodes.push({ path, kind, docs: { "zarr.json": doc } });
    }
    return fromNodes(3, rootAttrs, nodes, true);
  }
  return fromNodes(3, rootAttrs, await walk(store, 3), false);
}
