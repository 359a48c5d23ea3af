/**
 * Filesystem Store: one file per key under a root directory.
 *
 *   new FsStore(root, { durable?, lockStaleMs?, lockTimeoutMs? })
 *   ...the Store interface, plus getSync(key) / setSync(key, value) for worker threads that would
 *   rather block than bounce through the event loop.
 *
 * How the guarantees of store/types.ts are kept on POSIX filesystems:
 * - set: the value goes to a temp file in the key's own directory, then rename() replaces the
 *   key under the key's lock (below, so it is linearizable with setIfMatch); rename within a
 *   directory is atomic, so readers see the old file or the new one. A killed
 *   writer leaves only a temp file (".<name>.<pid>-...zarrify-tmp"), never a partial key; temp and
 *   lock files are hidden from list/listDir and from zarr (their names start with ".").
 * - setIfAbsent: temp file + link(temp, key). link() fails with EEXIST when the key exists, which
 *   makes "create if absent" atomic without any lock. (On filesystems without hard links the
 *   fallback is an O_EXCL create written in place: still exclusive, but not torn-read proof.)
 * - setIfMatch / deleteIfMatch: under a per-key lock file (".<name>.zarrify-lock", created with
 *   O_EXCL), read the current value, compare its version, then rename/unlink. A lock
 *   whose file is older than lockStaleMs (default 30 s; locks are held for milliseconds) belongs to
 *   a dead writer and is broken; so is, at once, a lock whose owner pid no longer runs on this host.
 * - Versions are the SHA-256 of the content, so they survive restarts and need no side files.
 * - durable: true adds fsync of the file and its directory (power-loss safety) at a large cost.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";
import { threadId } from "node:worker_threads";
import { ConversionError, ZarrifyError } from "../../errors.js";
import { asUserError } from "../../os-error.js";
import { HOST_TAG, processIsGone } from "../../process-alive.js";
import { checkKey, checkPrefix } from "./key.js";
import type { DirListing, Store, StoreDescription, VersionedValue } from "./types.js";

const fsp = fs.promises;
const TMP_SUFFIX = ".zarrify-tmp";
const LOCK_SUFFIX = ".zarrify-lock";

export interface FsStoreOptions {
  durable?: boolean;
  lockStaleMs?: number;
  lockTimeoutMs?: number;
}

function isReserved(name: string): boolean {
  return name.endsWith(TMP_SUFFIX) || name.endsWith(LOCK_SUFFIX);
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

function version(value: Uint8Array): string {
  return createHash("sha256").update(value).digest("hex");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A lock taken by a process of this host that no longer exists (a writer killed with SIGKILL) can
 * be broken at once instead of after lockStaleMs. Other hosts' locks only go stale by age.
 */
function ownerIsGone(content: Buffer): boolean {
  let owner: { pid?: unknown; host?: unknown };
  try {
    owner = JSON.parse(content.toString("utf8"));
  } catch {
    return false; // half-written by a live writer, or not ours: leave it to the age rule
  }
  if (owner.host !== hostname() || typeof owner.pid !== "number") return false;
  if (owner.pid === process.pid) return false;
  return processIsGone(owner.pid);
}

/** Which file a lock is: what releaseLock compares before removing it. */
interface LockIdentity {
  dev: bigint;
  ino: bigint;
  birth: bigint;
}

let tmpCounter = 0;
const PROCESS_TAG = randomBytes(4).toString("hex");
/** In temp names, so a sweeper knows whether a pid in them is one of its own host's. */
/** ".<name>.<host>-<pid>-<thread>-<process tag>-<n>.zarrify-tmp", as tmpFor makes them. */
const TMP_NAME = /\.([0-9a-f]{8})-(\d+)-\d+-[0-9a-f]{8}-\d+\.zarrify-tmp$/;
/**
 * A live writer renames or removes its temp file within the time one chunk takes to write (well
 * under a second; minutes on the slowest network file system), so one this old was left by a
 * killed process, whatever host it ran on.
 */
export const STALE_TEMP_AGE_MS = 10 * 60 * 1000;

export class FsStore implements Store {
  readonly root: string;
  private readonly durable: boolean;
  private readonly lockStaleMs: number;
  private readonly lockTimeoutMs: number;

  constructor(root: string, options: FsStoreOptions = {}) {
    this.root = path.resolve(root);
    this.durable = options.durable ?? false;
    this.lockStaleMs = options.lockStaleMs ?? 30_000;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 120_000;
  }

  describe(): StoreDescription {
    return { kind: "fs", root: this.root };
  }

  private file(key: string): string {
    return path.join(this.root, ...checkKey(key).split("/"));
  }

  private tmpFor(file: string): string {
    const name = `.${path.basename(file)}.${HOST_TAG}-${process.pid}-${threadId}-${PROCESS_TAG}-${++tmpCounter}${TMP_SUFFIX}`;
    return path.join(path.dirname(file), name);
  }

  private fail(op: string, key: string, err: unknown): never {
    const file = path.join(this.root, key);
    const user = asUserError(err, { path: file, context: `cannot ${op}` });
    if (user instanceof ZarrifyError) throw user;
    throw new ConversionError(`cannot ${op} ${file}: ${(err as Error).message}`, { cause: err });
  }

  // -- reading ---------------------------------------------------------------------------------

  async get(key: string): Promise<Uint8Array | undefined> {
    const file = this.file(key);
    try {
      return new Uint8Array(await fsp.readFile(file));
    } catch (err) {
      if (code(err) === "ENOENT" || code(err) === "EISDIR" || code(err) === "ENOTDIR")
        return undefined;
      return this.fail("read", key, err);
    }
  }

  getSync(key: string): Uint8Array | undefined {
    const file = this.file(key);
    try {
      return new Uint8Array(fs.readFileSync(file));
    } catch (err) {
      if (code(err) === "ENOENT" || code(err) === "EISDIR" || code(err) === "ENOTDIR")
        return undefined;
      return this.fail("read", key, err);
    }
  }

  async getRange(key: string, offset: number, length?: number): Promise<Uint8Array | undefined> {
    const file = this.file(key);
    let fh: fs.promises.FileHandle;
    try {
      fh = await fsp.open(file, "r");
    } catch (err) {
      if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return undefined;
      return this.fail("read", key, err);
    }
    try {
      const size = (await fh.stat()).size;
      const start = Math.min(offset, size);
      const n = Math.max(0, Math.min(length ?? size - start, size - start));
      const buf = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(buf, done, n - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buf.subarray(0, done);
    } finally {
      await fh.close();
    }
  }

  async getWithVersion(key: string): Promise<VersionedValue | undefined> {
    const value = await this.get(key);
    return value && { value, version: version(value) };
  }

  // -- writing ---------------------------------------------------------------------------------

  private async writeTemp(file: string, value: Uint8Array): Promise<string> {
    const tmp = this.tmpFor(file);
    const write = async (): Promise<void> => {
      const fh = await fsp.open(tmp, "wx");
      try {
        await fh.writeFile(value);
        if (this.durable) await fh.sync();
      } catch (err) {
        // A write cut short (ENOSPC, EIO) must not leave its partial temp file in the archive.
        await fh.close().catch(() => {});
        await fsp.rm(tmp, { force: true });
        throw err;
      }
      await fh.close();
    };
    try {
      await write();
    } catch (err) {
      if (code(err) !== "ENOENT") throw err;
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await write();
    }
    return tmp;
  }

  private writeTempSync(file: string, value: Uint8Array): string {
    const tmp = this.tmpFor(file);
    const write = (): void => {
      const fd = fs.openSync(tmp, "wx");
      try {
        fs.writeFileSync(fd, value);
        if (this.durable) fs.fsyncSync(fd);
      } catch (err) {
        fs.closeSync(fd);
        fs.rmSync(tmp, { force: true });
        throw err;
      }
      fs.closeSync(fd);
    };
    try {
      write();
    } catch (err) {
      if (code(err) !== "ENOENT") throw err;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      write();
    }
    return tmp;
  }

  private async syncDir(file: string): Promise<void> {
    if (!this.durable) return;
    const fh = await fsp.open(path.dirname(file), "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    const file = this.file(key);
    let tmp: string | undefined;
    try {
      tmp = await this.writeTemp(file, value);
      // Under the key's lock: a rename landing between a setIfMatch's compare and its own rename
      // would be overwritten by that stale merge (a chunk one writer stores blind while another,
      // writing some of the same cells, merges into it: its other cells were lost).
      await this.withLock(key, file, async () => {
        await fsp.rename(tmp as string, file);
        tmp = undefined;
        await this.syncDir(file);
      });
    } catch (err) {
      if (err instanceof ConversionError) throw err;
      this.fail("write", key, err);
    } finally {
      if (tmp) await fsp.rm(tmp, { force: true });
    }
  }

  /** Without the key's lock: not for keys that others update with setIfMatch. */
  setSync(key: string, value: Uint8Array): void {
    const file = this.file(key);
    let tmp: string | undefined;
    try {
      tmp = this.writeTempSync(file, value);
      fs.renameSync(tmp, file);
      tmp = undefined;
      if (this.durable) {
        const fd = fs.openSync(path.dirname(file), "r");
        try {
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
    } catch (err) {
      if (tmp) fs.rmSync(tmp, { force: true });
      this.fail("write", key, err);
    }
  }

  /** Creates `file` with `value` only if it does not exist; true when this call created it. */
  private async createExclusive(file: string, value: Uint8Array): Promise<boolean> {
    const tmp = await this.writeTemp(file, value);
    try {
      await fsp.link(tmp, file);
      await this.syncDir(file);
      return true;
    } catch (err) {
      if (code(err) === "EEXIST") return false;
      if (code(err) === "EPERM" || code(err) === "ENOTSUP" || code(err) === "EOPNOTSUPP") {
        return this.createInPlace(file, value);
      }
      throw err;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  private async createInPlace(file: string, value: Uint8Array): Promise<boolean> {
    let fh: fs.promises.FileHandle;
    try {
      fh = await fsp.open(file, "wx");
    } catch (err) {
      if (code(err) === "EEXIST") return false;
      throw err;
    }
    try {
      await fh.writeFile(value);
      if (this.durable) await fh.sync();
    } finally {
      await fh.close();
    }
    return true;
  }

  async setIfAbsent(key: string, value: Uint8Array): Promise<boolean> {
    const file = this.file(key);
    try {
      return await this.createExclusive(file, value);
    } catch (err) {
      return this.fail("write", key, err);
    }
  }

  async setIfMatch(key: string, value: Uint8Array, expected: string | null): Promise<boolean> {
    if (expected === null) return this.setIfAbsent(key, value);
    const file = this.file(key);
    let tmp: string | undefined;
    try {
      tmp = await this.writeTemp(file, value);
      const written = await this.withLock(key, file, async () => {
        const cur = await this.get(key);
        if (cur === undefined || version(cur) !== expected) return false;
        await fsp.rename(tmp as string, file);
        tmp = undefined;
        await this.syncDir(file);
        return true;
      });
      return written;
    } catch (err) {
      if (err instanceof ConversionError) throw err;
      return this.fail("write", key, err);
    } finally {
      if (tmp) await fsp.rm(tmp, { force: true });
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await fsp.rm(this.file(key), { force: true });
    } catch (err) {
      this.fail("delete", key, err);
    }
  }

  async deleteIfMatch(key: string, expected: string): Promise<boolean> {
    const file = this.file(key);
    return this.withLock(key, file, async () => {
      const cur = await this.get(key);
      if (cur === undefined || version(cur) !== expected) return false;
      await fsp.rm(file, { force: true });
      return true;
    });
  }

  // -- per-key lock ----------------------------------------------------------------------------

  private lockFile(file: string): string {
    return path.join(path.dirname(file), `.${path.basename(file)}${LOCK_SUFFIX}`);
  }

  private async withLock<T>(key: string, file: string, fn: () => Promise<T>): Promise<T> {
    const lock = this.lockFile(file);
    const token = `${hostname()}:${process.pid}:${threadId}:${randomBytes(8).toString("hex")}`;
    const content = Buffer.from(
      JSON.stringify({ token, pid: process.pid, host: hostname(), time: Date.now() }),
    );
    const deadline = Date.now() + this.lockTimeoutMs;
    let delay = 1;
    for (;;) {
      const held = await this.takeLock(lock, content);
      if (held) {
        try {
          return await fn();
        } finally {
          await this.releaseLock(lock, held);
        }
      }
      await this.breakIfStale(lock);
      if (Date.now() > deadline) {
        throw new ConversionError(
          `Timed out waiting for the lock on ${path.join(this.root, key)}.`,
          {
            hint: `If no other writer is running, delete ${lock}.`,
          },
        );
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  }

  /**
   * Creates the lock file with O_EXCL, which is atomic on local filesystems and NFSv3+: one call
   * fewer than the temp + link of setIfAbsent, and locks are taken on every put. A reader can see
   * it empty for an instant; ownerIsGone leaves such a lock to the age rule. Undefined: held by
   * another writer.
   */
  private async takeLock(lock: string, content: Buffer): Promise<LockIdentity | undefined> {
    let fh: fs.promises.FileHandle;
    try {
      fh = await fsp.open(lock, "wx").catch(async (err) => {
        // The key's directory does not exist yet: the first put into it.
        if (code(err) !== "ENOENT") throw err;
        await fsp.mkdir(path.dirname(lock), { recursive: true });
        return fsp.open(lock, "wx");
      });
    } catch (err) {
      if (code(err) === "EEXIST") return undefined;
      throw err;
    }
    try {
      await fh.writeFile(content);
      const st = await fh.stat({ bigint: true });
      return { dev: st.dev, ino: st.ino, birth: st.birthtimeNs };
    } catch (err) {
      await fh.close().catch(() => {});
      await fsp.rm(lock, { force: true });
      throw err;
    } finally {
      await fh.close().catch(() => {});
    }
  }

  /**
   * Removes the lock if it is still the file this writer created: a writer that held it past
   * lockStaleMs may have had it broken and another writer may hold a new one by now. The inode
   * alone could be reused at once; with the birth time (where the filesystem records one, as
   * ext4, xfs and btrfs do) it cannot.
   */
  private async releaseLock(lock: string, held: LockIdentity): Promise<void> {
    try {
      const st = await fsp.stat(lock, { bigint: true });
      if (st.dev === held.dev && st.ino === held.ino && st.birthtimeNs === held.birth) {
        await fsp.rm(lock, { force: true });
      }
    } catch (err) {
      if (code(err) !== "ENOENT") throw err;
    }
  }

  private async breakIfStale(lock: string): Promise<void> {
    let seen: Buffer;
    try {
      const st = await fsp.stat(lock);
      seen = await fsp.readFile(lock);
      if (Date.now() - st.mtimeMs < this.lockStaleMs && !ownerIsGone(seen)) return;
    } catch (err) {
      if (code(err) === "ENOENT") return;
      throw err;
    }
    // Move it aside first and check we moved the stale lock, not a fresh one taken meanwhile.
    const aside = `${lock}.${randomBytes(6).toString("hex")}${TMP_SUFFIX}`;
    try {
      await fsp.rename(lock, aside);
    } catch (err) {
      if (code(err) === "ENOENT") return;
      throw err;
    }
    const moved = await fsp.readFile(aside);
    if (!moved.equals(seen)) {
      try {
        await fsp.link(aside, lock);
      } catch (err) {
        if (code(err) !== "EEXIST") throw err;
      }
    }
    await fsp.rm(aside, { force: true });
  }

  // -- sweeping --------------------------------------------------------------------------------

  /**
   * Removes temp files killed writers left under `prefix` (default: the whole store): those of a
   * dead process of this host, and any older than STALE_TEMP_AGE_MS. Returns how many. Costs a
   * walk of the directory tree, so callers do it once per archive-level operation.
   * `ownProcess`: this process's own temp files go too. Only for a caller that knows none of its
   * threads is writing any more (a worker thread terminated mid-put leaves its temp file under
   * the pid of a process that still runs, which no other rule would ever remove).
   */
  async sweepStaleTemps(
    prefix = "",
    now = Date.now(),
    options: { ownProcess?: boolean } = {},
  ): Promise<number> {
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return;
        throw err;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) {
          await walk(full);
          continue;
        }
        if (!e.name.endsWith(TMP_SUFFIX)) continue;
        const m = TMP_NAME.exec(e.name);
        const pid = m === null ? -1 : Number(m[2]);
        const deadHere =
          m !== null &&
          m[1] === HOST_TAG &&
          (pid === process.pid ? options.ownProcess === true : processIsGone(pid));
        try {
          if (!deadHere && now - (await fsp.stat(full)).mtimeMs < STALE_TEMP_AGE_MS) continue;
          await fsp.rm(full, { force: true });
          removed++;
        } catch (err) {
          if (code(err) !== "ENOENT") throw err; // renamed into place meanwhile: not stale
        }
      }
    };
    await walk(prefix === "" ? this.root : path.join(this.root, ...checkPrefix(prefix).split("/")));
    return removed;
  }

  // -- listing ---------------------------------------------------------------------------------

  async list(prefix = ""): Promise<string[]> {
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash < 0 ? "" : checkPrefix(prefix.slice(0, slash));
    const out: string[] = [];
    const walk = async (key: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(
          key === "" ? this.root : path.join(this.root, ...key.split("/")),
          {
            withFileTypes: true,
          },
        );
      } catch (err) {
        if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return;
        throw err;
      }
      for (const e of entries) {
        if (isReserved(e.name)) continue;
        const child = key === "" ? e.name : `${key}/${e.name}`;
        if (e.isDirectory()) {
          if (child.startsWith(prefix) || prefix.startsWith(`${child}/`)) await walk(child);
        } else if (child.startsWith(prefix)) {
          out.push(child);
        }
      }
    };
    await walk(dirKey);
    return out;
  }

  async listDir(prefix: string): Promise<DirListing> {
    const base = checkPrefix(prefix);
    const dir = base === "" ? this.root : path.join(this.root, ...base.split("/"));
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return { keys: [], prefixes: [] };
      throw err;
    }
    const keys: string[] = [];
    const prefixes: string[] = [];
    for (const e of entries) {
      if (isReserved(e.name)) continue;
      const child = base === "" ? e.name : `${base}/${e.name}`;
      if (e.isDirectory()) prefixes.push(child);
      else keys.push(child);
    }
    return { keys, prefixes };
  }
}
