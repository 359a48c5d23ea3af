/**
 * Where inputs and archives may live. A URL such as `s3://bucket/x.zarr` must never be taken for
 * a path: it would quietly become a local directory called `s3:`, and the user would believe the
 * archive went to the bucket.
 *
 *   localPath(path, role)        absolute local path, or a ConfigError naming any URL scheme
 *   parseLocation(loc, role)     a local path or an s3://bucket/prefix, checked; other schemes
 *                                are refused by name
 *
 * Archives (convert's and create-template's outputs, the archive of write-region, append, run,
 * validate) go through parseLocation (ops/archive-store.ts); inputs are local files only for now
 * (localPath).
 */
import { resolve } from "node:path";
import { ConfigError } from "./errors.js";

/** `scheme://`, as RFC 3986 spells schemes. A Windows drive (`C:\`) has no `//` and is not one. */
const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * `path` made absolute, or a ConfigError when it is a URL. `role` says what the path is for in the
 * message ("output", "archive", "input").
 */
export function localPath(path: string, role: string): string {
  const scheme = URL_SCHEME.exec(path)?.[1]?.toLowerCase();
  if (scheme === undefined) return resolve(path);
  if (scheme === "file") {
    throw new ConfigError(`${path}: give the ${role} as a path, not a file:// URL`, {
      hint: `write ${path.replace(/^file:\/\//i, "")}`,
    });
  }
  throw new ConfigError(
    `${path}: ${scheme}:// ${role} locations are not supported; the ${role} must be a local path`,
    {
      hint:
        role === "input"
          ? "copy the file down first (e.g. `aws s3 cp`, `curl -O`); s3:// inputs are not read yet (archives may be s3:// locations)"
          : "use a local path (or a bucket mounted as a file system)",
    },
  );
}

export type Location =
  | { kind: "local"; path: string }
  /** `prefix` without leading or trailing "/" ("" for the bucket's root); `url` as given, tidied. */
  | { kind: "s3"; url: string; bucket: string; prefix: string };

/** S3's rules for new buckets (3-63 of a-z 0-9 . -, starting and ending with a letter or digit). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * A local path (made absolute) or an `s3://bucket/prefix` location, or a ConfigError: an unknown
 * scheme, a file:// URL, a malformed bucket name or prefix.
 */
export function parseLocation(location: string, role: string): Location {
  const scheme = URL_SCHEME.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === "file") {
    return { kind: "local", path: localPath(location, role) };
  }
  if (scheme !== "s3") {
    throw new ConfigError(
      `${location}: ${scheme}:// ${role} locations are not supported; an ${role} is a local path or s3://bucket/prefix`,
      {
        hint: "other object stores (Google Cloud Storage, R2, MinIO, Ceph ...) are reached through their S3-compatible endpoint: set AWS_ENDPOINT_URL and write s3://bucket/prefix",
      },
    );
  }
  const rest = location.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = (slash < 0 ? "" : rest.slice(slash + 1)).replace(/\/+$/, "");
  if (!BUCKET.test(bucket) || bucket.includes("..")) {
    throw new ConfigError(`${location}: "${bucket}" is not an S3 bucket name`, {
      hint: `write the ${role} as s3://BUCKET/PREFIX, with a bucket name of 3 to 63 lowercase letters, digits, dots and hyphens`,
    });
  }
  const parts = prefix === "" ? [] : prefix.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..") || prefix.includes("\\")) {
    throw new ConfigError(
      `${location}: the key prefix "${prefix}" has an empty, "." or ".." part`,
      {
        hint: `write the ${role} as s3://${bucket}/name/of/archive.zarr`,
      },
    );
  }
  return {
    kind: "s3",
    url: `s3://${bucket}/${prefix}`,
    bucket,
    prefix,
  };
}
