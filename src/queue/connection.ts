/**
 * Where the queue lives: a `redis://[user:password@]host[:port][/db]` (or `rediss://`, TLS) URL
 * from `--queue` or the ZARRIFY_QUEUE variable, turned into ioredis options, and a quick probe so
 * an unreachable server is one clear error up front instead of ioredis reconnecting forever.
 */
import { Redis, type RedisOptions } from "ioredis";
import { ConfigError } from "../errors.js";
import { hint, opt } from "../hint.js";
import { QUEUE_ENV } from "./env.js";
import { QueueError } from "./errors.js";

export interface QueueServer {
  /** The URL as given. */
  url: string;
  /** The URL with any password hidden, for messages and status. */
  display: string;
  /** ioredis options for the server (host, port, db, credentials, tls). */
  redis: RedisOptions;
}

const URL_HINT = "write it as redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0";

/** `--queue` if given, else ZARRIFY_QUEUE, else a ConfigError saying how to give one. */
export function queueServer(flag: string | undefined, env = process.env): QueueServer {
  const text = flag ?? env[QUEUE_ENV];
  if (text === undefined || text.trim() === "") {
    throw new ConfigError("no queue given: pass --queue redis://HOST:PORT/DB", {
      hint: `or set ${QUEUE_ENV}=redis://HOST:PORT/DB in the environment of every submit and worker`,
    });
  }
  return parseQueueUrl(text.trim());
}

export function parseQueueUrl(text: string): QueueServer {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new ConfigError(`queue URL '${text}' is not a URL`, { hint: URL_HINT });
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new ConfigError(
      `queue URL '${text}': ${u.protocol.replace(/:$/, "")}:// is not a Redis URL`,
      { hint: URL_HINT },
    );
  }
  if (u.hostname === "") {
    throw new ConfigError(`queue URL '${text}' names no host`, { hint: URL_HINT });
  }
  const port = u.port === "" ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isSafeInteger(db) || db < 0 || !/^\d*$/.test(dbText)) {
    throw new ConfigError(`queue URL '${text}': database '${dbText}' is not a number`, {
      hint: URL_HINT,
    });
  }
  const redis: RedisOptions = {
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    db,
  };
  if (u.username) redis.username = decodeURIComponent(u.username);
  if (u.password) redis.password = decodeURIComponent(u.password);
  if (u.protocol === "rediss:") redis.tls = {};
  const display = u.password ? text.replace(`:${u.password}@`, ":***@") : text;
  return { url: text, display, redis };
}

/** One connection for our own keys (registry, generation, summary), failing fast when down. */
export function redisClient(server: QueueServer, o: { failFast?: boolean } = {}): Redis {
  const client = new Redis({
    ...server.redis,
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: o.failFast ? 1 : null,
    ...(o.failFast ? { retryStrategy: () => null, enableOfflineQueue: false } : {}),
  });
  // Connection errors surface through the commands; an unheard 'error' event would crash.
  client.on("error", () => {});
  return client;
}

/** Connects and pings once; a QueueError naming the server when it cannot be reached. */
export async function probe(server: QueueServer): Promise<void> {
  const client = redisClient(server, { failFast: true });
  // ioredis rejects connect() with "Connection is closed."; the socket's own error says why.
  let cause: Error | undefined;
  client.on("error", (err: Error) => {
    cause ??= err;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    const e = cause ?? (err instanceof Error ? err : new Error(String(err)));
    const why =
      (e as NodeJS.ErrnoException).code === "ECONNREFUSED" ? "connection refused" : e.message;
    throw new QueueError(`cannot reach the queue's Redis at ${server.display}: ${why}`, {
      hint: hint`start redis-server there, or point ${opt("queue")} (or ${QUEUE_ENV}) at a running one`,
    });
  } finally {
    client.disconnect();
  }
}
