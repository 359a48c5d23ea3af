/**
 * Staging on an object store, which cannot rename: a new archive is built in place under its
 * prefix, data first and metadata last, so an interrupted or failed conversion never leaves
 * something that opens as a finished archive (zarr and xarray need the root group document).
 *
 *   stageS3Archive(store, overwrite, onSwept)  → StagedArchive (the same as fs-staging's)
 *
 * How:
 * - A marker, `.zarrify/partial.json` ({host, pid, time}), is taken first with setIfAbsent: a
 *   build is under way. A second run on the same output finds it and refuses while its owner
 *   lives; a marker of a process known dead on this host, or older than a day (another host: its
 *   pid means nothing here), is stale and taken over with setIfMatch on its version, so of
 *   several runs finding it exactly one takes it; that one removes what the dead build left.
 * - The staged store holds metadata documents back (zarr.json, .zgroup, .zarray, .zattrs,
 *   .zmetadata at any level): they live in memory, where the building process reads and lists
 *   them as if stored, until commit() writes them — the arrays' and sub-groups' documents first,
 *   the root's last (.zattrs, .zgroup, zarr.json, then .zmetadata) — and then removes the marker.
 *   Everything else (chunks, .zarrify/ records) goes to the object store at once, also from
 *   worker threads, which open the plain S3 store from describe() and write chunks only.
 *   Holding back in the store is the minimal change: the engine and the metadata code keep their
 *   order (documents before data, consolidated at the end) and need not know about staging.
 * - Finished means a root document exists (zarr.json, .zgroup or .zmetadata). A stale marker
 *   beside one is a commit killed among the root documents: after the last (zarr.json, or v2's
 *   .zmetadata) the archive is complete, and only the marker is removed (the next build refuses
 *   the output as existing); before it, the build is taken over and redone like any other.
 * - abort() deletes every key under the prefix, the marker last. The CLI runs it on SIGINT and
 *   SIGTERM (src/cleanup.ts); what SIGKILL leaves is cleaned up by the next run on the output.
 * - An existing finished archive is refused unless overwrite; with overwrite it is removed
 *   before the build, its root documents first (so it never opens half-deleted), since on one
 *   prefix the old and the new archive cannot both exist.
 * - A bucket's root is refused as the output of a new archive: cleaning up would delete every
 *   object of the bucket.
 */
import { hostname } from "node:os";
import { onInterrupt } from "../../cleanup.js";
import { ConfigError, StoreError } from "../../errors.js";
import { hint, opt } from "../../hint.js";
import { processIsGone } from "../../process-alive.js";
import { FOREIGN_PARTIAL_MAX_AGE_MS, type StagedArchive } from "./fs-staging.js";
import type { S3Store } from "./s3.js";
import type { DirListing, Store, StoreDescription, VersionedValue } from "./types.js";

export const PARTIAL_MARKER_KEY = ".zarrify/partial.json";

const METADATA_NAMES = new Set(["zarr.json", ".zgroup", ".zarray", ".zattrs", ".zmetadata"]);
/** The root documents in the order commit() writes them: whichever is first lets readers open. */
const ROOT_ORDER = [".zattrs", ".zarray", ".zgroup", "zarr.json", ".zmetadata"];
/** Any of these at the root makes an archive open in zarr/xarray. */
const ROOT_OPENERS = ["zarr.json", ".zgroup", ".zmetadata"];

export function isMetadataKey(key: string): boolean {
  return METADATA_NAMES.has(key.slice(key.lastIndexOf("/") + 1));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Marker {
  host: string;
  pid: number;
  time: number;
}

function markerOf(bytes: Uint8Array): Partial<Marker> | undefined {
  try {
    return JSON.parse(decoder.decode(bytes)) as Partial<Marker>;
  } catch {
    return undefined;
  }
}

function isStale(marker: Partial<Marker> | undefined, now: number): boolean {
  if (marker?.host === hostname() && typeof marker.pid === "number" && marker.pid !== process.pid) {
    if (processIsGone(marker.pid)) return true;
  }
  return typeof marker?.time !== "number" || now - marker.time > FOREIGN_PARTIAL_MAX_AGE_MS;
}

/** Whether the store holds a finished archive (a root document zarr or xarray opens). */
export async function holdsFinishedArchive(store: Store): Promise<boolean> {
  const top = await store.listDir("");
  return top.keys.some((k) => ROOT_OPENERS.includes(k));
}

/** Whether the root's last document is there: zarr.json (v3) or .zmetadata (v2, written last). */
async function rootComplete(store: Store): Promise<boolean> {
  const top = await store.listDir("");
  return top.keys.includes("zarr.json") || top.keys.includes(".zmetadata");
}

/** Anything at the prefix besides zarrify's own records (the marker, the store's probe). */
function holdsObjects(top: DirListing): boolean {
  return top.keys.length > 0 || top.prefixes.some((p) => p !== ".zarrify");
}

/** Deletes every key under the store but `keep`, root documents first, `concurrency` at a time. */
async function deleteAll(store: Store, keep: string, concurrency = 32): Promise<number> {
  const top = await store.listDir("");
  for (const name of [...ROOT_OPENERS].reverse()) {
    if (top.keys.includes(name)) await store.delete(name);
  }
  const keys = (await store.list()).filter((k) => k !== keep);
  let next = 0;
  const lane = async () => {
    while (next < keys.length) await store.delete(keys[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, lane));
  return keys.length;
}

/** An S3 store whose metadata documents stay in memory until release(). */
class HoldingStore implements Store {
  private readonly held = new Map<string, { value: Uint8Array; version: string }>();
  private counter = 0;
  /** Set when the build is being removed: writes still under way on this thread must stop. */
  closed = false;

  constructor(readonly inner: Store) {}

  private open(): void {
    if (this.closed) throw new StoreError("the archive being built is being removed");
  }

  private keep(key: string, value: Uint8Array): void {
    this.held.set(key, { value: value.slice(), version: `held-${++this.counter}` });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    if (isMetadataKey(key)) return this.held.get(key)?.value.slice();
    return this.inner.get(key);
  }

  async getRange(key: string, offset: number, length?: number): Promise<Uint8Array | undefined> {
    if (!isMetadataKey(key)) return this.inner.getRange(key, offset, length);
    const v = this.held.get(key)?.value;
    return v?.slice(offset, length === undefined ? undefined : offset + length);
  }

  async getWithVersion(key: string): Promise<VersionedValue | undefined> {
    if (!isMetadataKey(key)) return this.inner.getWithVersion(key);
    const h = this.held.get(key);
    return h && { value: h.value.slice(), version: h.version };
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    this.open();
    if (isMetadataKey(key)) this.keep(key, value);
    else await this.inner.set(key, value);
  }

  async setIfAbsent(key: string, value: Uint8Array): Promise<boolean> {
    this.open();
    if (!isMetadataKey(key)) return this.inner.setIfAbsent(key, value);
    if (this.held.has(key)) return false;
    this.keep(key, value);
    return true;
  }

  async setIfMatch(key: string, value: Uint8Array, version: string | null): Promise<boolean> {
    this.open();
    if (!isMetadataKey(key)) return this.inner.setIfMatch(key, value, version);
    if ((this.held.get(key)?.version ?? null) !== version) return false;
    this.keep(key, value);
    return true;
  }

  async delete(key: string): Promise<void> {
    if (isMetadataKey(key)) this.held.delete(key);
    else await this.inner.delete(key);
  }

  async deleteIfMatch(key: string, version: string): Promise<boolean> {
    if (!isMetadataKey(key)) return this.inner.deleteIfMatch(key, version);
    if (this.held.get(key)?.version !== version) return false;
    this.held.delete(key);
    return true;
  }

  async list(prefix = ""): Promise<string[]> {
    const stored = (await this.inner.list(prefix)).filter((k) => !isMetadataKey(k));
    return [...stored, ...[...this.held.keys()].filter((k) => k.startsWith(prefix))];
  }

  async listDir(prefix: string): Promise<DirListing> {
    const stored = await this.inner.listDir(prefix);
    const keys = new Set(stored.keys.filter((k) => !isMetadataKey(k)));
    const prefixes = new Set(stored.prefixes);
    const base = prefix === "" ? "" : `${prefix}/`;
    for (const k of this.held.keys()) {
      if (!k.startsWith(base)) continue;
      const slash = k.indexOf("/", base.length);
      if (slash < 0) keys.add(k);
      else prefixes.add(k.slice(0, slash));
    }
    return { keys: [...keys], prefixes: [...prefixes] };
  }

  /** Workers open the object store itself: they write chunks, never metadata documents. */
  describe(): StoreDescription | undefined {
    return this.inner.describe();
  }

  /** Writes the held documents: every other one first, then the root's in ROOT_ORDER. */
  async release(): Promise<void> {
    const rank = (k: string) => (k.includes("/") ? -1 : ROOT_ORDER.indexOf(k));
    const inner = [...this.held.keys()].filter((k) => rank(k) < 0);
    await Promise.all(inner.map((k) => this.inner.set(k, this.held.get(k)?.value as Uint8Array)));
    const root = [...this.held.keys()]
      .filter((k) => rank(k) >= 0)
      .sort((a, b) => rank(a) - rank(b));
    for (const k of root) await this.inner.set(k, this.held.get(k)?.value as Uint8Array);
    this.held.clear();
  }
}

/**
 * Stages a new archive at `store`'s prefix. `onSwept` hears of a dead build's leftovers removed
 * on the way (for the log).
 */
export async function stageS3Archive(
  store: S3Store,
  overwrite: boolean,
  onSwept: (what: string) => void = () => {},
): Promise<StagedArchive> {
  const url = store.url();
  if (store.prefix === "") {
    throw new ConfigError(`${url}: a new archive needs a key prefix, not a bucket's root`, {
      hint: `write the output as s3://${store.bucket}/name.zarr`,
    });
  }
  const exists = () =>
    new ConfigError(`${url}: output already exists`, {
      hint: hint`choose a new output location, or pass ${opt("overwrite", true)} to replace it`,
    });
  if (!overwrite && (await holdsFinishedArchive(store))) {
    // A dead build's marker beside the root: its commit was killed among the root documents.
    // Complete (its last one there), only the marker is left to remove; otherwise (v2: .zgroup
    // but no .zmetadata yet) it is an interrupted build like any other, taken over below.
    const current = await store.getWithVersion(PARTIAL_MARKER_KEY);
    if (!current || !isStale(markerOf(current.value), Date.now())) throw exists();
    if (await rootComplete(store)) {
      await store.deleteIfMatch(PARTIAL_MARKER_KEY, current.version);
      throw exists();
    }
  }

  const mine = encoder.encode(
    JSON.stringify({ host: hostname(), pid: process.pid, time: Date.now() } satisfies Marker),
  );
  let tookOver = false;
  while (!(await store.setIfAbsent(PARTIAL_MARKER_KEY, mine))) {
    const current = await store.getWithVersion(PARTIAL_MARKER_KEY);
    if (!current) continue; // removed meanwhile: try again
    const owner = markerOf(current.value);
    if (!isStale(owner, Date.now())) {
      const since = typeof owner?.time === "number" ? new Date(owner.time).toISOString() : "?";
      throw new ConfigError(
        `${url}: another zarrify (pid ${owner?.pid ?? "?"} on ${owner?.host ?? "?"}, since ${since}) is building this archive`,
        {
          hint: `wait for it to finish; if it is gone, delete ${store.url(PARTIAL_MARKER_KEY)} (a day after it started it is taken over anyway)`,
        },
      );
    }
    if (await store.setIfMatch(PARTIAL_MARKER_KEY, mine, current.version)) {
      tookOver = true;
      break;
    }
  }

  const release = () => store.delete(PARTIAL_MARKER_KEY);
  try {
    if ((await holdsFinishedArchive(store)) && !(tookOver && !(await rootComplete(store)))) {
      // Finished: either there before (overwrite) or a commit killed after its root document.
      if (!overwrite) {
        await release();
        throw exists();
      }
      await deleteAll(store, PARTIAL_MARKER_KEY);
    } else if (tookOver) {
      const n = await deleteAll(store, PARTIAL_MARKER_KEY);
      onSwept(`${url} (${n} object(s) of an interrupted build)`);
    } else if (holdsObjects(await store.listDir(""))) {
      if (!overwrite) {
        await release();
        throw new ConfigError(`${url}: output already holds objects (not a zarr archive)`, {
          hint: hint`choose a new output location, or pass ${opt("overwrite", true)} to replace them`,
        });
      }
      await deleteAll(store, PARTIAL_MARKER_KEY);
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) await release().catch(() => {});
    throw err;
  }

  const holding = new HoldingStore(store);
  let aborting: Promise<void> | undefined;
  const removeAll = async () => {
    holding.closed = true;
    // Requests sent before (by this thread, or by worker threads just terminated) may still
    // land after a first pass: look again. What still remains keeps the marker, so the next run
    // removes it.
    for (let pass = 0; pass < 4; pass++) {
      if (pass > 0) await new Promise((r) => setTimeout(r, 250 * pass));
      if ((await deleteAll(holding.inner, PARTIAL_MARKER_KEY)) === 0 && pass > 0) {
        await release();
        return;
      }
    }
  };
  // One removal however many ask (the verb's error path and the interrupt handler both do), and
  // the interrupt handler waits for it: the process must not exit halfway through.
  const abort = () => {
    aborting ??= removeAll();
    return aborting;
  };
  const forget = onInterrupt(abort);
  return {
    store: holding,
    location: url,
    async commit() {
      try {
        await holding.release();
        await release();
      } finally {
        forget();
      }
    },
    async abort() {
      try {
        await abort();
      } finally {
        forget();
      }
    },
  };
}
