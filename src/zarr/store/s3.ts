/**
 * S3 Store: one object per key under `s3://bucket/prefix`, on the AWS SDK for JavaScript v3, for
 * AWS S3 and S3-compatible services (MinIO, Ceph, R2, moto, ...).
 *
 *   new S3Store({ bucket, prefix?, endpoint?, region?, forcePathStyle?, maxConcurrency?, ... })
 *   store.stats()     requests, retries, bytes sent/received so far (for benchmarks)
 *   store.destroy()   closes the HTTP connections (a store is usable until then)
 *
 * Configuration, as AWS tools do it: credentials, region and profile from the SDK's default chain
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/config and credentials, SSO,
 * instance roles ...); the endpoint from the option, else AWS_ENDPOINT_URL_S3, else
 * AWS_ENDPOINT_URL. Path-style addressing (http://host/bucket/key) when AWS_S3_FORCE_PATH_STYLE is
 * "true", and by default whenever an endpoint is set (AWS_S3_FORCE_PATH_STYLE=false turns it off):
 * S3-compatible servers are usually reached by an address or a name without per-bucket DNS, where
 * virtual-hosted style cannot work. Without a region, a custom endpoint gets us-east-1 (what such
 * servers expect in signatures); AWS itself needs one and its absence is an error.
 *
 * How the guarantees of store/types.ts are kept:
 * - set: one PutObject; S3 replaces an object atomically (readers see the old or the new one).
 *   Every object, a shard included, goes in one PUT: against moto, 16/64/256 MiB objects went
 *   up in 0.44/1.62/4.80 s by single PUT and 0.96/2.47/11.76 s by multipart (8 MiB parts, 4 at
 *   a time), and a single PUT keeps the conditional write one request. S3's single-PUT limit of
 *   5 GiB is checked before sending (tooLarge): such a shard is refused with what to change.
 * - Versions are ETags, plus the write ids described below: "<etag> <id> <prior ids...>".
 * - setIfAbsent / setIfMatch / deleteIfMatch: PutObject with If-None-Match: * / If-Match: <etag>,
 *   DeleteObject with If-Match; the server decides, no lock and no listing.
 * - A lost acknowledgement: a conditional PUT the server applied but whose response never arrived
 *   is retried and then gets 412, although this call wrote the object. Every conditional PUT
 *   carries a random write id in the object's user metadata (x-amz-meta-zarrify-write) and the
 *   ids of the last versions it replaced (x-amz-meta-zarrify-prior, carried over from the version
 *   token). When an attempt of this call may have landed (it failed after being sent) and a later
 *   one gets 412, a HEAD tells: our id is the object's, or among its priors (another writer
 *   already replaced our version through a compare-and-swap), means the write landed: true. So a
 *   retried write never reports true for another's write, nor false for its own; when more than
 *   HISTORY writes replaced it before the check, the history cannot tell, and a StoreError says
 *   the outcome is unknown rather than guess (a merge applied twice, or lost, would be silent).
 *   Remaining ambiguity: a conditional DELETE retried after a lost acknowledgement that finds the
 *   key gone reports true (it cannot tell whether it or another deleter removed it).
 * - Retries are ours, not the SDK's (its maxAttempts is 1): only this loop knows that an earlier
 *   attempt may have landed, which the 412 check above needs. Retried: 5xx, 429 and throttling
 *   codes (SlowDown ...), 409 ConditionalRequestConflict, request timeouts, connection resets and
 *   refusals, truncated bodies. Exponential backoff with full jitter (retryBaseMs · 2^n, capped at
 *   retryMaxMs), at most maxAttempts attempts.
 * - Before its first conditional write a store checks once that the server enforces the
 *   conditions at all (checkConditionalWrites): a server that ignores them would let every
 *   compare-and-swap win.
 * - At most maxConcurrency requests of one store are in flight at a time (a semaphore; bodies are
 *   read before its slot is given back).
 * - Errors a user can fix (no bucket, no or bad credentials, endpoint unreachable, wrong region)
 *   become one StoreError line naming the s3:// URL, with a hint.
 *
 * The SDK (about 200 ms to load) is imported on the first request, so fs-only runs never load it.
 */
import { randomBytes } from "node:crypto";

const MAX_PUT_BYTES = 5 * 2 ** 30;

import type { S3Client } from "@aws-sdk/client-s3";
import { StoreError } from "../../errors.js";
import { HOST_TAG, processIsGone } from "../../process-alive.js";
import {
  loadSdk,
  makeS3Client,
  NoRegionError,
  type Sdk,
  s3Endpoint,
  s3PathStyle,
} from "../../s3/client.js";
import {
  describeS3Failure,
  errInfo,
  isNoSuchKey,
  isPreconditionFailed,
  isRetryable,
} from "../../s3/errors.js";
import {
  backoffDelay,
  DEFAULT_RETRY,
  type RetryPolicy,
  Semaphore,
  sleep,
} from "../../util/retry.js";
import { checkKey, checkPrefix } from "./key.js";
import type { DirListing, Store, StoreDescription, VersionedValue } from "./types.js";

/** User metadata (x-amz-meta-...) of a conditional write: its id, and the ids it replaced. */
const WRITE_META = "zarrify-write";
const PRIOR_META = "zarrify-prior";
/**
 * How many replaced write ids an object remembers: 12 characters (72 random bits) each, so 128
 * of them stay under S3's 2 KiB of user metadata. A write whose acknowledgement is lost is
 * recognised as long as fewer writes than this replaced it before its check (one request timeout
 * plus a backoff later, at worst).
 */
const HISTORY = 128;

const PROBE_DIR = ".zarrify/probe/";
/** In probe names, so a later probe knows whether a pid in one is one of its own host's. */
/** "<host>-<pid>-<ms>-<random>", as probe() names them. */
const PROBE_NAME = /^([0-9a-f]{8})-(\d+)-(\d+)-[A-Za-z0-9_-]+$/;
const STALE_PROBE_MS = 10 * 60 * 1000;

export interface S3StoreOptions {
  bucket: string;
  /** Keys live under "<prefix>/" ("" or omitted: the bucket's root). */
  prefix?: string;
  /** Default: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS's own. */
  endpoint?: string;
  /** Default: the SDK's chain (AWS_REGION, the profile's region). */
  region?: string;
  /** Default: AWS_S3_FORCE_PATH_STYLE, else true when an endpoint is set. */
  forcePathStyle?: boolean;
  /** Requests in flight at once (default 16). */
  maxConcurrency?: number;
  /** The largest object one PUT may carry (default S3's 5 GiB; some compatible services take less). */
  maxPutBytes?: number;
  /** Attempts per request, the first included (default 10). */
  maxAttempts?: number;
  /** First retry delay bound in ms (default 50); doubles per attempt up to retryMaxMs (5000). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Keys per ListObjectsV2 page (default: the server's, 1000 on S3). */
  listPageSize?: number;
  /** Whole request, response included (default 300 000 ms); connection setup (10 000 ms). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * Before its first conditional write, check once that the server enforces If-None-Match and
   * If-Match (default true; see checkConditionalWrites).
   */
  verifyConditionalWrites?: boolean;
}

export interface S3StoreStats {
  requests: number;
  retries: number;
  bytesSent: number;
  bytesReceived: number;
}

/** A key as the store gives it out, or undefined for objects no store key can name. */
function storeKey(key: string): string | undefined {
  try {
    return checkKey(key);
  } catch {
    return undefined;
  }
}

/** Per call: did an attempt fail after it may have reached the server? */
interface Attempts {
  mayHaveLanded: boolean;
  attempts: number;
}

export class S3Store implements Store {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle: boolean;
  private readonly maxAttempts: number;
  private readonly retry: RetryPolicy;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxConcurrency: number;
  private readonly maxPutBytes: number;
  private readonly listPageSize?: number;
  private readonly limit: Semaphore;
  private clientPromise?: Promise<S3Client>;
  private readonly verifyConditionalWrites: boolean;
  private probePromise?: Promise<void>;
  private readonly counters: S3StoreStats = {
    requests: 0,
    retries: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = checkPrefix((options.prefix ?? "").replace(/^\/+/, ""));
    this.endpoint = s3Endpoint(options.endpoint);
    this.region = options.region;
    this.forcePathStyle = s3PathStyle(options.forcePathStyle, this.endpoint);
    this.maxConcurrency = Math.max(1, options.maxConcurrency ?? 16);
    this.maxPutBytes = options.maxPutBytes ?? MAX_PUT_BYTES;
    this.limit = new Semaphore(this.maxConcurrency);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_RETRY.maxAttempts);
    this.listPageSize = options.listPageSize;
    this.retry = {
      maxAttempts: this.maxAttempts,
      retryBaseMs: options.retryBaseMs ?? DEFAULT_RETRY.retryBaseMs,
      retryMaxMs: options.retryMaxMs ?? DEFAULT_RETRY.retryMaxMs,
    };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 300_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.verifyConditionalWrites = options.verifyConditionalWrites ?? true;
  }

  /** s3://bucket/prefix (the archive), or the URL of one key under it. */
  url(key?: string): string {
    const path = [this.prefix, key].filter((p) => p !== undefined && p !== "").join("/");
    return `s3://${this.bucket}/${path}`;
  }

  describe(): StoreDescription {
    const d: StoreDescription = { kind: "s3", bucket: this.bucket, prefix: this.prefix };
    if (this.endpoint !== undefined) d.endpoint = this.endpoint;
    if (this.region !== undefined) d.region = this.region;
    d.forcePathStyle = this.forcePathStyle;
    return d;
  }

  stats(): S3StoreStats {
    return { ...this.counters };
  }

  /** Closes the store's HTTP connections. */
  async destroy(): Promise<void> {
    const p = this.clientPromise;
    this.clientPromise = undefined;
    if (p) (await p.catch(() => undefined))?.destroy();
  }

  private objectKey(key: string): string {
    checkKey(key);
    return this.prefix === "" ? key : `${this.prefix}/${key}`;
  }

  private base(): string {
    return this.prefix === "" ? "" : `${this.prefix}/`;
  }

  // -- the client ------------------------------------------------------------------------------

  private client(): Promise<S3Client> {
    this.clientPromise ??= this.makeClient();
    return this.clientPromise;
  }

  private async makeClient(): Promise<S3Client> {
    try {
      return await makeS3Client({
        endpoint: this.endpoint,
        region: this.region,
        forcePathStyle: this.forcePathStyle,
        maxSockets: this.maxConcurrency,
        requestTimeoutMs: this.requestTimeoutMs,
        connectTimeoutMs: this.connectTimeoutMs,
      });
    } catch (err) {
      if (!(err instanceof NoRegionError)) throw err;
      throw new StoreError(`${this.url()}: no AWS region is configured`, {
        cause: err.cause,
        url: this.url(),
        hint: "set AWS_REGION to the bucket's region (or region in the profile of ~/.aws/config)",
      });
    }
  }

  // -- requests, retries, errors ---------------------------------------------------------------

  /**
   * Runs `fn` (one request, its body read) under the concurrency limit, retrying what is worth
   * retrying; `track` learns whether a failed attempt may have reached the server.
   */
  private async request<T>(
    fn: (client: S3Client, sdk: Sdk) => Promise<T>,
    track: Attempts = { mayHaveLanded: false, attempts: 0 },
  ): Promise<T> {
    const client = await this.client();
    const sdk = await loadSdk();
    for (;;) {
      track.attempts++;
      this.counters.requests++;
      try {
        return await this.limit.run(() => fn(client, sdk));
      } catch (err) {
        if (!isRetryable(err)) throw err;
        // A refused connection never reached the server; anything else may have.
        if (errInfo(err).code !== "ECONNREFUSED") track.mayHaveLanded = true;
        if (track.attempts >= this.maxAttempts) throw err;
        this.counters.retries++;
        await sleep(backoffDelay(track.attempts, this.retry));
      }
    }
  }

  /** Throws the StoreError (or the original error, for a bug) for a failed request. */
  private fail(op: string, key: string | undefined, err: unknown, attempts?: number): never {
    if (err instanceof StoreError) throw err;
    const where = this.url();
    const what = key === undefined ? `cannot ${op}` : `cannot ${op} ${key}`;
    const { reason, hint } = describeS3Failure(err, {
      bucket: this.bucket,
      endpoint: this.endpoint,
      attempts,
      permissions: "s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the bucket",
      busyHint: "try again later, or run fewer writers at once",
    });
    throw new StoreError(`${where}: ${what}: ${reason}`, { cause: err, url: where, hint });
  }

  // -- reading ---------------------------------------------------------------------------------

  private async readBody(body: unknown, expected: number | undefined): Promise<Uint8Array> {
    const stream = body as { transformToByteArray?: () => Promise<Uint8Array> } | undefined;
    const bytes = stream?.transformToByteArray
      ? await stream.transformToByteArray()
      : new Uint8Array();
    if (expected !== undefined && bytes.length !== expected) {
      throw Object.assign(new Error(`body of ${bytes.length} bytes, expected ${expected}`), {
        name: "TruncatedBody",
      });
    }
    this.counters.bytesReceived += bytes.length;
    return bytes;
  }

  private async getObject(
    key: string,
    range?: string,
  ): Promise<{ value: Uint8Array; version: string } | "absent" | "unsatisfiable"> {
    const Key = this.objectKey(key);
    const track: Attempts = { mayHaveLanded: false, attempts: 0 };
    try {
      return await this.request(async (client, sdk) => {
        const r = await client.send(
          new sdk.GetObjectCommand({ Bucket: this.bucket, Key, Range: range }),
        );
        const value = await this.readBody(r.Body, r.ContentLength);
        return { value, version: versionToken(r.ETag, r.Metadata) };
      }, track);
    } catch (err) {
      if (isNoSuchKey(err)) return "absent";
      const { name, status } = errInfo(err);
      if (status === 416 || name === "InvalidRange") return "unsatisfiable";
      return this.fail("read", key, err, track.attempts);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const r = await this.getObject(key);
    return typeof r === "string" ? undefined : r.value;
  }

  async getWithVersion(key: string): Promise<VersionedValue | undefined> {
    const r = await this.getObject(key);
    return typeof r === "string" ? undefined : r;
  }

  async getRange(key: string, offset: number, length?: number): Promise<Uint8Array | undefined> {
    if (offset === 0 && length === undefined) return this.get(key);
    if (length === 0) return (await this.head(key)) === undefined ? undefined : new Uint8Array();
    const end = length === undefined ? "" : String(offset + length - 1);
    const r = await this.getObject(key, `bytes=${offset}-${end}`);
    if (r === "absent") return undefined;
    if (r === "unsatisfiable") return new Uint8Array(); // starts past the end
    return r.value;
  }

  /** The object's ETag and user metadata, or undefined when it does not exist. */
  private async head(
    key: string,
  ): Promise<{ etag?: string; metadata: Record<string, string> } | undefined> {
    const Key = this.objectKey(key);
    const track: Attempts = { mayHaveLanded: false, attempts: 0 };
    try {
      return await this.request(async (client, sdk) => {
        const r = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key }));
        return { etag: r.ETag, metadata: r.Metadata ?? {} };
      }, track);
    } catch (err) {
      if (isNoSuchKey(err) || errInfo(err).status === 404) return undefined;
      return this.fail("read", key, err, track.attempts);
    }
  }

  // -- writing ---------------------------------------------------------------------------------

  /** S3 takes at most 5 GiB in one PutObject (AWS: "Uploading and copying objects"). */
  private tooLarge(key: string, value: Uint8Array): void {
    if (value.byteLength <= this.maxPutBytes) return;
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(n < 2 ** 30 ? 6 : 1)} GiB`;
    throw new StoreError(
      `${this.url(key)}: ${gib(value.byteLength)} is more than one PUT takes (${gib(this.maxPutBytes)})`,
      {
        url: this.url(key),
        hint: "use smaller shards or chunks (a shard is one object): cut them along another dimension",
      },
    );
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    this.tooLarge(key, value);
    const Key = this.objectKey(key);
    const body = new Uint8Array(value); // callers may reuse their buffer while we retry
    const track: Attempts = { mayHaveLanded: false, attempts: 0 };
    try {
      await this.request(async (client, sdk) => {
        await client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: body,
            ContentLength: body.length,
          }),
        );
        this.counters.bytesSent += body.length;
      }, track);
    } catch (err) {
      this.fail("write", key, err, track.attempts);
    }
  }

  /**
   * One conditional PUT; true when this call wrote the object, also when only an earlier attempt
   * of it landed (see the header).
   */
  private async conditionalPut(
    key: string,
    value: Uint8Array,
    condition: { ifNoneMatch: "*" } | { ifMatch: string; prior: string[] },
  ): Promise<boolean> {
    this.tooLarge(key, value);
    const Key = this.objectKey(key);
    const body = new Uint8Array(value);
    await this.checkConditionalWrites();
    const id = randomBytes(9).toString("base64url");
    const Metadata: Record<string, string> = { [WRITE_META]: id };
    if ("prior" in condition && condition.prior.length > 0) {
      Metadata[PRIOR_META] = condition.prior.slice(0, HISTORY).join(" ");
    }
    const track: Attempts = { mayHaveLanded: false, attempts: 0 };
    try {
      await this.request(async (client, sdk) => {
        await client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: body,
            ContentLength: body.length,
            Metadata,
            ...("ifMatch" in condition
              ? { IfMatch: condition.ifMatch }
              : { IfNoneMatch: condition.ifNoneMatch }),
          }),
        );
        this.counters.bytesSent += body.length;
      }, track);
      return true;
    } catch (err) {
      const refused = isPreconditionFailed(err) || ("ifMatch" in condition && isNoSuchKey(err));
      if (refused && !track.mayHaveLanded) return false;
      if (!refused && !(track.mayHaveLanded && isRetryable(err))) {
        return this.fail("write", key, err, track.attempts);
      }
      // Refused now (or out of attempts), but an earlier attempt may have landed: is the object,
      // or a version that replaced it, ours?
      let verdict: "ours" | "not ours" | "unknown";
      try {
        verdict = await this.landed(key, id);
      } catch (headErr) {
        if (refused) throw headErr;
        return this.fail("write", key, err, track.attempts);
      }
      if (verdict === "ours") return true;
      if (!refused) return this.fail("write", key, err, track.attempts);
      if (verdict === "not ours") return false;
      throw new StoreError(
        `${this.url()}: cannot write ${key}: whether it was written is unknown: the answer to an attempt was lost, and more than ${HISTORY} writes have replaced the key since`,
        {
          url: this.url(),
          hint: "run the operation again; fewer writers on the same keys make this rarer",
        },
      );
    }
  }

  /**
   * Did the conditional write with this id land: is the object it, or did it replace it? Unknown
   * when the object's history is full and does not go back far enough to tell.
   */
  private async landed(key: string, id: string): Promise<"ours" | "not ours" | "unknown"> {
    const h = await this.head(key);
    if (h === undefined) return "not ours";
    if (h.metadata[WRITE_META] === id) return "ours";
    const prior = (h.metadata[PRIOR_META] ?? "").split(" ").filter((s) => s !== "");
    if (prior.includes(id)) return "ours";
    return prior.length >= HISTORY ? "unknown" : "not ours";
  }

  async setIfAbsent(key: string, value: Uint8Array): Promise<boolean> {
    return this.conditionalPut(key, value, { ifNoneMatch: "*" });
  }

  async setIfMatch(key: string, value: Uint8Array, version: string | null): Promise<boolean> {
    if (version === null) return this.setIfAbsent(key, value);
    const [etag, ...ids] = version.split(" ");
    checkKey(key);
    if (etag === undefined || etag === "") return false;
    return this.conditionalPut(key, value, { ifMatch: etag, prior: ids });
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    const track: Attempts = { mayHaveLanded: false, attempts: 0 };
    try {
      await this.request(async (client, sdk) => {
        await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key }));
      }, track);
    } catch (err) {
      if (isNoSuchKey(err)) return;
      this.fail("delete", key, err, track.attempts);
    }
  }

  async deleteIfMatch(key: string, version: string): Promise<boolean> {
    const Key = this.objectKey(key);
    const etag = version.split(" ")[0];
    if (etag === undefined || etag === "") return false;
    await this.checkConditionalWrites();
    const track: Attempts = { mayHaveLanded: false, attempts: 0 };
    try {
      await this.request(async (client, sdk) => {
        await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key, IfMatch: etag }));
      }, track);
      return true;
    } catch (err) {
      if (isNoSuchKey(err)) return track.mayHaveLanded; // gone: by an earlier attempt of ours?
      if (isPreconditionFailed(err)) {
        // Another version stands there now. After a lost acknowledgement the key may also have
        // been removed by us and written again since; either way this version is not ours to
        // remove, and the caller learns the key changed.
        if (!track.mayHaveLanded) return false;
        return (await this.head(key)) === undefined;
      }
      return this.fail("delete", key, err, track.attempts);
    }
  }

  // -- is compare-and-swap real? ---------------------------------------------------------------

  /**
   * Once per store, before its first conditional write: does the server enforce If-None-Match
   * and If-Match on PUT, and If-Match on DELETE? Some S3-compatible servers accept the headers
   * and ignore them (moto before 5.2, for one), and every compare-and-swap would then "win":
   * concurrent writers would silently lose updates. Five requests on a probe object
   * ("<prefix>/.zarrify/probe/<host>-<pid>-<time>-<random>", removed afterwards), and a listing
   * for the probes killed processes left; a server that ignores a condition gets a StoreError
   * naming it, on this and every later conditional write of the store.
   */
  checkConditionalWrites(): Promise<void> {
    if (!this.verifyConditionalWrites) return Promise.resolve();
    this.probePromise ??= this.probe().catch((err) => {
      // A server that ignores conditions stays refused; a failed request may be tried again.
      if (!(err instanceof StoreError && err.message.includes(" ignores "))) {
        this.probePromise = undefined;
      }
      throw err;
    });
    return this.probePromise;
  }

  private async probe(): Promise<void> {
    const key = `${PROBE_DIR}${HOST_TAG}-${process.pid}-${Date.now()}-${randomBytes(6).toString("base64url")}`;
    const Key = this.objectKey(key);
    const Body = new TextEncoder().encode("zarrify conditional-write probe");
    const NO_SUCH_ETAG = '"00000000000000000000000000000000"';
    /** True when the server refused the request on its condition (412, or 404 for If-Match). */
    const refused = async (send: (client: S3Client, sdk: Sdk) => Promise<unknown>) => {
      try {
        await this.request(send);
        return false;
      } catch (err) {
        if (isPreconditionFailed(err) || isNoSuchKey(err)) return true;
        throw err;
      }
    };
    const put = (condition: { IfNoneMatch: string } | { IfMatch: string }) =>
      refused((client, sdk) =>
        client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body,
            ContentLength: Body.length,
            ...condition,
          }),
        ),
      );
    const ignored: string[] = [];
    try {
      // Creates the object (a refusal here is our own first attempt, landed, answer lost).
      await put({ IfNoneMatch: "*" });
      if (!(await put({ IfNoneMatch: "*" }))) ignored.push("If-None-Match on PUT");
      if (!(await put({ IfMatch: NO_SUCH_ETAG }))) ignored.push("If-Match on PUT");
      const deleteRefused = await refused((client, sdk) =>
        client.send(
          new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key, IfMatch: NO_SUCH_ETAG }),
        ),
      );
      if (!deleteRefused) ignored.push("If-Match on DELETE");
    } catch (err) {
      return this.fail("check conditional writes with", key, err);
    } finally {
      await this.delete(key).catch(() => undefined);
    }
    await this.removeDeadProbes().catch(() => undefined);
    if (ignored.length > 0) {
      const at = this.endpoint ? ` at ${this.endpoint}` : "";
      throw new StoreError(
        `${this.url()}: the S3 server${at} ignores ${ignored.join(", ")}: concurrent writers would silently lose updates, so zarrify does not write conditionally there`,
        {
          url: this.url(),
          hint: "use a server that enforces conditional writes (AWS S3 does, moto from 5.2.4, other S3-compatible servers in recent releases)",
        },
      );
    }
  }

  /**
   * A process killed during its probe leaves the probe object, which no one else would remove:
   * after each probe, those of dead processes of this host and those older than a live probe
   * can be (10 minutes) go. Names of another form (other versions) are left alone: their owner may
   * be probing, and deleting its object would make it see a condition ignored.
   */
  private async removeDeadProbes(): Promise<void> {
    const now = Date.now();
    for (const key of await this.list(PROBE_DIR)) {
      const m = PROBE_NAME.exec(key.slice(PROBE_DIR.length));
      if (!m) continue;
      const pid = Number(m[2]);
      const dead = m[1] === HOST_TAG && pid !== process.pid && processIsGone(pid);
      if (dead || now - Number(m[3]) > STALE_PROBE_MS) await this.delete(key);
    }
  }

  // -- listing ---------------------------------------------------------------------------------

  /**
   * Every page of a ListObjectsV2 under `fullPrefix` (with `delimiter`, one level), as store keys:
   * objects, and common prefixes without their trailing "/". `what` names the listing in errors.
   */
  private async listAll(
    fullPrefix: string,
    delimiter: string | undefined,
    what: string | undefined,
  ): Promise<DirListing> {
    const base = this.base();
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const track: Attempts = { mayHaveLanded: false, attempts: 0 };
      try {
        const page = await this.request(
          (client, sdk) =>
            client.send(
              new sdk.ListObjectsV2Command({
                Bucket: this.bucket,
                Prefix: fullPrefix,
                Delimiter: delimiter,
                ContinuationToken: token,
                MaxKeys: this.listPageSize,
              }),
            ),
          track,
        );
        for (const o of page.Contents ?? []) {
          const k = o.Key === undefined ? undefined : storeKey(o.Key.slice(base.length));
          if (k !== undefined) keys.push(k);
        }
        for (const p of page.CommonPrefixes ?? []) {
          const k = p.Prefix === undefined ? undefined : storeKey(p.Prefix.slice(base.length, -1));
          if (k !== undefined) prefixes.push(k);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } catch (err) {
        return this.fail("list", what, err, track.attempts);
      }
    } while (token !== undefined);
    return { keys, prefixes };
  }

  async list(prefix = ""): Promise<string[]> {
    return (await this.listAll(this.base() + prefix, undefined, prefix || undefined)).keys;
  }

  async listDir(prefix: string): Promise<DirListing> {
    const dir = checkPrefix(prefix);
    const start = this.base() + (dir === "" ? "" : `${dir}/`);
    return this.listAll(start, "/", dir || undefined);
  }
}

/** "<etag>" for an object no conditional write made, else "<etag> <its id> <prior ids...>". */
function versionToken(etag: string | undefined, metadata: Record<string, string> | undefined) {
  const tag = etag ?? '""';
  const id = metadata?.[WRITE_META];
  if (id === undefined) return tag;
  const prior = (metadata?.[PRIOR_META] ?? "").split(" ").filter((s) => s !== "");
  return [tag, id, ...prior].slice(0, HISTORY + 1).join(" ");
}
