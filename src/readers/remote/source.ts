/**
 * A `ByteSource` over a remote object read by byte ranges (`RangeFetcher`: S3 GetObject with
 * Range, or an http(s) GET with Range), shaped by how the readers read:
 *
 * - NetCDF-3 reads its header from offset 0 in doubling pieces, then data in long contiguous runs
 *   (up to 16 MiB pieces, 4 in flight) or, for record variables, many small runs one record
 *   apart; the raw HDF5 path reads object headers, B-tree nodes and compressed chunks, each a
 *   ranged read of a few bytes to a few MiB, several tasks at once.
 * - So reads of `directBytes` or more go straight to the server (cut into parts of `partBytes`
 *   fetched in parallel; ends that windows already hold are taken from them) and are not
 *   cached: they are data, read once. Smaller reads
 *   are served from windows fetched around them and kept in an LRU cache that all remote
 *   sources of a thread share (32 MiB, ZARRIFY_REMOTE_CACHE_MB): NetCDF-3 record variables
 *   interleave record by record, so a scan of one of them fetches windows holding the others,
 *   which a scan of those then finds here instead of fetching again. A
 *   window starts at the read and reaches `minWindow` past it, doubling up to `maxWindow` while
 *   reads keep arriving where the last window of their stream ended (several streams are tracked,
 *   as concurrent tasks interleave): a metadata lookup costs one small request, a sequential scan
 *   of small runs few large ones.
 * - Every request asks for the version pinned at open (`ObjectVersion`), and a response of
 *   another version fails the read (ChangedError → one InputError); after that the source
 *   refuses every read, so a file that changed is an error, never a mix.
 * - At most `maxConcurrency` requests of one source are in flight; failed attempts the fetcher
 *   calls retryable (5xx, 429, throttling, timeouts, resets, truncated bodies) are retried with
 *   the shared backoff policy (util/retry.ts).
 */
import { InputError } from "../../errors.js";
import {
  backoffDelay,
  DEFAULT_RETRY,
  type RetryPolicy,
  Semaphore,
  sleep,
} from "../../util/retry.js";
import type { ByteSource } from "../byte-source.js";
import { ChangedError } from "./errors.js";
import type { ObjectVersion } from "./version.js";

export interface RangeFetcher {
  /** The input as the user wrote it (s3://bucket/key, https://...), for messages. */
  readonly url: string;
  /**
   * One attempt at the object's first `length` bytes (fewer when it is shorter) and its version.
   * With `expect`, only that version is accepted (ChangedError otherwise).
   */
  probe(
    length: number,
    expect?: ObjectVersion,
  ): Promise<{ version: ObjectVersion; head: Uint8Array }>;
  /** One attempt at bytes [start, end) of `version`, written to target[at, at + end - start). */
  fetch(
    start: number,
    end: number,
    version: ObjectVersion,
    target: Uint8Array,
    at: number,
  ): Promise<void>;
  /** Whether a failed attempt is worth another. */
  retryable(err: unknown): boolean;
  /** The one-line error a failure becomes once retries are over or pointless. */
  failure(err: unknown, attempts: number): InputError;
  close(): Promise<void>;
}

export interface RemoteSourceOptions {
  /** Only this version is read (a worker opening what another thread pinned). */
  expect?: ObjectVersion;
  /** Requests in flight per source (default 8). */
  maxConcurrency?: number;
  retry?: RetryPolicy;
  /** A cache of its own of this many bytes, instead of the thread's shared one. */
  cacheBytes?: number;
  /** First window of a stream of small reads (default 64 KiB), and its ceiling (4 MiB). */
  minWindow?: number;
  maxWindow?: number;
  /** Reads at least this long bypass windows and cache (default 1 MiB). */
  directBytes?: number;
  /** Direct reads are cut into requests of this size, fetched in parallel (default 8 MiB). */
  partBytes?: number;
  /** Bytes the probe at open fetches (default 64 KiB: a NetCDF-3 header's first read). */
  probeBytes?: number;
}

export interface RemoteSourceStats {
  requests: number;
  retries: number;
  /** Bytes that arrived from the server (cache hits excluded). */
  bytesFetched: number;
}

interface Window {
  start: number;
  end: number;
  bytes: Uint8Array;
  /** Settles when the bytes are in. */
  ready: Promise<void>;
  loaded: boolean;
  used: number;
}

interface Stream {
  next: number;
  window: number;
}

const MAX_STREAMS = 8;

/** Loaded windows of the sources sharing a byte budget, evicted least recently used first. */
class WindowCache {
  private used = 0;
  private readonly entries = new Map<Window, RemoteByteSource>();
  constructor(private readonly limit: number) {}

  add(owner: RemoteByteSource, w: Window): void {
    this.entries.set(w, owner);
    this.used += w.bytes.length;
  }

  remove(w: Window): void {
    if (this.entries.delete(w)) this.used -= w.bytes.length;
  }

  evict(): void {
    while (this.used > this.limit) {
      let victim: Window | undefined;
      for (const w of this.entries.keys()) {
        if (w.loaded && (!victim || w.used < victim.used)) victim = w;
      }
      if (!victim) return;
      this.entries.get(victim)?.forget(victim);
      this.remove(victim);
    }
  }
}

const sharedCache = new WindowCache((Number(process.env.ZARRIFY_REMOTE_CACHE_MB) || 32) * 2 ** 20);
/** Use order across every source of the thread, for the shared cache's LRU. */
let tick = 0;

/** ZARRIFY_REMOTE_TRACE=1: one stderr line per request, for seeing how a file is read. */
const TRACE = process.env.ZARRIFY_REMOTE_TRACE === "1";

export class RemoteByteSource implements ByteSource {
  private readonly limit: Semaphore;
  private readonly retry: RetryPolicy;
  private readonly cache: WindowCache;
  private readonly minWindow: number;
  private readonly maxWindow: number;
  private readonly directBytes: number;
  private readonly partBytes: number;
  private windows: Window[] = [];
  private streams: Stream[] = [];
  private closed = false;
  /** Set once a read found another version: every later read fails with it. */
  private broken?: InputError;
  private readonly counters: RemoteSourceStats = { requests: 0, retries: 0, bytesFetched: 0 };

  private constructor(
    private readonly fetcher: RangeFetcher,
    private readonly pinned: ObjectVersion,
    options: RemoteSourceOptions,
  ) {
    this.limit = new Semaphore(Math.max(1, options.maxConcurrency ?? 8));
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.cache =
      options.cacheBytes === undefined ? sharedCache : new WindowCache(options.cacheBytes);
    this.minWindow = options.minWindow ?? 64 * 1024;
    this.maxWindow = Math.max(this.minWindow, options.maxWindow ?? 4 * 2 ** 20);
    this.directBytes = options.directBytes ?? 2 ** 20;
    this.partBytes = options.partBytes ?? 8 * 2 ** 20;
  }

  /**
   * Opens `fetcher`'s object: one request for its first bytes and version (kept as the first
   * window), unless `expect` names the version already, when nothing is fetched before a read.
   */
  static async open(
    fetcher: RangeFetcher,
    options: RemoteSourceOptions = {},
  ): Promise<RemoteByteSource> {
    if (options.expect) return new RemoteByteSource(fetcher, options.expect, options);
    const probeBytes = options.probeBytes ?? 64 * 1024;
    const counters = { requests: 0, retries: 0, bytesFetched: 0 };
    const { version, head } = await withRetries(
      fetcher,
      options.retry ?? DEFAULT_RETRY,
      counters,
      () => fetcher.probe(probeBytes),
    );
    const source = new RemoteByteSource(fetcher, version, options);
    Object.assign(source.counters, counters);
    source.counters.bytesFetched += head.length;
    if (head.length > 0) {
      const w = {
        start: 0,
        end: head.length,
        bytes: head,
        ready: Promise.resolve(),
        loaded: true,
        used: ++tick,
      };
      source.windows.push(w);
      source.cache.add(source, w);
      source.cache.evict();
      source.streams.push({ next: head.length, window: source.minWindow });
    }
    return source;
  }

  version(): ObjectVersion {
    return { ...this.pinned };
  }

  stats(): RemoteSourceStats {
    return { ...this.counters };
  }

  async size(): Promise<number> {
    return this.pinned.size;
  }

  describe(): string {
    return this.fetcher.url;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.pinned.size - offset));
    // allocUnsafeSlow: not pooled, so the bytes start at byteOffset 0 of their own buffer.
    const buf = Buffer.allocUnsafeSlow(n);
    await this.readInto(buf, 0, n, offset);
    return buf;
  }

  async readInto(target: Uint8Array, at: number, length: number, offset: number): Promise<number> {
    this.check();
    const end = Math.min(offset + length, this.pinned.size);
    if (end <= offset) return 0;
    if (end - offset >= this.directBytes) {
      this.follow(offset, end);
      await this.readDirect(offset, end, target, at);
      return end - offset;
    }
    let pos = offset;
    while (pos < end) {
      let w = this.windows.find((x) => x.start <= pos && pos < x.end);
      if (!w) w = this.addWindow(pos, end);
      w.used = ++tick;
      await w.ready;
      this.check();
      const upTo = Math.min(end, w.end);
      target.set(w.bytes.subarray(pos - w.start, upTo - w.start), at + (pos - offset));
      pos = upTo;
    }
    return end - offset;
  }

  /**
   * A long read: its ends come from windows already held where they reach into it (a small
   * read's window running on into the next variable's data, a record's start), the rest from
   * the server as it is.
   */
  private async readDirect(offset: number, end: number, target: Uint8Array, at: number) {
    let from = offset;
    let to = end;
    const copies: Promise<void>[] = [];
    const take = (w: Window, a: number, b: number) =>
      copies.push(
        w.ready.then(() => {
          target.set(w.bytes.subarray(a - w.start, b - w.start), at + (a - offset));
        }),
      );
    for (let w = this.holding(from); w && from < to; w = this.holding(from)) {
      const upTo = Math.min(to, w.end);
      take(w, from, upTo);
      from = upTo;
    }
    for (let w = this.holding(to - 1); w && from < to; w = this.holding(to - 1)) {
      const down = Math.max(from, w.start);
      take(w, down, to);
      to = down;
    }
    // Inside, large held windows are used too (a scan of another record variable fetched
    // them); smaller ones are read through, as splitting a request costs more than they save.
    const held = this.windows
      .filter((w) => w.start < to && w.end > from && w.end - w.start >= this.directBytes)
      .sort((a, b) => a.start - b.start);
    for (const w of held) {
      if (w.start < from) continue;
      if (w.start > from) {
        copies.push(this.fetchRange(from, w.start, target, at + (from - offset)));
      }
      const upTo = Math.min(to, w.end);
      w.used = ++tick;
      take(w, w.start, upTo);
      from = upTo;
    }
    if (from < to) copies.push(this.fetchRange(from, to, target, at + (from - offset)));
    await Promise.all(copies);
    this.check();
  }

  private holding(pos: number): Window | undefined {
    const w = this.windows.find((x) => x.start <= pos && pos < x.end);
    if (w) w.used = ++tick;
    return w;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.windows) this.cache.remove(w);
    this.windows = [];
    await this.fetcher.close();
  }

  private check(): void {
    if (this.broken) throw this.broken;
    if (this.closed) throw new Error(`${this.fetcher.url}: read after close`);
  }

  /** Notes that a stream read up to `end` (direct reads count: a scan may mix sizes). */
  private follow(start: number, end: number): Stream {
    // A stream may skip ahead by up to its window: strided reads (one record variable of a
    // NetCDF-3 file, record after record) are a scan too, and their windows keep growing.
    const near = this.streams.find(
      (s) =>
        start >= s.next - this.minWindow && start <= s.next + Math.max(this.minWindow, s.window),
    );
    if (near) {
      near.next = end;
      return near;
    }
    const s = { next: end, window: this.minWindow / 2 };
    this.streams.push(s);
    if (this.streams.length > MAX_STREAMS) this.streams.shift();
    return s;
  }

  private addWindow(pos: number, need: number): Window {
    const stream = this.follow(pos, pos);
    stream.window = Math.min(this.maxWindow, Math.max(this.minWindow, stream.window * 2));
    let end = Math.min(this.pinned.size, Math.max(need, pos + stream.window));
    // Stop at the next window already held or on its way: its bytes need no second request.
    for (const w of this.windows)
      if (w.start > pos && w.start < end && w.start >= need) end = w.start;
    stream.next = end;
    const bytes = new Uint8Array(end - pos);
    const w: Window = { start: pos, end, bytes, ready: Promise.resolve(), loaded: false, used: 0 };
    w.ready = this.fetchRange(pos, end, bytes, 0).then(
      () => {
        w.loaded = true;
        this.cache.evict();
      },
      (err) => {
        this.forget(w);
        this.cache.remove(w);
        throw err;
      },
    );
    // Nobody may be waiting on a window another read started and then abandoned.
    w.ready.catch(() => {});
    this.windows.push(w);
    this.cache.add(this, w);
    return w;
  }

  /** Drops a window from this source's lookups (the cache evicted it, or its fetch failed). */
  forget(w: Window): void {
    this.windows = this.windows.filter((x) => x !== w);
  }

  /** [start, end) into target at `at`, in parts fetched in parallel, each with its retries. */
  private async fetchRange(start: number, end: number, target: Uint8Array, at: number) {
    const parts: Promise<void>[] = [];
    for (let p = start; p < end; p += this.partBytes) {
      const q = Math.min(end, p + this.partBytes);
      parts.push(
        this.limit.run(() =>
          withRetries(this.fetcher, this.retry, this.counters, async () => {
            this.check();
            if (TRACE)
              process.stderr.write(`remote: ${this.fetcher.url} bytes ${p}-${q - 1} (${q - p})\n`);
            await this.fetcher.fetch(p, q, this.pinned, target, at + (p - start));
            this.counters.bytesFetched += q - p;
          }),
        ),
      );
    }
    try {
      await Promise.all(parts);
    } catch (err) {
      if (err instanceof InputError && err.cause instanceof ChangedError) this.broken ??= err;
      throw err;
    }
  }
}

/** `attempt` until it succeeds, retrying what the fetcher calls retryable; failures as InputErrors. */
async function withRetries<T>(
  fetcher: RangeFetcher,
  policy: RetryPolicy,
  counters: RemoteSourceStats,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    counters.requests++;
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof InputError) throw err;
      if (!fetcher.retryable(err) || n >= policy.maxAttempts) throw fetcher.failure(err, n);
      counters.retries++;
      await sleep(backoffDelay(n, policy));
    }
  }
}
