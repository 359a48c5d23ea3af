/**
 * An archive-wide lock for the operations that change metadata (append): one at a time, while
 * region writes (which never touch metadata) go on. Built only on the Store's conditional
 * operations (setIfAbsent to take it, deleteIfMatch to give it back), so it works the same on an
 * object store. A lock whose owner process is gone (same host) or that is older than `staleMs` is
 * taken over.
 */
import { hostname } from "node:os";
import { ConversionError } from "../errors.js";
import type { Store } from "../zarr/store/types.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Owner {
  host: string;
  pid: number;
  time: number;
  what: string;
}

function gone(owner: Owner, staleMs: number): boolean {
  if (Date.now() - owner.time > staleMs) return true;
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export interface LockOptions {
  what: string;
  timeoutMs?: number;
  staleMs?: number;
}

export async function withArchiveLock<T>(
  store: Store,
  key: string,
  options: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const staleMs = options.staleMs ?? 3_600_000;
  const mine = encoder.encode(
    JSON.stringify({ host: hostname(), pid: process.pid, time: Date.now(), what: options.what }),
  );
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  while (!(await store.setIfAbsent(key, mine))) {
    const current = await store.getWithVersion(key);
    if (current) {
      let owner: Owner | undefined;
      try {
        owner = JSON.parse(decoder.decode(current.value)) as Owner;
      } catch {
        owner = undefined;
      }
      if (!owner || gone(owner, staleMs)) {
        await store.deleteIfMatch(key, current.version);
        continue;
      }
      if (Date.now() > deadline) {
        throw new ConversionError(
          `timed out after ${timeoutMs / 1000} s waiting for ${owner.what} (pid ${owner.pid} on ${owner.host}) to finish with this archive`,
          { hint: `if that process is gone, delete ${key} in the archive` },
        );
      }
    }
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 500);
  }
  try {
    return await fn();
  } finally {
    const held = await store.getWithVersion(key);
    if (held && Buffer.from(held.value).equals(Buffer.from(mine))) {
      await store.deleteIfMatch(key, held.version);
    }
  }
}
