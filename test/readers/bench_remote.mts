/**
 * What reading inputs by byte ranges costs: `zarrify convert` (and `analyze`) of the same files
 * from a local path, from s3:// on moto, and from http:// on the test file server, in one run.
 * Per case: wall time (median of `--repeats`, default 3), requests and bytes fetched (counted by
 * a small proxy in front of moto, and by the file server), against the file's size; and the
 * alternative of downloading the object whole first (one GetObject through the same proxy) and
 * converting the local copy.
 *
 *   npx tsx test/readers/bench_remote.mts [--repeats 3] [--big]    # --big: + the 199 MB bench file
 *
 * Needs the sid chroot (moto) and a build (dist/). Prints a markdown table.
 */
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, join } from "node:path";
import { S3Store } from "../../src/zarr/store/s3.js";
import { startFileServer } from "../helpers/http-files.js";
import { startMoto } from "../helpers/moto.js";
import { cliBin, python, real, repoRoot, tempDir } from "../helpers/paths.js";
import { makeSeries } from "../region/series.js";

const args = process.argv.slice(2);
const repeats = Number(args[args.indexOf("--repeats") + 1] || 3) || 3;
const big = args.includes("--big");

/** Requests and body bytes that pass, from the server to the client. */
async function countingProxy(target: string) {
  const up = new URL(target);
  const totals = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    totals.requests++;
    const out = request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.on("data", (d: Buffer) => {
          totals.bytes += d.length;
        });
        r.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { endpoint, totals, stop: () => new Promise((r) => server.close(r)) };
}

function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cliBin, ...argv], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${argv.join(" ")}: exit ${code}\n${err}`));
      else resolve({ ms: performance.now() - t0, out });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (n: number) => (n / 1e6).toFixed(2);

const dir = tempDir("zarrify-bench-remote-");
const files: { name: string; path: string; kind: string }[] = [
  ["ferret-datasets_ocean_atlas_subset.nc", "NetCDF-3"],
  ["ferret-datasets_monthly_navy_winds.cdf", "NetCDF-3"],
  ["ferret-datasets_coads_climatology.cdf", "NetCDF-3"],
  ["iris-test-data_lfric_surface_mean.nc", "NetCDF-4"],
  ["xclim-testdata_sic_SImon_CCCma-CanESM5_ssp245_r13i1p2f1_2020.nc", "NetCDF-4"],
  ["gridded_tri_grid_example-FVCOM.nc", "NetCDF-4"],
  ["geocat_nc4uvt.nc", "NetCDF-4"],
].map(([name, kind]) => ({ name, path: real(name), kind }));
const [nc4] = makeSeries(join(dir, "gen4"), [48], { nlat: 361, nlon: 720, prefix: "gen4" });
files.push({ name: basename(nc4), path: nc4, kind: "NetCDF-4 (generated, 48×361×720)" });
const [nc3] = makeSeries(join(dir, "gen3"), [48], {
  nlat: 361,
  nlon: 720,
  prefix: "gen3",
  format: "NETCDF3_64BIT_OFFSET",
});
files.push({ name: basename(nc3), path: nc3, kind: "NetCDF-3 (generated, 48×361×720)" });
if (big) {
  const p = join(dir, "era5_t2m_48.nc");
  execFileSync(python, [join(repoRoot, "bench/make_input.py"), p, "--nt", "48"]);
  files.push({ name: basename(p), path: p, kind: "NetCDF-4 (bench/make_input.py, deflate 4)" });
}

const moto = await startMoto("zarrify-bench-in");
const store = new S3Store({ ...moto.s3, verifyConditionalWrites: false });
const served = join(dir, "served");
mkdirSync(served);
for (const f of files) {
  await store.set(`in/${f.name}`, readFileSync(f.path));
  copyFileSync(f.path, join(served, f.name));
}
const proxy = await countingProxy(moto.endpoint);
const http = await startFileServer(served);
const s3env = { AWS_ENDPOINT_URL: proxy.endpoint };

const rows: string[] = [];
rows.push(
  "| file | format | size MB | local s | s3:// s | s3:// requests | s3:// MB fetched | http:// s | http:// MB fetched | download whole + local s | analyze s3:// MB fetched |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
);
for (const f of files) {
  const size = statSync(f.path).size;
  const out = (label: string) => join(dir, "out", `${f.name}.${label}.zarr`);
  const convert = async (input: string, label: string, env = {}) => {
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      rmSync(out(label), { recursive: true, force: true });
      times.push((await cli(["convert", input, out(label), "--zarr-format", "2"], env)).ms);
    }
    return median(times);
  };
  const local = await convert(f.path, "local");
  proxy.totals.requests = 0;
  proxy.totals.bytes = 0;
  const s3ms = await convert(`s3://${moto.bucket}/in/${f.name}`, "s3", s3env);
  const s3req = proxy.totals.requests / repeats;
  const s3bytes = proxy.totals.bytes / repeats;
  await http.sync();
  const before = http.bytesSent();
  const httpMs = await convert(http.url(f.name), "http");
  await http.sync();
  const httpBytes = (http.bytesSent() - before) / repeats;
  // The alternative: fetch the object whole (one GET, through the same proxy), then convert.
  const downloads: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const fetched = await new S3Store({
      ...moto.s3,
      endpoint: proxy.endpoint,
      verifyConditionalWrites: false,
    }).get(`in/${f.name}`);
    if (fetched?.length !== size) throw new Error("download incomplete");
    downloads.push(performance.now() - t0);
  }
  proxy.totals.bytes = 0;
  await cli(["analyze", `s3://${moto.bucket}/in/${f.name}`, "--json"], s3env);
  const analyzeBytes = proxy.totals.bytes;
  rows.push(
    `| ${f.name} | ${f.kind} | ${mb(size)} | ${(local / 1000).toFixed(2)} | ${(s3ms / 1000).toFixed(2)} | ${s3req.toFixed(0)} | ${mb(s3bytes)} | ${(httpMs / 1000).toFixed(2)} | ${mb(httpBytes)} | ${((median(downloads) + local) / 1000).toFixed(2)} | ${mb(analyzeBytes)} |`,
  );
  console.error(rows.at(-1));
}
console.log(rows.join("\n"));
await http.stop();
await proxy.stop();
await store.destroy();
await moto.stop();
if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
