/**
 * A real Redis for the queue tests: Debian's /usr/bin/redis-server on 127.0.0.1 and a free port,
 * nothing saved (`--save '' --appendonly no`), in a temp dir, one per test file:
 *
 *   const redis = await startRedis();   // in beforeAll; redis.stop() in afterAll
 *   redis.url                           // redis://127.0.0.1:PORT/0
 *
 * Under CI=true a missing redis-server fails the tests (skipRedis is false there: .ci/run
 * installs it); elsewhere they skip, with the reason in `redisSkipReason`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { freePort } from "./moto.js";
import { tempDir } from "./paths.js";

export const REDIS_SERVER = "/usr/bin/redis-server";
export const redisSkipReason = `${REDIS_SERVER} is not installed (apt-get install redis-server)`;
export const skipRedis = !process.env.CI && !existsSync(REDIS_SERVER);

export interface TestRedis {
  url: string;
  port: number;
  /** A URL of another database of the same server. */
  db(n: number): string;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      answer += d;
      if (answer.includes("\r\n")) {
        socket.end();
        resolve(answer.startsWith("+PONG"));
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export async function startRedis(): Promise<TestRedis> {
  const dir = tempDir("zarrify-redis-");
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`redis-server did not start on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = (n: number) => `redis://127.0.0.1:${port}/${n}`;
  return {
    url: url(0),
    port,
    db: url,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
