/**
 * Where inputs and archives may live. A URL such as `s3://bucket/x.zarr` must never be taken for
 * a path: it would quietly become a local directory called `s3:`, and the user would believe the
 * archive went to the bucket.
 *
 *   localPath(path, role)        absolute local path, or a ConfigError naming any URL scheme
 *   parseLocation(loc, role)     a local path or an s3://bucket/prefix, checked; other schemes
 *                                are refused by name
 *
 *   inputLocation(input)         a local path, s3://bucket/key or an http(s):// URL; other
 *                                schemes are refused by name
 *
 * Archives (convert's and create-template's outputs, the archive of write-region, append, run,
 * validate) go through parseLocation (ops/archive-store.ts), inputs through inputLocation
 * (readers/remote/ reads the URLs by byte ranges).
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
          ? "inputs are local paths, s3://bucket/key or http(s):// URLs; copy the file down first (e.g. `curl -O`) if it is elsewhere"
          : "use a local path (or a bucket mounted as a file system)",
    },
  );
}

/** Whether `input` names a remote input (s3://, http://, https://) rather than a local path. */
export function isRemoteInput(input: string): boolean {
  return /^(s3|https?):\/\//i.test(input);
}

export type InputLocation =
  | { kind: "local"; path: string }
  /** `key` as written after the bucket (no leading "/"); `url` is s3://bucket/key. */
  | { kind: "s3"; url: string; bucket: string; key: string }
  | { kind: "http"; url: string };

/**
 * Where an input lives: a local path (made absolute), s3://bucket/key, or an http(s):// URL; a
 * ConfigError for any other scheme, a file:// URL, a malformed bucket or URL. `key` may hold glob
 * characters: patterns are expanded by ops/inputs.ts.
 */
export function inputLocation(input: string): InputLocation {
  const scheme = URL_SCHEME.exec(input)?.[1]?.toLowerCase();
  if (scheme === "s3") {
    const rest = input.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? "" : rest.slice(slash + 1);
    if (!BUCKET.test(bucket) || bucket.includes("..")) {
      throw new ConfigError(`${input}: "${bucket}" is not an S3 bucket name`, {
        hint: "write the input as s3://BUCKET/KEY, with a bucket name of 3 to 63 lowercase letters, digits, dots and hyphens",
      });
    }
    if (key === "" || key.endsWith("/")) {
      throw new ConfigError(`${input}: names no object: an s3:// input is s3://BUCKET/KEY`, {
        hint: `name the file (s3://${bucket}/path/file.nc) or a pattern (s3://${bucket}/path/*.nc)`,
      });
    }
    return { kind: "s3", url: `s3://${bucket}/${key}`, bucket, key };
  }
  if (scheme === "http" || scheme === "https") {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new ConfigError(`${input}: not a valid URL`, {
        hint: "write the input as https://host/path/file.nc",
      });
    }
    if (url.username || url.password) {
      throw new ConfigError(
        `${url.protocol}//${url.host}${url.pathname}: user names and passwords in input URLs are not supported`,
        {
          hint: "give the file a URL that needs no login, e.g. a presigned one (aws s3 presign)",
        },
      );
    }
    return { kind: "http", url: input };
  }
  if (scheme === undefined || scheme === "file")
    return { kind: "local", path: localPath(input, "input") };
  throw new ConfigError(
    `${input}: ${scheme}:// input locations are not supported; an input is a local path, s3://bucket/key or an http(s):// URL`,
    {
      hint:
        scheme === "gs"
          ? "read Google Cloud Storage through its S3-compatible endpoint (AWS_ENDPOINT_URL=https://storage.googleapis.com, s3://bucket/key) or its https:// URL"
          : "copy the file down first, or reach the object store through its S3-compatible endpoint (set AWS_ENDPOINT_URL and write s3://bucket/key)",
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
