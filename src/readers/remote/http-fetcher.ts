/**
 * Ranged reads of one http(s):// URL through Node's fetch: GET with Range, If-Match on a strong
 * ETag (else If-Unmodified-Since on Last-Modified), `Accept-Encoding: identity` so byte offsets
 * are the file's. A server that answers a Range request with the whole body (200) does not
 * support ranges: small files (the whole body within the first read) are taken as they are, for
 * anything larger the read fails with what to do (NoRangeError). Redirects are followed (a
 * presigned URL behind a short link works); no credentials are sent.
 */
import { InputError } from "../../errors.js";
import { NETWORK_CODES } from "../../s3/errors.js";
import {
  ChangedError,
  changedError,
  NoRangeError,
  noRangeError,
  TruncatedError,
} from "./errors.js";
import { parseContentRange } from "./s3-fetcher.js";
import type { RangeFetcher } from "./source.js";
import { type ObjectVersion, strongEtag, versionChange } from "./version.js";

/** A status that is an answer, not bytes. */
class HttpStatusError extends Error {
  override name = "HttpStatusError";
  constructor(
    readonly status: number,
    readonly statusText: string,
  ) {
    super(`${status}${statusText ? ` ${statusText}` : ""}`);
  }
}

const TIMEOUT_MS = 120_000;

function causeCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string; cause?: { code?: string } } };
  return e?.code ?? e?.cause?.code ?? e?.cause?.cause?.code;
}

function versionOf(res: Response, size: number): ObjectVersion {
  const v: ObjectVersion = { size };
  const etag = res.headers.get("etag");
  const lastModified = res.headers.get("last-modified");
  if (etag) v.etag = etag;
  if (lastModified) v.lastModified = lastModified;
  return v;
}

/** The body into target[at, at + length); TruncatedError if it ends early, Error if it runs over. */
async function readBody(res: Response, target: Uint8Array, at: number, length: number) {
  let got = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (got + chunk.length > length) {
        await res.body.cancel().catch(() => {});
        throw new Error(`the server sent more than the ${length} bytes asked for`);
      }
      target.set(chunk, at + got);
      got += chunk.length;
    }
  }
  if (got < length) throw new TruncatedError(`body of ${got} bytes, expected ${length}`);
}

export class HttpFetcher implements RangeFetcher {
  constructor(
    readonly url: string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {}

  private async get(start: number, end: number, version?: ObjectVersion): Promise<Response> {
    const headers: Record<string, string> = {
      range: `bytes=${start}-${end - 1}`,
      "accept-encoding": "identity",
    };
    const etag = version && strongEtag(version);
    if (etag) headers["if-match"] = etag;
    else if (version?.lastModified) headers["if-unmodified-since"] = version.lastModified;
    const res = await fetch(this.url, {
      headers,
      redirect: "follow",
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status === 412) {
      await res.body?.cancel().catch(() => {});
      throw new ChangedError(
        etag ? `its ETag is no longer ${etag}` : `modified since ${version?.lastModified}`,
      );
    }
    const encoding = res.headers.get("content-encoding");
    if (encoding && encoding !== "identity") {
      await res.body?.cancel().catch(() => {});
      throw new Error(`the server sent it ${encoding}-encoded, so byte offsets are not the file's`);
    }
    return res;
  }

  async probe(
    length: number,
    expect?: ObjectVersion,
  ): Promise<{ version: ObjectVersion; head: Uint8Array }> {
    const res = await this.get(0, Math.max(1, length), expect);
    if (res.status === 206) {
      const range = parseContentRange(res.headers.get("content-range"));
      if (!range || range.total === undefined || range.start !== 0) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`unusable Content-Range ${res.headers.get("content-range")}`);
      }
      const version = versionOf(res, range.total);
      const head = new Uint8Array(range.end - range.start);
      await readBody(res, head, 0, head.length);
      return this.checked({ version, head }, expect);
    }
    if (res.status === 416) {
      // Nothing at byte 0: an empty file ("bytes */0").
      await res.body?.cancel().catch(() => {});
      const total = parseContentRange(res.headers.get("content-range")?.replace("*", "0-0"))?.total;
      if (total === 0)
        return this.checked({ version: versionOf(res, 0), head: new Uint8Array() }, expect);
      throw new HttpStatusError(res.status, res.statusText);
    }
    if (res.status === 200) {
      const declared = Number(res.headers.get("content-length") ?? Number.NaN);
      if (!Number.isFinite(declared) || declared > length) {
        await res.body?.cancel().catch(() => {});
        throw new NoRangeError(`200 to a Range request (${declared} bytes)`);
      }
      const head = new Uint8Array(declared);
      await readBody(res, head, 0, declared);
      return this.checked({ version: versionOf(res, declared), head }, expect);
    }
    await res.body?.cancel().catch(() => {});
    throw new HttpStatusError(res.status, res.statusText);
  }

  private checked<T extends { version: ObjectVersion }>(got: T, expect?: ObjectVersion): T {
    if (expect) {
      const change = versionChange(expect, got.version);
      if (change) throw new ChangedError(change);
    }
    return got;
  }

  async fetch(
    start: number,
    end: number,
    version: ObjectVersion,
    target: Uint8Array,
    at: number,
  ): Promise<void> {
    const res = await this.get(start, end, version);
    if (res.status === 206) {
      const range = parseContentRange(res.headers.get("content-range"));
      const change = versionChange(version, {
        size: range?.total,
        etag: res.headers.get("etag") ?? undefined,
        lastModified: res.headers.get("last-modified") ?? undefined,
      });
      if (change || !range || range.start !== start || range.end !== end) {
        await res.body?.cancel().catch(() => {});
        if (change) throw new ChangedError(change);
        throw new Error(
          `asked for bytes ${start}-${end - 1}, got ${res.headers.get("content-range")}`,
        );
      }
      await readBody(res, target, at, end - start);
      return;
    }
    if (res.status === 200 && start === 0 && end === version.size) {
      const change = versionChange(
        version,
        versionOf(res, Number(res.headers.get("content-length") ?? version.size)),
      );
      if (change) {
        await res.body?.cancel().catch(() => {});
        throw new ChangedError(change);
      }
      await readBody(res, target, at, end - start);
      return;
    }
    await res.body?.cancel().catch(() => {});
    if (res.status === 200) throw new NoRangeError("200 to a Range request");
    if (res.status === 416)
      throw new ChangedError(`bytes ${start}-${end - 1} lie past its end now`);
    throw new HttpStatusError(res.status, res.statusText);
  }

  retryable(err: unknown): boolean {
    if (err instanceof HttpStatusError) {
      return err.status >= 500 || err.status === 429 || err.status === 408;
    }
    if (err instanceof TruncatedError) return true;
    if (err instanceof ChangedError || err instanceof NoRangeError) return false;
    const name = (err as Error)?.name;
    if (name === "TimeoutError" || name === "AbortError") return true;
    const code = causeCode(err);
    if (code === "ENOTFOUND") return false;
    if (code !== undefined && (NETWORK_CODES.has(code) || code.startsWith("UND_ERR_"))) return true;
    // undici's "terminated": the connection closed in the middle of a body.
    return (err as Error)?.message === "terminated";
  }

  failure(err: unknown, attempts: number): InputError {
    const url = this.url;
    const tried = attempts > 1 ? ` after ${attempts} attempts` : "";
    const out = (reason: string, hint?: string) =>
      new InputError(`${url}: ${reason}`, { path: url, cause: err, hint });
    if (err instanceof ChangedError) return changedError(url, err.message, err);
    if (err instanceof NoRangeError) return noRangeError(url);
    if (err instanceof HttpStatusError) {
      if (err.status === 404 || err.status === 410) {
        return out(`not found (${err.message})`, "check the URL");
      }
      if (err.status === 401 || err.status === 403) {
        return out(
          `access denied (${err.message})`,
          "zarrify sends no credentials over http(s); a presigned URL may have expired (make a new one), or read objects in S3 as s3://bucket/key with AWS credentials",
        );
      }
      if (this.retryable(err))
        return out(`the server kept failing (${err.message})${tried}`, "try again later");
      return out(`cannot read: the server answered ${err.message}`);
    }
    let host = url;
    try {
      host = new URL(url).host;
    } catch {
      // The URL was checked when the input was named; keep it whole if not.
    }
    const code = causeCode(err);
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
      return out(`cannot reach ${host}: no such host (${code})`, "check the URL's host name");
    }
    if (this.retryable(err)) {
      const why =
        code ?? ((err as Error)?.name === "TimeoutError" ? "timed out" : (err as Error)?.message);
      return out(
        `cannot reach ${host} (${why})${tried}`,
        "check the URL and that the server is up and reachable",
      );
    }
    return out(`cannot read: ${(err as Error)?.message ?? String(err)}`);
  }

  async close(): Promise<void> {
    // fetch keeps its connections in Node's global pool.
  }
}
