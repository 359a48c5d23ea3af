/**
 * The Dockerfile, built for real on Debian's docker.io engine (test/helpers/docker.ts) over a
 * debootstrap + Node 20 base (scripts/node-base-image.sh, standing in for node:20-bookworm-slim,
 * which no registry here serves): the seed's container workflow run verbatim and checked by
 * xarray against its inputs, the npm_ca build secret in no layer of any stage, the non-root
 * build, and the image's size. Every container runs with --network none.
 */
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { chown, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DOCKER,
  type DockerEngine,
  dockerSkipReason,
  skipDocker,
  startDocker,
} from "../helpers/docker.js";
import { repoRoot, tempDir } from "../helpers/paths.js";
import { sidPython, skipSid } from "../helpers/sid.js";
import { makeSeries } from "../region/series.js";

const COMPARE = join(repoRoot, "test/interop/compare_xarray.py");
const SEED = resolve(repoRoot, "../shared/seed/parallel-processing.rst");
const SIZE_GOAL = 300_000_000;
// Fixed, not random: a layer cached by an earlier run was built with an earlier secret file, and
// must be checked against what that file held too.
const CANARY = "# zarrify npm_ca canary 5d0c1e7a: this line must be in no image layer";

// The seed's "Containerized Parallel Processing" block as a shell reads it: the .rst has each
// continuation backslash doubled (it came from a Python string), which a shell would take as a
// literal backslash argument.
const SEED_COMMANDS = `# Create template using Docker
docker run --rm -v $(pwd):/data zarrify:latest create-template /data/template.nc /data/archive.zarr \\
    --global-start 2020-01-01 \\
    --global-end 2023-12-31

# Process multiple files in parallel containers
docker run --rm -v $(pwd):/data zarrify:latest write-region /data/data_2020.nc /data/archive.zarr &
docker run --rm -v $(pwd):/data zarrify:latest write-region /data/data_2021.nc /data/archive.zarr &
docker run --rm -v $(pwd):/data zarrify:latest write-region /data/data_2022.nc /data/archive.zarr &
docker run --rm -v $(pwd):/data zarrify:latest write-region /data/data_2023.nc /data/archive.zarr &

# Wait for all processes to complete
wait`;

/** The code block after the "Containerized Parallel Processing" heading, dedented. */
function seedBlock(rst: string): string {
  const after = rst.slice(rst.indexOf("Containerized Parallel Processing"));
  const lines = after.slice(after.indexOf(".. code-block:: bash")).split("\n").slice(1);
  const body: string[] = [];
  for (const line of lines) {
    if (line.trim() !== "" && !line.startsWith("    ")) break;
    body.push(line.slice(4));
  }
  return body
    .join("\n")
    .trim()
    .replace(/\\\\\n/g, "\\\n");
}

/** Base64 lines of the PEM certificates in `pem`, one line per certificate (its second). */
function certLines(pem: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of pem.matchAll(
    /-----BEGIN CERTIFICATE-----\n([\s\S]*?)-----END CERTIFICATE-----/g,
  )) {
    const body = m[1].replace(/\s+/g, "");
    const line = m[1].split("\n")[1]?.trim();
    if (line && line.length >= 40) out.set(body, line);
  }
  return out;
}

/**
 * Lines of the CA bundle that only it has (not Debian's ca-certificates): the proxy's own CA.
 * Public CAs are left out, since an image may rightly carry those.
 */
function distinctiveCaLines(bundle: string): string[] {
  const debian = new Set<string>();
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".crt"))
        for (const b of certLines(readFileSync(p, "utf8")).keys()) debian.add(b);
    }
  };
  walk("/usr/share/ca-certificates");
  return [...certLines(bundle)].filter(([body]) => !debian.has(body)).map(([, line]) => line);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Which of `needles` occur in `docker save` of `images`, read as it streams. A save is a tar of
 * uncompressed layer tars, so every file of every layer lies in it byte for byte: a needle in a
 * file is a needle in the stream (kept across chunk boundaries by the carried tail).
 */
async function scanSaved(
  docker: DockerEngine,
  images: string[],
  needles: string[],
): Promise<{ found: string[]; layers: number; bytes: number }> {
  const child = spawn(DOCKER, ["save", ...images], {
    env: docker.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exit = new Promise<number | null>((r) => child.on("close", r));
  const wanted = needles.map((n) => Buffer.from(n));
  const layerName = Buffer.from("/layer.tar\0");
  const keep = Math.max(layerName.length, ...wanted.map((n) => n.length)) - 1;
  const found = new Set<string>();
  let layers = 0;
  let bytes = 0;
  let carry = Buffer.alloc(0);
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    const buf = Buffer.concat([carry, chunk]);
    bytes += chunk.length;
    wanted.forEach((n, i) => {
      if (buf.includes(n)) found.add(needles[i]);
    });
    // Tar member names end in NUL: "<id>/layer.tar\0", once per layer, in its header.
    for (let at = buf.indexOf(layerName); at !== -1; at = buf.indexOf(layerName, at + 1)) {
      if (at + layerName.length > carry.length) layers++;
    }
    carry = buf.subarray(Math.max(0, buf.length - keep));
  }
  const code = await exit;
  if (code !== 0) throw new Error(`docker save ${images.join(" ")} exited ${code}: ${stderr}`);
  return { found: [...found], layers, bytes };
}

const skipReason = skipDocker
  ? ` (skipped: ${dockerSkipReason})`
  : skipSid
    ? " (skipped: no sid chroot)"
    : "";

describe.skipIf(skipDocker || skipSid)(`the Docker image${skipReason}`, () => {
  const dir = tempDir("zarrify-docker-");
  const secret = join(dir, "npm_ca.pem");
  let docker: DockerEngine;
  let base: string;
  const timings: Record<string, number> = {};

  const build = async (args: string[]) => {
    const t0 = Date.now();
    await docker.ok([
      "build",
      "--progress",
      "plain",
      "--secret",
      `id=npm_ca,src=${secret}`,
      "--build-arg",
      `NODE_IMAGE=${base}`,
      ...args,
      repoRoot,
    ]);
    return (Date.now() - t0) / 1000;
  };

  beforeAll(async () => {
    const ca = process.env.NODE_EXTRA_CA_CERTS;
    await writeFile(secret, `${CANARY}\n${ca && existsSync(ca) ? await readFile(ca, "utf8") : ""}`);
    docker = await startDocker();
    const t0 = Date.now();
    base = await docker.baseImage();
    timings.base = (Date.now() - t0) / 1000;
    timings.build = await build(["-t", "zarrify:latest"]);
    console.log(`zarrify:latest built in ${timings.build} s on ${base} (${timings.base} s)`);
  }, 20 * 60_000);

  afterAll(async () => {
    // Old builds on an engine this helper runs by itself are of no use to anyone; its build
    // cache gains a few MB with every change to src/, so it is capped (least recently used go).
    if (docker?.started) {
      await docker.run(["image", "prune", "-f"]);
      await docker.run(["builder", "prune", "-f", "--keep-storage", "4GB"]);
    }
    await docker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("runs the seed's container workflow verbatim; the archive equals the inputs", async () => {
    if (existsSync(SEED)) expect(seedBlock(await readFile(SEED, "utf8"))).toBe(SEED_COMMANDS);
    const work = join(dir, "seed");
    // One file per year of the seed's range, daily; every other one in other time units. One
    // time chunk holds all four years, so the four containers write into the same chunks.
    const parts = makeSeries(join(dir, "parts"), [366, 365, 365, 365], {
      nlat: 4,
      nlon: 5,
      mixedUnits: true,
      nan: true,
    });
    mkdirSync(work);
    const files = [2020, 2021, 2022, 2023].map((year, i) => {
      const f = join(work, `data_${year}.nc`);
      copyFileSync(parts[i], f);
      return f;
    });
    copyFileSync(files[0], join(work, "template.nc"));

    // The seed's commands as they are, through a `docker` that adds --network none and records
    // each container's exit status (the seed's bare `wait` drops them).
    const status = join(dir, "seed-status");
    const script = `docker() { /usr/bin/docker "$1" --network none "\${@:2}"; local rc=$?; echo "$rc $6 $7" >>${status}; return $rc; }
set -u
${SEED_COMMANDS}
/usr/bin/docker run --rm --network none -v $(pwd):/data zarrify:latest validate /data/archive.zarr --require-complete --json >validate.json
`;
    const t0 = Date.now();
    const r = await new Promise<{ code: number | null; stderr: string }>((res) => {
      const child = spawn("bash", ["-c", script], {
        cwd: work,
        env: docker.env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => res({ code, stderr }));
    });
    timings.seed = (Date.now() - t0) / 1000;
    console.log(`seed workflow in containers: ${timings.seed} s`);
    expect(r.code, r.stderr).toBe(0);
    const statuses = (await readFile(status, "utf8")).trim().split("\n").sort();
    expect(statuses).toEqual([
      "0 create-template /data/template.nc",
      "0 write-region /data/data_2020.nc",
      "0 write-region /data/data_2021.nc",
      "0 write-region /data/data_2022.nc",
      "0 write-region /data/data_2023.nc",
    ]);
    const report = JSON.parse(await readFile(join(work, "validate.json"), "utf8"));
    expect(report.complete).toBe(true);
    expect(report.steps).toBe(1461);

    const archive = join(work, "archive.zarr");
    const meta = JSON.parse(await readFile(join(archive, "t2m", "zarr.json"), "utf8"));
    expect(meta.chunk_grid.configuration.chunk_shape[0]).toBe(1461);

    // The default format is Zarr v3: today's xarray (the sid chroot) is the oracle.
    const cmp = JSON.parse(
      (await sidPython([COMPARE, ...files, archive, "--concat-dim", "time"])).stdout,
    ) as { ok: boolean; differences: string[] };
    expect(cmp.differences).toEqual([]);
    expect(cmp.ok).toBe(true);
  }, 300_000);

  it("keeps the npm_ca secret out of every layer of every stage", async () => {
    const bundle = readFileSync(secret, "utf8");
    const needles = [CANARY, ...distinctiveCaLines(bundle)];
    console.log(`looking for ${needles.length} lines of the secret (the canary + the proxy's CAs)`);
    // The stages where npm ci ran (deps, under build and prod) as well as the image itself;
    // all cached, so these builds take seconds.
    await build(["--target", "build", "-t", "zarrify-stage:build"]);
    await build(["--target", "prod", "-t", "zarrify-stage:prod"]);
    const images = ["zarrify:latest", "zarrify-stage:build", "zarrify-stage:prod"];
    const control = '"description": "Convert NetCDF files';
    const t0 = Date.now();
    const scan = await scanSaved(docker, images, [...needles, control]);
    const mb = (scan.bytes / 1e6).toFixed(0);
    console.log(`scanned ${mb} MB of ${scan.layers} layers in ${(Date.now() - t0) / 1000} s`);
    expect(scan.layers).toBeGreaterThan(3);
    expect(scan.found.filter((n) => n !== control)).toEqual([]);
    // The scan reads the files in the layers: the package's own manifest is found.
    expect(scan.found).toContain(control);

    const history = await docker.ok(["history", "--no-trunc", "zarrify:latest"]);
    for (const n of needles) expect(history.stdout.includes(n)).toBe(false);
    for (const image of images) {
      const env = (await docker.ok(["image", "inspect", "-f", "{{json .Config.Env}}", image]))
        .stdout;
      expect(env).not.toMatch(/NODE_EXTRA_CA_CERTS|npm_ca/);
    }
  }, 300_000);

  it("runs as a non-root user: --build-arg USER/UID, or --user on the default image", async () => {
    const uid = 4321;
    const t = await build([
      "--build-arg",
      "USER=zarrify",
      "--build-arg",
      `UID=${uid}`,
      "-t",
      "zarrify:nonroot",
    ]);
    console.log(`zarrify:nonroot built in ${t} s (all but its last layers cached)`);
    const user = await docker.ok(["image", "inspect", "-f", "{{.Config.User}}", "zarrify:nonroot"]);
    expect(user.stdout.trim()).toBe("zarrify");

    const [input] = makeSeries(join(dir, "nonroot-in"), [3], { nlat: 3, nlon: 4 });
    const owned = join(dir, "owned");
    mkdirSync(owned);
    await chown(owned, uid, uid);
    copyFileSync(input, join(owned, "in.nc"));
    const run = (image: string, mount: string, ...args: string[]) =>
      docker.run([
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        `${mount}:/data`,
        ...args,
        image,
        "convert",
        "/data/in.nc",
        "/data/out.zarr",
      ]);

    // A host folder owned by the image's user: the archive is written, and owned by that user.
    let r = await run("zarrify:nonroot", owned);
    expect(r.code, r.stderr).toBe(0);
    const archive = join(owned, "out.zarr");
    for (const f of [archive, ...filesUnder(archive)]) expect(statSync(f).uid, f).toBe(uid);

    // The image's own /data (an anonymous volume from the image) is the user's too.
    r = await docker.run([
      "run",
      "--rm",
      "--network",
      "none",
      "-v",
      `${input}:/in.nc:ro`,
      "zarrify:nonroot",
      "convert",
      "/in.nc",
      "/data/out.zarr",
    ]);
    expect(r.code, r.stderr).toBe(0);

    // A folder the user may not write: refused in one line that says so, and a hint.
    const rootOwned = join(dir, "root-owned");
    mkdirSync(rootOwned, { mode: 0o755 });
    copyFileSync(input, join(rootOwned, "in.nc"));
    r = await run("zarrify:nonroot", rootOwned);
    expect(r.code).not.toBe(0);
    const [error, ...rest] = r.stderr.trim().split("\n");
    expect(error).toMatch(/^zarrify: error: .*permission denied/);
    expect(rest.map((l) => l.trim().split(":")[0])).toEqual(["hint"]);

    // The default image with --user: the same, without a rebuild.
    const other = join(dir, "other");
    mkdirSync(other);
    await chown(other, 4322, 4322);
    copyFileSync(input, join(other, "in.nc"));
    r = await run("zarrify:latest", other, "--user", "4322:4322");
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(other, "out.zarr")).uid).toBe(4322);
  }, 300_000);

  it(`is at most ${SIZE_GOAL / 1e6} MB`, async () => {
    const size = async (image: string) =>
      Number((await docker.ok(["image", "inspect", "-f", "{{.Size}}", image])).stdout.trim());
    const total = await size("zarrify:latest");
    const own = total - (await size(base));
    console.log(
      `zarrify:latest: ${(total / 1e6).toFixed(1)} MB, of which ${(own / 1e6).toFixed(1)} MB on top of ${base}`,
    );
    expect(total).toBeLessThanOrEqual(SIZE_GOAL);
  });
});
