/**
 * Where inputs and archives may live: local (or mounted) paths only, for now. A URL such as
 * `s3://bucket/x.zarr` must be refused by name: treated as a path, it would quietly become a local
 * directory called `s3:`, and the user would believe the archive went to the bucket.
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
    `${path}: ${scheme}:// ${role} locations are not supported; zarrify reads and writes local paths only (S3 output is not available yet)`,
    {
      hint: "write to a local path (or a bucket mounted as a filesystem) and copy the archive up afterwards, e.g. with `aws s3 sync` or `gcloud storage cp -r`",
    },
  );
}
