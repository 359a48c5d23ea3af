/**
 * h5wasm reading a remote file through a byte source. h5wasm has no remote access of its own in
 * Node: its ros3 driver is not built (it needs libcurl), emscripten's `FS.createLazyFile` needs
 * synchronous XMLHttpRequest (web workers only), and the Node build maps every path straight to
 * the local file system (NODERAWFS). What it does have is its emscripten `FS` object, through
 * which every system call of HDF5's sec2 driver passes: `open`, `fstat`, `read`/`pread`, `lseek`.
 *
 * So a remote file is *mounted*: `FS.open`, `FS.stat`, `FS.lstat` and `FS.fstat` are wrapped
 * so that a path under MOUNT_ROOT opens a stream whose reads are answered by a RemoteByteSource.
 * HDF5 reads synchronously and our sources are asynchronous, so the source lives on a helper
 * thread (fetch-thread.ts) and a read here posts the request and blocks on `Atomics.wait` until
 * the helper has put the bytes into shared memory. The helper's source keeps its windows and
 * cache, so HDF5's many small metadata reads cost few requests; nothing is written to disk.
 *
 * A read that fails (the object changed, the server keeps failing) gives HDF5 an I/O error, and
 * the original InputError is kept (`ioError`) so the caller reports it instead of HDF5's
 * "read failed". Nothing else of h5wasm is touched: local paths go to the wrapped originals.
 */
import type { Worker } from "node:worker_threads";
import { InputError } from "../../errors.js";
import { Hint } from "../../hint.js";
import { packageWorker } from "../../package-files.js";

/** The part of emscripten's FS object the mount replaces or uses. */
interface EmFs {
  open(path: string, flags: unknown, mode?: unknown): unknown;
  stat(path: string, dontFollow?: unknown): unknown;
  lstat(path: string): unknown;
  fstat(fd: number): unknown;
  createStream(stream: object, fd?: number): unknown;
  getStreamChecked(fd: number): { path?: string };
  ErrnoError: new (errno: number) => Error;
}

const MOUNT_ROOT = "/.zarrify-remote/";
/** Bytes one round trip to the helper carries; larger reads take several. */
const PIECE = 8 * 2 ** 20;
/** A read the helper has not answered in this time is a hung helper, not a slow network. */
const WAIT_MS = 15 * 60 * 1000;
const EIO = 29;
const ENOENT = 44;

interface Mounted {
  id: number;
  url: string;
  size: number;
  lastModifiedMs: number;
  error?: Error;
  open: boolean;
}

interface Helper {
  worker: Worker;
  ctrl: Int32Array;
  data: Uint8Array;
  pending: Map<number, (reply: OpenReply) => void>;
}

interface OpenReply {
  id: number;
  size?: number;
  version?: string;
  lastModifiedMs?: number;
  error?: { message: string; hintParts?: Hint["parts"]; hint?: string };
}

let helper: Helper | undefined;
let nextId = 1;
const mounts = new Map<string, Mounted>();
const patched = new WeakSet<object>();

function spawnHelper(): Helper {
  const worker = packageWorker("readers/remote/fetch-thread");
  const ctrl = new Int32Array(new SharedArrayBuffer(16));
  const data = new Uint8Array(new SharedArrayBuffer(PIECE));
  const pending = new Map<number, (reply: OpenReply) => void>();
  worker.on("message", (reply: OpenReply) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  worker.on("error", (err) => {
    for (const resolve of pending.values()) resolve({ id: 0, error: { message: err.message } });
    pending.clear();
    if (helper?.worker === worker) helper = undefined;
  });
  worker.postMessage({ op: "init", ctrl: ctrl.buffer, data: data.buffer });
  // The helper serves this thread's reads only; it must not keep the process alive. (Last:
  // attaching a message listener refs a port again.)
  worker.unref();
  return { worker, ctrl, data, pending };
}

function revive(e: NonNullable<OpenReply["error"]>, url: string): InputError {
  return new InputError(e.message, {
    path: url,
    hint: e.hintParts ? new Hint(e.hintParts) : e.hint,
  });
}

/** Blocks until the helper has read [offset, offset + length) of mount `m` into `dest`. */
function readSync(m: Mounted, dest: Uint8Array, offset: number, length: number): number {
  const h = helper;
  if (!h) throw new Error("the remote read helper has stopped");
  let done = 0;
  while (done < length) {
    const n = Math.min(PIECE, length - done);
    Atomics.store(h.ctrl, 0, 0);
    h.worker.postMessage({ op: "read", id: m.id, offset: offset + done, length: n });
    if (Atomics.wait(h.ctrl, 0, 0, WAIT_MS) === "timed-out") {
      throw new InputError(`${m.url}: a read did not finish within ${WAIT_MS / 60000} minutes`, {
        path: m.url,
      });
    }
    const got = Atomics.load(h.ctrl, 1);
    if (Atomics.load(h.ctrl, 0) === 2) {
      const e = JSON.parse(Buffer.from(h.data.subarray(0, got)).toString("utf8"));
      throw revive(e, m.url);
    }
    dest.set(h.data.subarray(0, got), done);
    done += got;
    if (got < n) break;
  }
  return done;
}

function fakeStat(m: Mounted): object {
  const t = new Date(m.lastModifiedMs);
  return {
    dev: 0x7a72,
    ino: m.id,
    mode: 0o100444,
    nlink: 1,
    uid: 0,
    gid: 0,
    rdev: 0,
    size: m.size,
    atime: t,
    mtime: t,
    ctime: t,
    blksize: 4096,
    blocks: Math.ceil(m.size / 512),
  };
}

function mountOf(path: unknown): Mounted | undefined {
  return typeof path === "string" && path.startsWith(MOUNT_ROOT) ? mounts.get(path) : undefined;
}

/** Wraps the FS calls of one h5wasm instance so mounted paths reach their sources. */
function patch(fs: EmFs): void {
  if (patched.has(fs)) return;
  patched.add(fs);
  const { open, stat, lstat, fstat } = fs;
  const streamOps = {
    read(
      stream: { path: string },
      buffer: Int8Array,
      offset: number,
      length: number,
      position: number,
    ): number {
      const m = mounts.get(stream.path);
      if (!m?.open) throw new fs.ErrnoError(EIO);
      if (position >= m.size || length <= 0) return 0;
      const dest = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
      try {
        return readSync(m, dest, position, Math.min(length, m.size - position));
      } catch (err) {
        m.error ??= err instanceof Error ? err : new Error(String(err));
        throw new fs.ErrnoError(EIO);
      }
    },
    llseek(stream: { path: string; position: number }, offset: number, whence: number): number {
      const m = mounts.get(stream.path);
      let position = offset;
      if (whence === 1) position += stream.position;
      else if (whence === 2) position += m?.size ?? 0;
      if (position < 0) throw new fs.ErrnoError(28);
      stream.position = position;
      return position;
    },
  };
  fs.open = (path, flags, mode) => {
    if (typeof path === "string" && path.startsWith(MOUNT_ROOT)) {
      const m = mounts.get(path);
      if (!m?.open) throw new fs.ErrnoError(ENOENT);
      return fs.createStream({
        path,
        flags: 0,
        seekable: true,
        position: 0,
        stream_ops: streamOps,
        node: { mode: 0o100444, id: m.id, path },
      });
    }
    return open.call(fs, path, flags, mode);
  };
  fs.stat = (path, dontFollow) => {
    const m = mountOf(path);
    return m ? fakeStat(m) : stat.call(fs, path, dontFollow);
  };
  fs.lstat = (path) => {
    const m = mountOf(path);
    return m ? fakeStat(m) : lstat.call(fs, path);
  };
  fs.fstat = (fd) => {
    const m = mountOf(fs.getStreamChecked(fd).path);
    return m ? fakeStat(m) : fstat.call(fs, fd);
  };
}

export interface RemoteMount {
  /** The path to give h5wasm's `open`. */
  path: string;
  /** The version the helper pinned (a token for workers and markers). */
  version: string;
  /** The error behind the last failed read, if a read failed. */
  ioError(): Error | undefined;
  /** Unmounts; the helper closes its source. Idempotent. */
  release(): void;
}

/**
 * Mounts the remote input `url` for the h5wasm instance whose FS is `fs`: the helper opens it
 * (at `version` when given) and the returned path reads it. Errors opening it are its InputError.
 */
export async function mountRemote(
  fs: unknown,
  url: string,
  version?: string,
): Promise<RemoteMount> {
  const emfs = fs as EmFs;
  if (typeof emfs?.open !== "function" || typeof emfs.createStream !== "function") {
    throw new Error("this h5wasm build has no emscripten FS to mount remote files on");
  }
  patch(emfs);
  helper ??= spawnHelper();
  const h = helper;
  const id = nextId++;
  // Referenced while an open is awaited: an unreferenced worker's answer would come after an
  // otherwise idle process had already exited.
  h.worker.ref();
  const reply = await new Promise<OpenReply>((resolve) => {
    h.pending.set(id, resolve);
    h.worker.postMessage({ op: "open", id, url, version });
  }).finally(() => {
    if (h.pending.size === 0) h.worker.unref();
  });
  if (reply.error) throw revive(reply.error, url);
  const name = url.slice(url.lastIndexOf("/") + 1).replace(/[^\w.-]/g, "_") || "file";
  const path = `${MOUNT_ROOT}${id}/${name}`;
  const m: Mounted = {
    id,
    url,
    size: reply.size ?? 0,
    lastModifiedMs: reply.lastModifiedMs ?? 0,
    open: true,
  };
  mounts.set(path, m);
  return {
    path,
    version: reply.version ?? "",
    ioError: () => m.error,
    release: () => {
      if (!m.open) return;
      m.open = false;
      mounts.delete(path);
      helper?.worker.postMessage({ op: "close", id });
    },
  };
}
