/**
 * Store keys for metadata documents and chunks.
 *
 *   chunkKey(format, arrayPath, index): string
 *       v2 (dimension_separator "."):  "t2m/0.1.2";  0-d array: "t2m/0"
 *       v3 (default chunk_key_encoding, separator "/"):  "t2m/c/0/1/2";  0-d array: "t2m/c"
 *   parseChunkKey(format, arrayPath, key, ndim?): number[] | undefined     the inverse; undefined
 *       for keys that are not chunks of that array (metadata, temp files, other arrays, or -- when
 *       ndim is given -- a different number of dimensions)
 *   metadataKeys(format, kind, path): string[]     the documents a node owns, e.g. "t2m/.zarray"
 *   joinPath(...parts): string                      "a" + "b" -> "a/b", "" is the root
 *
 * Paths are relative to the store root, without leading or trailing "/"; "" is the root group.
 */

export type ZarrFormat = 2 | 3;

export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/");
}

export function chunkKey(format: ZarrFormat, arrayPath: string, index: readonly number[]): string {
  if (format === 2) return joinPath(arrayPath, index.length === 0 ? "0" : index.join("."));
  return joinPath(arrayPath, index.length === 0 ? "c" : `c/${index.join("/")}`);
}

const DIGITS = /^\d+$/;

export function parseChunkKey(
  format: ZarrFormat,
  arrayPath: string,
  key: string,
  ndim?: number,
): number[] | undefined {
  const prefix = arrayPath === "" ? "" : `${arrayPath}/`;
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  let parts: string[];
  if (format === 2) {
    if (rest.includes("/")) return undefined;
    parts = rest.split(".");
  } else {
    if (rest === "c") return ndim === undefined || ndim === 0 ? [] : undefined;
    if (!rest.startsWith("c/")) return undefined;
    parts = rest.slice(2).split("/");
  }
  if (!parts.every((p) => DIGITS.test(p))) return undefined;
  if (ndim === 0 && format === 2 && rest === "0") return [];
  if (ndim !== undefined && parts.length !== ndim) return undefined;
  return parts.map(Number);
}

export function metadataKeys(format: ZarrFormat, kind: "array" | "group", path: string): string[] {
  if (format === 3) return [joinPath(path, "zarr.json")];
  return kind === "array"
    ? [joinPath(path, ".zarray"), joinPath(path, ".zattrs")]
    : [joinPath(path, ".zgroup"), joinPath(path, ".zattrs")];
}
