/**
 * The helper thread of h5-mount.ts: holds the remote sources of the files mounted for h5wasm on
 * the thread that started it and answers that thread's blocking reads through shared memory
 * (state in ctrl[0]: 0 waiting, 1 done, 2 failed; ctrl[1] the byte count; the bytes, or the
 * error as JSON, in `data`). Opens and closes are ordinary messages.
 */
import { parentPort } from "node:worker_threads";
import type { ZarrifyError } from "../../errors.js";
import { openRemoteSource } from "./open.js";
import type { RemoteByteSource } from "./source.js";
import { versionToken } from "./version.js";

const port = parentPort;
if (!port) throw new Error("fetch-thread.ts runs as a worker thread");

let ctrl: Int32Array | undefined;
let data: Uint8Array | undefined;
const sources = new Map<number, Promise<RemoteByteSource>>();

function errorJson(err: unknown): { message: string; hintParts?: unknown; hint?: string } {
  const e = err as ZarrifyError;
  return {
    message: e instanceof Error ? e.message : String(err),
    hintParts: e?.hintText?.parts,
  };
}

function answer(state: 1 | 2, bytes: number): void {
  if (!ctrl) return;
  Atomics.store(ctrl, 1, bytes);
  Atomics.store(ctrl, 0, state);
  Atomics.notify(ctrl, 0);
}

type Message =
  | { op: "init"; ctrl: SharedArrayBuffer; data: SharedArrayBuffer }
  | { op: "open"; id: number; url: string; version?: string }
  | { op: "read"; id: number; offset: number; length: number }
  | { op: "close"; id: number };

port.on("message", async (m: Message) => {
  if (m.op === "init") {
    ctrl = new Int32Array(m.ctrl);
    data = new Uint8Array(m.data);
  } else if (m.op === "open") {
    const opening = openRemoteSource(m.url, { version: m.version });
    sources.set(m.id, opening);
    try {
      const source = await opening;
      const v = source.version();
      const lastModifiedMs = v.lastModified ? Date.parse(v.lastModified) : 0;
      port.postMessage({
        id: m.id,
        size: v.size,
        version: versionToken(v),
        lastModifiedMs: Number.isFinite(lastModifiedMs) ? lastModifiedMs : 0,
      });
    } catch (err) {
      sources.delete(m.id);
      port.postMessage({ id: m.id, error: errorJson(err) });
    }
  } else if (m.op === "read") {
    if (!data) return;
    try {
      const source = await sources.get(m.id);
      if (!source) throw new Error(`no open remote file ${m.id}`);
      answer(1, await source.readInto(data, 0, m.length, m.offset));
    } catch (err) {
      const bytes = Buffer.from(JSON.stringify(errorJson(err)), "utf8");
      const n = Math.min(bytes.length, data.length);
      data.set(bytes.subarray(0, n));
      answer(2, n);
    }
  } else if (m.op === "close") {
    const source = sources.get(m.id);
    sources.delete(m.id);
    await (await source?.catch(() => undefined))?.close().catch(() => {});
  }
});
