/**
 * A small HTTP proxy between an S3 client and the test server (moto) that injects the faults a
 * real object store and network produce:
 *
 *   const proxy = await startFaultProxy(moto.endpoint);
 *   proxy.plan = (r) => (r.method === "PUT" && r.n === 0 ? { kind: "lose-response" } : undefined);
 *   new S3Store({ ...moto.s3, endpoint: proxy.endpoint });
 *   proxy.log        what happened to each request; proxy.stop()
 *
 * Faults (per request, chosen by `plan`):
 * - drop:          close the client's connection; the request never reaches the server
 *                  (`before` runs first: what other clients do meanwhile).
 * - slowdown:      answer 503 SlowDown (S3's throttling) without forwarding.
 * - internal:      answer 500 InternalError without forwarding.
 * - delay:         forward, and hold the server's answer back `ms` before passing it on.
 * - lose-response: forward, let the server apply the request, then close the client's connection
 *                  without answering (a lost acknowledgement). `before` runs in between: what
 *                  other clients do while this one still waits.
 * - truncate:      forward, pass on the headers and half the body, then close the connection.
 * randomFaults() builds a seeded random plan over some of them.
 */
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { seededRandom } from "./random.js";

export type Fault =
  | { kind: "drop"; before?: () => Promise<void> }
  | { kind: "slowdown" }
  | { kind: "internal" }
  | { kind: "delay"; ms: number }
  | { kind: "lose-response"; before?: () => Promise<void> }
  | { kind: "truncate" };

export interface ProxyRequest {
  /** Index of this request among all the proxy saw, from 0. */
  n: number;
  method: string;
  /** Path and query, e.g. "/bucket/prefix/key?x-id=PutObject". */
  url: string;
  headers: IncomingHttpHeaders;
  /** A PUT or DELETE with If-Match or If-None-Match. */
  conditional: boolean;
}

export interface ProxyLogEntry {
  n: number;
  method: string;
  url: string;
  conditional: boolean;
  fault?: Fault["kind"];
  /** The server's status, when the request reached it. */
  status?: number;
  /** x-amz-meta-zarrify-write of a PUT: which S3Store call sent it. */
  writeId?: string;
  /** Milliseconds since the proxy started: when it got the request, and when it answered. */
  at: number;
  answeredAt?: number;
}

export interface FaultProxy {
  endpoint: string;
  plan: (r: ProxyRequest) => Fault | undefined;
  /** Forward without If-Match / If-None-Match: a server that ignores the conditions. */
  stripConditions: boolean;
  log: ProxyLogEntry[];
  /** Requests being handled now, and the most at once since the last resetInFlight(). */
  inFlight: number;
  maxInFlight: number;
  resetInFlight(): void;
  /** Requests that reached the server and changed it (2xx PUT or DELETE), by object path. */
  applied(method: "PUT" | "DELETE", path?: string): ProxyLogEntry[];
  stop(): Promise<void>;
}

/** Each request gets one of `faults` with probability `rate`, drawn from a seeded PRNG. */
export function randomFaults(options: {
  rate: number;
  seed: number;
  faults: Fault[];
  only?: (r: ProxyRequest) => boolean;
}): (r: ProxyRequest) => Fault | undefined {
  const rnd = seededRandom(options.seed);
  return (r) => {
    if (options.only && !options.only(r)) return undefined;
    if (rnd() >= options.rate) return undefined;
    return options.faults[Math.floor(rnd() * options.faults.length)];
  };
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "proxy-connection",
  "upgrade",
  "content-length",
  "expect",
]);

function s3Error(code: string, message: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`,
  );
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on("data", (d: Buffer) => parts.push(d));
    stream.on("end", () => resolve(Buffer.concat(parts)));
    stream.on("error", reject);
  });
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  let counter = 0;
  const born = Date.now();

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      for (const h of Object.keys(headers)) if (HOP_BY_HOP.has(h)) delete headers[h];
      headers["content-length"] = String(body.length);
      if (proxy.stripConditions) {
        delete headers["if-match"];
        delete headers["if-none-match"];
      }
      const up = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (res) => {
          readAll(res).then(
            (b) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }),
            reject,
          );
        },
      );
      up.on("error", reject);
      up.end(body);
    });

  const server = createServer(async (req, res) => {
    const n = counter++;
    proxy.inFlight++;
    proxy.maxInFlight = Math.max(proxy.maxInFlight, proxy.inFlight);
    let done = false;
    const finished = () => {
      if (!done) proxy.inFlight--;
      done = true;
    };
    res.on("close", finished);
    const method = req.method ?? "GET";
    const conditional =
      (method === "PUT" || method === "DELETE") &&
      (req.headers["if-match"] !== undefined || req.headers["if-none-match"] !== undefined);
    const writeId = req.headers["x-amz-meta-zarrify-write"];
    const entry: ProxyLogEntry = {
      n,
      method,
      url: req.url ?? "/",
      conditional,
      writeId: typeof writeId === "string" ? writeId : undefined,
      at: Date.now() - born,
    };
    log.push(entry);
    let fault: Fault | undefined;
    try {
      const body = await readAll(req);
      fault = proxy.plan({ n, method, url: entry.url, headers: req.headers, conditional });
      entry.fault = fault?.kind;
      if (fault?.kind === "drop") {
        await fault.before?.();
        req.socket.destroy();
        return;
      }
      if (fault?.kind === "slowdown" || fault?.kind === "internal") {
        const [status, code, msg] =
          fault.kind === "slowdown"
            ? [503, "SlowDown", "Please reduce your request rate."]
            : [500, "InternalError", "We encountered an internal error. Please try again."];
        const b = s3Error(code, msg);
        res.writeHead(status, { "content-type": "application/xml", "content-length": b.length });
        res.end(method === "HEAD" ? undefined : b);
        return;
      }
      const answer = await forward(req, body);
      entry.status = answer.status;
      entry.answeredAt = Date.now() - born;
      if (fault?.kind === "lose-response") {
        await fault.before?.();
        req.socket.destroy();
        return;
      }
      if (fault?.kind === "delay")
        await new Promise((r) => setTimeout(r, fault?.kind === "delay" ? fault.ms : 0));
      if (res.destroyed || req.socket.destroyed) return;
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) {
        if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      }
      if (method === "HEAD") {
        if (answer.headers["content-length"])
          headers["content-length"] = answer.headers["content-length"];
        res.writeHead(answer.status, headers);
        res.end();
        return;
      }
      headers["content-length"] = String(answer.body.length);
      res.writeHead(answer.status, headers);
      if (fault?.kind === "truncate" && answer.body.length > 1) {
        res.write(answer.body.subarray(0, answer.body.length >> 1), () => req.socket.destroy());
        return;
      }
      res.end(answer.body);
    } catch (err) {
      if (!res.headersSent && !res.destroyed) {
        const b = Buffer.from(String(err));
        res.writeHead(502, { "content-length": b.length });
        res.end(b);
      }
    }
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;

  const proxy: FaultProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    plan: () => undefined,
    stripConditions: false,
    log,
    inFlight: 0,
    maxInFlight: 0,
    resetInFlight() {
      proxy.maxInFlight = proxy.inFlight;
    },
    applied(method, path) {
      return log.filter(
        (e) =>
          e.method === method &&
          e.status !== undefined &&
          e.status >= 200 &&
          e.status < 300 &&
          (path === undefined || e.url.split("?")[0] === path),
      );
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
