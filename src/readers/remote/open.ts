/**
 * Remote inputs as byte sources: `openRemoteSource("s3://bucket/key" | "https://...")` opens the
 * object at its current version (one request, which also brings its first 64 KiB) and reads it by
 * ranges from then on (source.ts). The version is remembered per thread (`pinnedVersion`), so the
 * engine can hand it to worker threads, which open the same URL at exactly that version.
 */
import { ConfigError } from "../../errors.js";
import { inputLocation } from "../../location.js";
import { HttpFetcher } from "./http-fetcher.js";
import { S3Fetcher } from "./s3-fetcher.js";
import { type RangeFetcher, RemoteByteSource, type RemoteSourceOptions } from "./source.js";
import { type ObjectVersion, parseVersionToken, versionToken } from "./version.js";

const pinned = new Map<string, string>();

export function fetcherFor(input: string): RangeFetcher {
  const loc = inputLocation(input);
  if (loc.kind === "s3") return new S3Fetcher(loc.bucket, loc.key);
  if (loc.kind === "http") return new HttpFetcher(loc.url);
  throw new ConfigError(`${input}: not a remote input`);
}

export interface OpenRemoteOptions extends Omit<RemoteSourceOptions, "expect"> {
  /** A version token (`versionToken`) the object must still have. */
  version?: string;
}

/** A byte source over the remote input `input`, pinned to its version now (or `version`). */
export async function openRemoteSource(
  input: string,
  options: OpenRemoteOptions = {},
): Promise<RemoteByteSource> {
  const { version, ...rest } = options;
  const expect = version === undefined ? undefined : parseVersionToken(version);
  const source = await RemoteByteSource.open(fetcherFor(input), { ...rest, expect });
  pinned.set(input, versionToken(source.version()));
  return source;
}

/** The version this thread last opened `input` at, as a token; undefined for local files. */
export function pinnedVersion(input: string): string | undefined {
  return pinned.get(input);
}

/** The object's current version (one small request), for completion markers and --resume. */
export async function remoteVersion(input: string): Promise<ObjectVersion> {
  const source = await RemoteByteSource.open(fetcherFor(input), { probeBytes: 1 });
  await source.close();
  return source.version();
}
