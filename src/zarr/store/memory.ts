/**
 * In-memory Store for tests and small jobs. Values are copied on the way in and out, so callers
 * can reuse their buffers. Versions are a per-store counter, so every write gets a new token.
 *
 *   new MemoryStore()
 *   store.keys(): string[]          synchronous snapshot, handy in tests
 */
import { checkKey, checkPrefix } from "./key.js";
import type { DirListing, Store, VersionedValue } from "./types.js";

export class MemoryStore implements Store {
  private readonly data = new Map<string, { value: Uint8Array; version: string }>();
  private counter = 0;

  keys(): string[] {
    return [...this.data.keys()];
  }

  /** In this process's memory only: work on it stays on this thread. */
  describe(): undefined {
    return undefined;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.data.get(checkKey(key))?.value.slice();
  }

  async getRange(key: string, offset: number, length?: number): Promise<Uint8Array | undefined> {
    const v = this.data.get(checkKey(key))?.value;
    if (v === undefined) return undefined;
    return v.slice(offset, length === undefined ? undefined : offset + length);
  }

  async getWithVersion(key: string): Promise<VersionedValue | undefined> {
    const e = this.data.get(checkKey(key));
    return e && { value: e.value.slice(), version: e.version };
  }

  private put(key: string, value: Uint8Array): void {
    this.data.set(key, { value: new Uint8Array(value), version: String(++this.counter) });
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    this.put(checkKey(key), value);
  }

  async setIfAbsent(key: string, value: Uint8Array): Promise<boolean> {
    if (this.data.has(checkKey(key))) return false;
    this.put(key, value);
    return true;
  }

  async setIfMatch(key: string, value: Uint8Array, version: string | null): Promise<boolean> {
    const cur = this.data.get(checkKey(key));
    if (version === null ? cur !== undefined : cur?.version !== version) return false;
    this.put(key, value);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.data.delete(checkKey(key));
  }

  async deleteIfMatch(key: string, version: string): Promise<boolean> {
    const cur = this.data.get(checkKey(key));
    if (cur?.version !== version) return false;
    this.data.delete(key);
    return true;
  }

  async list(prefix = ""): Promise<string[]> {
    return this.keys().filter((k) => k.startsWith(prefix));
  }

  async listDir(prefix: string): Promise<DirListing> {
    const base = checkPrefix(prefix);
    const start = base === "" ? "" : `${base}/`;
    const keys: string[] = [];
    const prefixes = new Set<string>();
    for (const k of this.data.keys()) {
      if (!k.startsWith(start)) continue;
      const rest = k.slice(start.length);
      const slash = rest.indexOf("/");
      if (slash < 0) keys.push(k);
      else prefixes.add(start + rest.slice(0, slash));
    }
    return { keys, prefixes: [...prefixes] };
  }
}
