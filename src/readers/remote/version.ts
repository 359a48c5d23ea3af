/**
 * The version of a remote object a reader pinned when it opened it: its size and whichever of
 * ETag and Last-Modified the server gave. Every later ranged read asks for exactly this version
 * (If-Match / If-Unmodified-Since) and checks the answer against it, so an object replaced while
 * it is being read fails the read instead of mixing bytes of two versions. The token form crosses
 * to worker threads and into completion markers.
 */
export interface ObjectVersion {
  size: number;
  etag?: string;
  /** As the server sent it (an HTTP date). */
  lastModified?: string;
}

export function versionToken(v: ObjectVersion): string {
  return JSON.stringify({ size: v.size, etag: v.etag, lastModified: v.lastModified });
}

export function parseVersionToken(token: string): ObjectVersion {
  const v = JSON.parse(token) as ObjectVersion;
  if (typeof v?.size !== "number") throw new Error(`not a remote object version: ${token}`);
  return v;
}

/** A strong ETag (not W/"...") is the only validator If-Match may carry. */
export function strongEtag(v: ObjectVersion): string | undefined {
  return v.etag !== undefined && !v.etag.startsWith("W/") ? v.etag : undefined;
}

/** What differs between the pinned version and what a response shows, or undefined. */
export function versionChange(
  pinned: ObjectVersion,
  seen: { size?: number; etag?: string; lastModified?: string },
): string | undefined {
  if (seen.size !== undefined && seen.size !== pinned.size) {
    return `its size went from ${pinned.size} to ${seen.size} bytes`;
  }
  if (pinned.etag !== undefined && seen.etag !== undefined && seen.etag !== pinned.etag) {
    return `its ETag went from ${pinned.etag} to ${seen.etag}`;
  }
  if (
    pinned.etag === undefined &&
    pinned.lastModified !== undefined &&
    seen.lastModified !== undefined &&
    seen.lastModified !== pinned.lastModified
  ) {
    return `its Last-Modified went from ${pinned.lastModified} to ${seen.lastModified}`;
  }
  return undefined;
}
