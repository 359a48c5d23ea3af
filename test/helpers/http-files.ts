/**
 * A real HTTP file server for remote-input tests (Node's http, on 127.0.0.1 and a free port),
 * serving the files of one directory the way a static web server does: HEAD and GET, byte ranges
 * (`bytes=a-b`, `a-`, `-n`; 206 with Content-Range, 416 past the end), a strong ETag and
 * Last-Modified from the file's stat, If-Match / If-Unmodified-Since (412 when the file is no
 * longer that version), Accept-Ranges. Files are read per request, so replacing one mid-test is a
 * real change of version.
 *
 *   const server = await startFileServer(dir);              // server.url("a.nc"); server.stop()
 *   const plain = await startFileServer(dir, { ignoreRange: true });   // answers 200, whole file
 *   await server.sync(); server.requests                     // what was asked, and the answer
 *
 * The server runs on a worker thread of its own: h5wasm reads remote files with the calling
 * thread blocked (readers/remote/h5-mount.ts), so a server on that same thread would never answer.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";
import { parentPort, Worker, workerData } from "node:worker_threads";

export interface ServedRequest {
  method: string;
  path: string;
  range?: string;
  status: number;
  bytes: number;
}

export interface FileServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  url(name: string): string;
  /** The requests answered so far, as of the last sync(). */
  requests: ServedRequest[];
  /** Waits until `requests` holds every request answered before the call. */
  sync(): Promise<void>;
  /** Bytes of bodies sent, as of the last sync(). */
  bytesSent(): number;
  stop(): Promise<void>;
}

export interface FileServerOptions {
  /** Answer every GET with the whole file and 200, as servers without range support do. */
  ignoreRange?: boolean;
}

function etagOf(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs * 1000).toString(16)}"`;
}

/** [start, end) of a single-range header against `size`; "unsatisfiable" or undefined (none/other). */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
  }
  if (start >= size || end <= start) return "unsatisfiable";
  return { start, end };
}

/** The server itself, on the worker thread; `record` reports each answered request. */
async function serve(
  root: string,
  options: FileServerOptions,
  record: (r: ServedRequest) => void,
): Promise<number> {
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const done = (status: number, bytes: number) =>
      record({ method: req.method ?? "", path, range: req.headers.range, status, bytes });
    const file = normalize(join(root, path));
    let st: ReturnType<typeof statSync>;
    try {
      if (!file.startsWith(normalize(root))) throw new Error("outside");
      st = statSync(file);
      if (!st.isFile()) throw new Error("not a file");
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      done(404, 0);
      return;
    }
    const size = st.size;
    const etag = etagOf(size, st.mtimeMs);
    const lastModified = st.mtime.toUTCString();
    const common: Record<string, string> = { etag, "last-modified": lastModified };
    if (!options.ignoreRange) common["accept-ranges"] = "bytes";
    const ifMatch = req.headers["if-match"];
    const ifUnmodified = req.headers["if-unmodified-since"];
    if (
      (ifMatch !== undefined && ifMatch !== "*" && !ifMatch.split(/\s*,\s*/).includes(etag)) ||
      (ifUnmodified !== undefined &&
        Math.floor(st.mtimeMs / 1000) > Math.floor(Date.parse(ifUnmodified) / 1000))
    ) {
      res.writeHead(412, common).end();
      done(412, 0);
      return;
    }
    const range = options.ignoreRange ? undefined : parseRange(req.headers.range, size);
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...common, "content-range": `bytes */${size}` }).end();
      done(416, 0);
      return;
    }
    const { start, end } = range ?? { start: 0, end: size };
    const status = range ? 206 : 200;
    const headers: Record<string, string> = {
      ...common,
      "content-type": "application/octet-stream",
      "content-length": String(end - start),
    };
    if (range) headers["content-range"] = `bytes ${start}-${end - 1}/${size}`;
    res.writeHead(status, headers);
    if (req.method === "HEAD" || end === start) {
      res.end();
      done(status, 0);
      return;
    }
    const stream = createReadStream(file, { start, end: end - 1 });
    let bytes = 0;
    stream.on("data", (chunk) => {
      bytes += chunk.length;
    });
    // A client that hangs up early (it cancelled a body it did not want) is not an error here.
    res.on("close", () => {
      stream.destroy();
      done(status, bytes);
    });
    stream.pipe(res);
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

if (parentPort && workerData?.zarrifyFileServer) {
  const port = parentPort;
  const { root, options } = workerData.zarrifyFileServer as {
    root: string;
    options: FileServerOptions;
  };
  port.on("message", (m: { sync: number }) => port.postMessage({ synced: m.sync }));
  serve(root, options, (r) => port.postMessage({ request: r })).then((p) =>
    port.postMessage({ port: p }),
  );
}

export async function startFileServer(
  root: string,
  options: FileServerOptions = {},
): Promise<FileServer> {
  const here = import.meta.url;
  const worker = new Worker(
    `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(here)}); });`,
    { eval: true, workerData: { zarrifyFileServer: { root, options } } },
  );
  const requests: ServedRequest[] = [];
  let sent = 0;
  let syncs = 0;
  const waiting = new Map<number, () => void>();
  const port = await new Promise<number>((resolve, reject) => {
    worker.on("error", reject);
    worker.on("message", (m: { port?: number; request?: ServedRequest; synced?: number }) => {
      if (m.port !== undefined) resolve(m.port);
      if (m.request) {
        requests.push(m.request);
        sent += m.request.bytes;
      }
      if (m.synced !== undefined) {
        waiting.get(m.synced)?.();
        waiting.delete(m.synced);
      }
    });
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (name) => `${origin}/${name.split("/").map(encodeURIComponent).join("/")}`,
    requests,
    sync: () =>
      new Promise<void>((resolve) => {
        const n = ++syncs;
        waiting.set(n, resolve);
        worker.postMessage({ sync: n });
      }),
    bytesSent: () => sent,
    stop: async () => {
      await worker.terminate();
    },
  };
}
