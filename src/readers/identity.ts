/**
 * What identifies the version of an input that was read, for completion markers and
 * `run --resume`: a local file's size and modification time, a remote object's size, ETag and
 * Last-Modified (remote/version.ts), and which version a thread pinned when it opened a URL.
 */
import { stat } from "node:fs/promises";
import { isRemoteInput } from "../location.js";
import { pinnedVersion, remoteVersion } from "./remote/open.js";
import { type ObjectVersion, parseVersionToken } from "./remote/version.js";

export interface InputIdentity {
  size: number;
  /** Local files. */
  mtimeMs?: number;
  /** Remote inputs, whichever the server gives. */
  etag?: string;
  lastModified?: string;
}

/** The identity of `input` now: a stat, or one small request for a URL. */
export async function inputIdentity(input: string): Promise<InputIdentity> {
  if (!isRemoteInput(input)) {
    const st = await stat(input);
    return { size: st.size, mtimeMs: st.mtimeMs };
  }
  return identityOf(await remoteVersion(input));
}

function identityOf(v: ObjectVersion): InputIdentity {
  const out: InputIdentity = { size: v.size };
  if (v.etag !== undefined) out.etag = v.etag;
  if (v.lastModified !== undefined) out.lastModified = v.lastModified;
  return out;
}

/**
 * The identity of the version of `input` that was read: for a URL this thread opened, the
 * version it pinned then (no request, and not whatever replaced it since); else `inputIdentity`.
 */
export async function readIdentity(input: string): Promise<InputIdentity> {
  const token = inputVersion(input);
  return token ? identityOf(parseVersionToken(token)) : inputIdentity(input);
}

/** Whether two identities name the same version (markers of URLs compare ETag, else date). */
export function sameIdentity(a: InputIdentity, b: InputIdentity): boolean {
  if (a.size !== b.size) return false;
  if (a.etag !== undefined || b.etag !== undefined) return a.etag === b.etag;
  if (a.lastModified !== undefined || b.lastModified !== undefined) {
    return a.lastModified === b.lastModified;
  }
  return a.mtimeMs === b.mtimeMs;
}

/**
 * The version token this thread pinned when it last opened the remote input `input` (hand it to
 * workers with the input's path); undefined for local files.
 */
export function inputVersion(input: string): string | undefined {
  return isRemoteInput(input) ? pinnedVersion(input) : undefined;
}
