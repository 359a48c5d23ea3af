/**
 * A Docker engine for the image tests: Debian's docker.io (`/usr/sbin/dockerd`, and its own
 * client `/usr/bin/docker`, which does BuildKit secrets; the newer client first on PATH lacks
 * buildx). An engine that already answers (DOCKER_HOST, the default socket, or ours) is used as it
 * is; otherwise one is started on its own socket with its data under /var/cache/zarrify/docker
 * (so its build cache survives between runs) and stopped again by `stop()`:
 *
 *   const engine = await startDocker();       // in beforeAll; engine.stop() in afterAll
 *   await engine.run(["run", "--rm", "--network", "none", image, "--version"]);
 *   const base = await engine.baseImage();    // scripts/node-base-image.sh import
 *
 * Under CI=true nothing here skips (.ci/run installs docker.io and builds the base image);
 * elsewhere the tests skip when the engine or the cached base is missing, with `dockerSkipReason`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

export const DOCKER = "/usr/bin/docker";
export const DOCKERD = "/usr/sbin/dockerd";
const BASE_SCRIPT = join(repoRoot, "scripts/node-base-image.sh");
const OWN_SOCKET = "/run/zarrify-docker.sock";
const OWN_HOST = `unix://${OWN_SOCKET}`;
const DATA_ROOT = "/var/cache/zarrify/docker";

function engineMissing(): string | undefined {
  if (!existsSync(DOCKER) || !existsSync(DOCKERD)) {
    return `${DOCKER} or ${DOCKERD} is missing (apt-get install docker.io)`;
  }
  if (process.getuid?.() !== 0) return "starting dockerd and debootstrap need root";
  return undefined;
}

// A missing base only skips locally: under CI, baseImage() builds it (a minute or two).
const baseMissing = () =>
  spawnSync("bash", [BASE_SCRIPT, "path"], { stdio: "ignore" }).status !== 0
    ? "the Node base image is not built (scripts/node-base-image.sh build)"
    : undefined;

export const dockerSkipReason = engineMissing() ?? baseMissing() ?? "";
export const skipDocker = !process.env.CI && dockerSkipReason !== "";

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface DockerEngine {
  /** The environment every docker client call gets: DOCKER_HOST, DOCKER_BUILDKIT=1. */
  env: NodeJS.ProcessEnv;
  /** Runs Debian's docker client with `args`; never throws on a non-zero exit. */
  run(args: string[], options?: { cwd?: string }): Promise<Result>;
  /** Like run, but throws with the output when the exit code is not 0. */
  ok(args: string[], options?: { cwd?: string }): Promise<Result>;
  /** The debootstrap + Node 20 base, imported into this engine; its tag. */
  baseImage(): Promise<string>;
  /** Whether this helper started the engine (and so may tidy it). */
  started: boolean;
  stop(): Promise<void>;
}

function exec(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string = repoRoot,
): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", (err) => resolve({ code: null, stdout, stderr: `${stderr}${err}` }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function clientEnv(host: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_BUILDKIT: "1" };
  if (host) env.DOCKER_HOST = host;
  else delete env.DOCKER_HOST;
  return env;
}

async function answers(host: string | undefined): Promise<boolean> {
  const r = await exec(DOCKER, ["version", "--format", "{{.Server.Version}}"], clientEnv(host));
  return r.code === 0 && r.stdout.trim() !== "";
}

function engine(host: string | undefined, child?: ChildProcess): DockerEngine {
  const env = clientEnv(host);
  const run = (args: string[], o: { cwd?: string } = {}) => exec(DOCKER, args, env, o.cwd);
  return {
    env,
    started: child !== undefined,
    run,
    async ok(args, o) {
      const r = await run(args, o);
      if (r.code !== 0) {
        throw new Error(`docker ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      }
      return r;
    },
    async baseImage() {
      const r = await exec("bash", [BASE_SCRIPT, "import"], { ...env, DOCKER });
      if (r.code !== 0) {
        throw new Error(`scripts/node-base-image.sh import failed (${r.code}): ${r.stderr.trim()}`);
      }
      return r.stdout.trim();
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      // dockerd stops its containers and its containerd on SIGTERM; give it time to.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      });
    },
  };
}

export async function startDocker(): Promise<DockerEngine> {
  const reason = engineMissing();
  if (reason) throw new Error(`cannot run the Docker tests: ${reason}`);
  // undefined: the client's default socket.
  for (const host of [process.env.DOCKER_HOST, OWN_HOST]) {
    if (await answers(host)) return engine(host);
  }
  mkdirSync(DATA_ROOT, { recursive: true });
  const logPath = join(DATA_ROOT, "dockerd.log");
  const log = openSync(logPath, "a");
  const child = spawn(
    DOCKERD,
    [
      "--host",
      OWN_HOST,
      "--data-root",
      DATA_ROOT,
      "--exec-root",
      "/run/zarrify-docker",
      "--pidfile",
      "/run/zarrify-docker.pid",
    ],
    { stdio: ["ignore", log, log] },
  );
  const started = engine(OWN_HOST, child);
  const deadline = Date.now() + 60_000;
  while (!(await answers(OWN_HOST))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await started.stop();
      const tail = readFileSync(logPath, "utf8").trim().split("\n").slice(-3).join(" | ");
      throw new Error(
        `dockerd did not start on ${OWN_SOCKET} (exit ${child.exitCode}); see ${logPath}: ${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return started;
}
