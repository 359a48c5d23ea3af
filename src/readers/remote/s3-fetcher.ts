/**
 * Ranged reads of one S3 object (s3://bucket/key): GetObject with Range and If-Match on the
 * pinned ETag, through a client configured exactly as the archive store's (s3/client.ts: the
 * same endpoint, path style and credential chain), one client per thread and endpoint.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { InputError } from "../../errors.js";
import { loadSdk, makeS3Client, NoRegionError, s3Endpoint, s3PathStyle } from "../../s3/client.js";
import {
  describeS3Failure,
  errInfo,
  isNoSuchKey,
  isPreconditionFailed,
  isRetryable,
} from "../../s3/errors.js";
import { ChangedError, changedError, TruncatedError } from "./errors.js";
import type { RangeFetcher } from "./source.js";
import { type ObjectVersion, versionChange } from "./version.js";

/** Requests of all s3:// inputs of a thread share one client (and its sockets) per endpoint. */
const clients = new Map<string, Promise<S3Client>>();

/** Whole request, response included; a stalled read is retried (the S3 store allows 300 s). */
const REQUEST_TIMEOUT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 10_000;

export function s3Client(): Promise<S3Client> {
  const endpoint = s3Endpoint();
  const forcePathStyle = s3PathStyle(undefined, endpoint);
  const key = `${endpoint ?? ""} ${forcePathStyle}`;
  let made = clients.get(key);
  if (!made) {
    made = makeS3Client({
      endpoint,
      forcePathStyle,
      maxSockets: 64,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    made.catch(() => clients.delete(key));
    clients.set(key, made);
  }
  return made;
}

/** "bytes 0-99/1234" → its parts. */
export function parseContentRange(
  header: string | undefined | null,
): { start: number; end: number; total?: number } | undefined {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(header?.trim() ?? "");
  if (!m) return undefined;
  return {
    start: Number(m[1]),
    end: Number(m[2]) + 1,
    total: m[3] === "*" ? undefined : Number(m[3]),
  };
}

async function bodyBytes(body: unknown): Promise<Uint8Array> {
  const stream = body as { transformToByteArray?: () => Promise<Uint8Array> } | undefined;
  return stream?.transformToByteArray ? await stream.transformToByteArray() : new Uint8Array();
}

export class S3Fetcher implements RangeFetcher {
  readonly url: string;

  constructor(
    private readonly bucket: string,
    private readonly key: string,
  ) {
    this.url = `s3://${bucket}/${key}`;
  }

  /** GetObject of [start, end) (`end` undefined: to the object's end), conditional on `etag`. */
  private async get(start: number, end: number | undefined, etag: string | undefined) {
    const sdk = await loadSdk();
    const c = await s3Client();
    const range = `bytes=${start}-${end === undefined ? "" : end - 1}`;
    try {
      return await c.send(
        new sdk.GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Range: range,
          IfMatch: etag,
        }),
      );
    } catch (err) {
      if (isPreconditionFailed(err)) {
        throw new ChangedError(`its ETag is no longer ${etag}`, { cause: err });
      }
      throw err;
    }
  }

  async probe(
    length: number,
    expect?: ObjectVersion,
  ): Promise<{ version: ObjectVersion; head: Uint8Array }> {
    let r: Awaited<ReturnType<S3Fetcher["get"]>>;
    try {
      r = await this.get(0, length, expect?.etag);
    } catch (err) {
      const { name, status } = errInfo(err);
      // An empty object has no byte 0 to range over.
      if (status === 416 || name === "InvalidRange")
        return { version: await this.head(), head: new Uint8Array() };
      throw err;
    }
    const range = parseContentRange(r.ContentRange);
    const head = await bodyBytes(r.Body);
    const size = range?.total ?? (range ? undefined : head.length);
    if (size === undefined) throw new Error(`no object size in Content-Range ${r.ContentRange}`);
    const version: ObjectVersion = {
      size,
      etag: r.ETag,
      lastModified: r.LastModified?.toUTCString(),
    };
    const expected = Math.min(length, size);
    if (head.length !== expected) {
      throw new TruncatedError(`body of ${head.length} bytes, expected ${expected}`);
    }
    if (expect) {
      const change = versionChange(expect, version);
      if (change) throw new ChangedError(change);
    }
    return { version, head };
  }

  async head(): Promise<ObjectVersion> {
    const sdk = await loadSdk();
    const c = await s3Client();
    const r = await c.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key }));
    return {
      size: r.ContentLength ?? 0,
      etag: r.ETag,
      lastModified: r.LastModified?.toUTCString(),
    };
  }

  async fetch(
    start: number,
    end: number,
    version: ObjectVersion,
    target: Uint8Array,
    at: number,
  ): Promise<void> {
    const r = await this.get(start, end, version.etag);
    const range = parseContentRange(r.ContentRange);
    const change = versionChange(version, {
      size: range?.total,
      etag: r.ETag,
      lastModified: r.LastModified?.toUTCString(),
    });
    if (change) throw new ChangedError(change);
    const bytes = await bodyBytes(r.Body);
    if (bytes.length !== end - start || (range && (range.start !== start || range.end !== end))) {
      throw new TruncatedError(`body of ${bytes.length} bytes, expected ${end - start}`);
    }
    target.set(bytes, at);
  }

  retryable(err: unknown): boolean {
    if (err instanceof ChangedError || err instanceof NoRegionError) return false;
    if (err instanceof TruncatedError) return true;
    return isRetryable(err);
  }

  failure(err: unknown, attempts: number): InputError {
    if (err instanceof ChangedError) return changedError(this.url, err.message, err);
    if (err instanceof NoRegionError) {
      return new InputError(`${this.url}: cannot read: no AWS region is configured`, {
        path: this.url,
        cause: err,
        hint: "set AWS_REGION to the bucket's region (or AWS_ENDPOINT_URL for an S3-compatible server)",
      });
    }
    if (isNoSuchKey(err)) {
      return new InputError(`${this.url}: no such object`, {
        path: this.url,
        cause: err,
        hint: `check the key (aws s3 ls s3://${this.bucket}/${this.key.slice(0, this.key.lastIndexOf("/") + 1)})`,
      });
    }
    const endpoint = s3Endpoint();
    const { reason, hint } = describeS3Failure(err, {
      bucket: this.bucket,
      endpoint,
      attempts,
      permissions: "s3:GetObject on the object (and s3:ListBucket on the bucket for patterns)",
      busyHint: "try again later",
    });
    return new InputError(`${this.url}: cannot read: ${reason}`, {
      path: this.url,
      cause: err,
      hint,
    });
  }

  async close(): Promise<void> {
    // The client is shared by every s3:// input of the thread.
  }
}
