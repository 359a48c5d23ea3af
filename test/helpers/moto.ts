/**
 * A real S3 server for the tests: moto's server (python3-moto 5.2.4, which enforces If-Match and
 * If-None-Match on PUT and DELETE) from the Debian sid chroot of scripts/sid-chroot.sh, on
 * 127.0.0.1 and a free port, one per test file:
 *
 *   const moto = await startMoto();           // in beforeAll; moto.stop() in afterAll
 *   new S3Store({ ...moto.s3, prefix: "t" })  // bucket, endpoint, region, forcePathStyle
 *
 * Under CI=true a missing chroot fails the tests (skipMoto is false there); elsewhere they skip,
 * with the reason in `motoSkipReason`. The S3 client's credentials are dummies set in the
 * environment here, so the SDK's default chain finds them and never asks a real AWS account.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import type { Store } from "../../src/zarr/store/types.js";
import { repoRoot } from "./paths.js";
import { sidReady } from "./sid.js";

const SID = join(repoRoot, "scripts/sid-chroot.sh");

export const motoSkipReason = "the sid chroot with moto is not built (scripts/sid-chroot.sh build)";
export const skipMoto = !process.env.CI && !sidReady();

/** Dummy credentials for the SDK's default chain; never a real account's. */
export function useDummyAwsCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = "zarrify-test";
  process.env.AWS_SECRET_ACCESS_KEY = "zarrify-test-secret";
  process.env.AWS_REGION = "us-east-1";
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_ENDPOINT_URL;
  delete process.env.AWS_ENDPOINT_URL_S3;
}

export interface Moto {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  bucket: string;
  /** What an S3Store needs to reach the test bucket. */
  s3: { bucket: string; endpoint: string; region: string; forcePathStyle: boolean };
  /** Creates another bucket. */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One plain HTTP request; resolves with the status code. */
export function httpStatus(url: string, method = "GET"): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      // The whole process group this helper started (bash, unshare, the chrooted python).
      if (child.pid) process.kill(-child.pid, "SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * `python3 -m moto.server` (test/helpers/moto_server.py, which bench/s3.mjs runs too), with two
 * changes the environment switches:
 * - ZARRIFY_MOTO_SERIALISE=1: requests that change objects (PUT, POST, DELETE) run one at a time.
 *   moto checks If-Match / If-None-Match and then stores the object without a lock, so two
 *   conditional PUTs can both pass the check when Python switches threads between the two (the
 *   control test, s3-moto-control.test.ts, catches it with a tiny switch interval). The body is
 *   read before the lock is taken, so a slow client does not hold up the others.
 * - ZARRIFY_MOTO_SWITCH_INTERVAL (seconds): Python's thread switch interval; a tiny one makes a
 *   race inside the server far likelier.
 * The server exits when its stdin closes, so a test process that dies leaves no server behind.
 */
const SERVER = join(repoRoot, "test/helpers/moto_server.py");

export interface MotoOptions {
  /** Run object-changing requests one at a time (default true; see moto_server.py). */
  serialiseWrites?: boolean;
  /** Python's thread switch interval inside the server, in seconds. */
  switchInterval?: number;
  /** More environment for the server (moto's own settings, e.g. INITIAL_NO_AUTH_ACTION_COUNT). */
  env?: Record<string, string>;
}

async function launch(
  port: number,
  options: MotoOptions,
): Promise<{ child: ChildProcess; log: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  env.ZARRIFY_MOTO_SERIALISE = options.serialiseWrites === false ? "0" : "1";
  if (options.switchInterval !== undefined) {
    env.ZARRIFY_MOTO_SWITCH_INTERVAL = String(options.switchInterval);
  } else delete env.ZARRIFY_MOTO_SWITCH_INTERVAL;
  const child = spawn(
    "bash",
    [SID, "run", "python3", SERVER, "-H", "127.0.0.1", "-p", String(port)],
    { detached: true, stdio: ["pipe", "pipe", "pipe"], cwd: repoRoot, env },
  );
  let log = "";
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`moto exited (${child.exitCode}) before answering:\n${log}`);
    }
    try {
      if ((await httpStatus(`http://127.0.0.1:${port}/`)) === 200) return { child, log: () => log };
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`moto did not answer on port ${port} within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startMoto(bucket = "zarrify-test", options: MotoOptions = {}): Promise<Moto> {
  useDummyAwsCredentials();
  let started: { child: ChildProcess; log: () => string } | undefined;
  let port = 0;
  let lastError: unknown;
  // A port found free can be taken before moto binds it: try a few.
  for (let i = 0; i < 3 && !started; i++) {
    port = await freePort();
    try {
      started = await launch(port, options);
    } catch (err) {
      lastError = err;
    }
  }
  if (!started) throw lastError;
  const { child } = started;
  const endpoint = `http://127.0.0.1:${port}`;
  const createBucket = async (name: string) => {
    const status = await httpStatus(`${endpoint}/${name}`, "PUT");
    if (status !== 200) throw new Error(`moto: creating bucket ${name} answered ${status}`);
  };
  await createBucket(bucket);
  return {
    endpoint,
    port,
    bucket,
    s3: { bucket, endpoint, region: "us-east-1", forcePathStyle: true },
    createBucket,
    stop: () => stopChild(child),
  };
}

/**
 * Every object of `store` copied down into the directory `local`, so the Python reference stacks
 * read what the bucket holds (they have no S3 client here). Returns `local`.
 */
export async function downloadArchive(store: Store, local: string): Promise<string> {
  for (const key of await store.list()) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    mkdirSync(dirname(join(local, key)), { recursive: true });
    writeFileSync(join(local, key), bytes);
  }
  return local;
}
