/**
 * Remote inputs through the verbs, as users run them: the built CLI as separate processes reading
 * s3:// inputs from moto (AWS_ENDPOINT_URL) and http:// inputs from a real HTTP server
 * (test/helpers/http-files.ts), each archive compared file by file with the archive the same
 * command makes from the local copies (zarrify's own records under .zarrify/ aside: they name
 * the inputs). Covered: convert of NetCDF-3 and NetCDF-4 corpus files; a file large enough for
 * the engine's worker threads, which open the same URL at the pinned version (detached sources,
 * and with ZARRIFY_DETACHED=0 the Dataset, h5wasm's mount inside the worker); run over an s3://
 * pattern, --resume by ETag, and a replaced object written again; create-template and
 * write-region from s3://; append; --files-from with URLs; analyze; input reads through the fault proxy
 * (dropped connections, 503 SlowDown, truncated bodies) giving identical archives; and bad URLs,
 * each one line and a non-zero exit.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store } from "../../src/zarr/store/s3.js";
import { type FaultProxy, randomFaults, startFaultProxy } from "../helpers/fault-proxy.js";
import { type FileServer, startFileServer } from "../helpers/http-files.js";
import { type Moto, motoSkipReason, skipMoto, startMoto } from "../helpers/moto.js";
import { real, tempDir } from "../helpers/paths.js";
import { cliProcess, makeSeries, treeHashes } from "../region/series.js";

const NETCDF3 = [
  "ferret-datasets_coads_climatology.cdf",
  "netcdf-c_ref_nctest_64bit_offset.nc",
  "xarray-data_eraint_uvz.nc",
];
const NETCDF4 = [
  "geocat_nc4uvt.nc",
  "netcdf4-python_test_gold.nc",
  "iris-test-data_lfric_surface_mean.nc",
];

let moto: Moto;
let bucket: S3Store;
let http: FileServer;
let plain: FileServer;
let dir: string;
const proxies: FaultProxy[] = [];
const s3 = (key: string) => `s3://${moto.bucket}/${key}`;
let env: NodeJS.ProcessEnv;

/** Every file of an archive with its hash, zarrify's own records (which name inputs) aside. */
const contents = (archive: string) => treeHashes(archive, (rel) => rel.startsWith(".zarrify"));

async function upload(local: string, key: string): Promise<void> {
  await bucket.set(key, readFileSync(local));
}

async function cli(args: string[], extra: NodeJS.ProcessEnv = {}) {
  return cliProcess(args, { ...env, ...extra });
}

beforeAll(async () => {
  dir = tempDir("zarrify-remote-ops-");
  const served = join(dir, "served");
  mkdirSync(served);
  for (const name of [...NETCDF3, ...NETCDF4]) copyFileSync(real(name), join(served, name));
  http = await startFileServer(served);
  plain = await startFileServer(served, { ignoreRange: true });
  if (skipMoto) return;
  moto = await startMoto("zarrify-remote-in");
  env = { AWS_ENDPOINT_URL: moto.endpoint };
  bucket = new S3Store({ ...moto.s3, verifyConditionalWrites: false });
  for (const name of [...NETCDF3, ...NETCDF4]) await upload(real(name), `corpus/${name}`);
}, 120_000);
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await http?.stop();
  await plain?.stop();
  await bucket?.destroy();
  await moto?.stop();
});

const skipNote = skipMoto ? ` (skipped: ${motoSkipReason})` : "";

describe("http(s) inputs", () => {
  it("convert of NetCDF-3 and NetCDF-4 files by URL equals convert of the local files", async () => {
    for (const name of [...NETCDF3, ...NETCDF4]) {
      const fromUrl = join(dir, "http", `${name}.zarr`);
      const fromFile = join(dir, "http-local", `${name}.zarr`);
      const a = await cli(["convert", http.url(name), fromUrl]);
      expect(a.code, a.stderr).toBe(0);
      const b = await cli(["convert", real(name), fromFile]);
      expect(b.code, b.stderr).toBe(0);
      expect(contents(fromUrl), name).toEqual(contents(fromFile));
      expect(Object.keys(contents(fromUrl)).length).toBeGreaterThan(2);
    }
  }, 180_000);

  it("--files-from lines may be URLs; a server that ignores Range is one line, exit 3", async () => {
    const series = makeSeries(join(dir, "http-series"), [2, 3]);
    const served = join(dir, "served");
    for (const f of series) copyFileSync(f, join(served, basename(f)));
    const list = join(dir, "urls.txt");
    writeFileSync(list, `# the series\n${series.map((f) => http.url(basename(f))).join("\n")}\n`);
    const range = ["--global-start", "2020-01-01", "--global-end", "2020-01-05", "--freq", "1D"];
    const r = await cli(["run", "--files-from", list, join(dir, "http-run.zarr"), ...range]);
    expect(r.code, r.stderr).toBe(0);
    const l = await cli(["run", ...series, join(dir, "http-run-local.zarr"), ...range]);
    expect(l.code, l.stderr).toBe(0);
    expect(contents(join(dir, "http-run.zarr"))).toEqual(
      contents(join(dir, "http-run-local.zarr")),
    );

    const name = "iris-test-data_lfric_surface_mean.nc";
    const out = join(dir, "no-range.zarr");
    const n = await cli(["convert", plain.url(name), out]);
    expect(n.code).toBe(3);
    expect(n.stderr).toBe(
      `zarrify: error: ${plain.url(name)}: the server does not honour Range requests (it answered 200 with the whole file, not 206)\n  hint: zarrify reads remote inputs by byte ranges; download the file first (curl -O) and convert the local copy, or serve it from a server with range support\n`,
    );
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it("a missing URL and an http pattern are one line each, with a non-zero exit", async () => {
    const missing = await cli(["convert", http.url("nope.nc"), join(dir, "nope.zarr")]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe(
      `zarrify: error: ${http.url("nope.nc")}: not found (404 Not Found)\n  hint: check the URL\n`,
    );
    const pattern = await cli(["convert", `${http.origin}/*.nc`, join(dir, "p.zarr")]);
    expect(pattern.code).toBe(2);
    expect(pattern.stderr).toMatch(/^zarrify: error: \S+: http\(s\) URLs cannot be patterns/);
    expect(existsSync(join(dir, "nope.zarr")) || existsSync(join(dir, "p.zarr"))).toBe(false);
  }, 60_000);

  it("input reads through a proxy that drops, throttles and truncates give the same archive", async () => {
    const proxy = await startFaultProxy(http.origin);
    proxies.push(proxy);
    proxy.plan = randomFaults({
      rate: 0.3,
      seed: 5,
      faults: [{ kind: "drop" }, { kind: "slowdown" }, { kind: "truncate" }],
    });
    for (const name of [
      "ferret-datasets_coads_climatology.cdf",
      "iris-test-data_lfric_surface_mean.nc",
    ]) {
      const out = join(dir, "http-faults", `${name}.zarr`);
      const r = await cli(["convert", `${proxy.endpoint}/${name}`, out]);
      expect(r.code, r.stderr).toBe(0);
      expect(contents(out)).toEqual(contents(join(dir, "http-local", `${name}.zarr`)));
    }
    expect(proxy.log.filter((e) => e.fault !== undefined).length).toBeGreaterThan(3);
  }, 120_000);
});

describe.skipIf(skipMoto)(`s3:// inputs on moto${skipNote}`, () => {
  it("convert of NetCDF-3 and NetCDF-4 corpus files equals convert of the local files", async () => {
    for (const name of [...NETCDF3, ...NETCDF4]) {
      const fromS3 = join(dir, "s3", `${name}.zarr`);
      const fromFile = join(dir, "s3-local", `${name}.zarr`);
      const a = await cli(["convert", s3(`corpus/${name}`), fromS3, "--zarr-format", "2"]);
      expect(a.code, a.stderr).toBe(0);
      const b = await cli(["convert", real(name), fromFile, "--zarr-format", "2"]);
      expect(b.code, b.stderr).toBe(0);
      expect(contents(fromS3), name).toEqual(contents(fromFile));
    }
  }, 240_000);

  it("a file for the worker threads: they read the s3:// object themselves, detached or not", async () => {
    // 48 steps of 361 x 720 float32: 50 MB, past the engine's inline limit.
    const [big] = makeSeries(join(dir, "big"), [48], { nlat: 361, nlon: 720 });
    await upload(big, "big/big.nc");
    const local = join(dir, "big-local.zarr");
    const l = await cli(["convert", big, local, "--jobs", "2", "--chunking", "time:8"]);
    expect(l.code, l.stderr).toBe(0);
    for (const [label, extra] of [
      ["detached", {}],
      ["datasets", { ZARRIFY_DETACHED: "0" }],
    ] as const) {
      const out = join(dir, `big-${label}.zarr`);
      const r = await cli(
        ["convert", s3("big/big.nc"), out, "--jobs", "2", "--chunking", "time:8", "--json"],
        extra,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).workers).toBe(2);
      expect(contents(out), label).toEqual(contents(local));
    }
  }, 240_000);

  it("run and convert over an s3:// pattern equal those of the local files; --resume goes by ETag", async () => {
    const files = makeSeries(join(dir, "series"), [3, 2, 4, 1], { format: "NETCDF3_64BIT_OFFSET" });
    const nc4 = makeSeries(join(dir, "series4"), [2, 2], { start: "2020-01-11", prefix: "nc4" });
    for (const f of [...files, ...nc4]) await upload(f, `series/${basename(f)}`);
    const range = ["--global-start", "2020-01-01", "--global-end", "2020-01-14", "--freq", "1D"];
    const out = join(dir, "run-s3.zarr");
    const r = await cli(["run", s3("series/*.nc"), out, ...range, "--jobs", "2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 6, written: 6, failed: [] });
    const local = join(dir, "run-local.zarr");
    const l = await cli(["run", ...files, ...nc4, local, ...range, "--jobs", "2"]);
    expect(l.code, l.stderr).toBe(0);
    expect(contents(out)).toEqual(contents(local));

    // Multi-file convert of the same pattern, as of the local files.
    const many = join(dir, "many-s3.zarr");
    const c = await cli(["convert", s3("series/*.nc"), many]);
    expect(c.code, c.stderr).toBe(0);
    const manyLocal = join(dir, "many-local.zarr");
    const cl = await cli(["convert", ...files, ...nc4, manyLocal]);
    expect(cl.code, cl.stderr).toBe(0);
    expect(contents(many)).toEqual(contents(manyLocal));

    const again = await cli(["run", s3("series/*.nc"), out, "--resume", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ files: 6, written: 0, skipped: 6 });
    // The same bytes uploaded again are a new object to S3 all the same (a new Last-Modified),
    // but its ETag, the bytes' MD5, is the same: still written.
    await upload(files[1], `series/${basename(files[1])}`);
    const same = await cli(["run", s3("series/*.nc"), out, "--resume", "--json"]);
    expect(JSON.parse(same.stdout)).toMatchObject({ written: 0, skipped: 6 });
    // Other bytes under that key (the same times, with holes): written again, and only it.
    const holes = makeSeries(join(dir, "series-nan"), [3, 2, 4, 1], {
      format: "NETCDF3_64BIT_OFFSET",
      nan: true,
    });
    await upload(holes[1], `series/${basename(files[1])}`);
    const changed = await cli(["run", s3("series/*.nc"), out, "--resume", "--json"]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ written: 1, skipped: 5 });
    expect(readdirSync(join(out, ".zarrify", "written"))).toHaveLength(6);
  }, 240_000);

  it("create-template and write-region from s3:// inputs, as from the local files", async () => {
    const files = makeSeries(join(dir, "wr"), [2, 3], { start: "2021-01-01" });
    for (const f of files) await upload(f, `wr/${basename(f)}`);
    const range = ["--global-start", "2021-01-01", "--global-end", "2021-01-05", "--freq", "1D"];
    for (const [label, inputs] of [
      ["s3", files.map((f) => s3(`wr/${basename(f)}`))],
      ["local", files],
    ] as const) {
      const archive = join(dir, `wr-${label}.zarr`);
      const t = await cli([
        "create-template",
        inputs[0],
        archive,
        ...range,
        "--chunking",
        "time:4",
      ]);
      expect(t.code, t.stderr).toBe(0);
      for (const f of inputs) {
        const w = await cli(["write-region", f, archive]);
        expect(w.code, w.stderr).toBe(0);
      }
      const v = await cli(["validate", archive, "--require-complete"]);
      expect(v.code, v.stdout + v.stderr).toBe(0);
    }
    expect(contents(join(dir, "wr-s3.zarr"))).toEqual(contents(join(dir, "wr-local.zarr")));
    const marker = readdirSync(join(dir, "wr-s3.zarr", ".zarrify", "written"))
      .map((m) =>
        JSON.parse(readFileSync(join(dir, "wr-s3.zarr", ".zarrify", "written", m), "utf8")),
      )
      .find((m) => m.input === s3(`wr/${basename(files[0])}`));
    expect(marker).toMatchObject({ etag: expect.stringMatching(/^".+"$/) });
  }, 180_000);

  it("append of an s3:// input equals append of the local file", async () => {
    const files = makeSeries(join(dir, "ap"), [3, 2], { start: "2022-01-01" });
    await upload(files[1], `ap/${basename(files[1])}`);
    for (const [label, second] of [
      ["s3", s3(`ap/${basename(files[1])}`)],
      ["local", files[1]],
    ] as const) {
      const archive = join(dir, `ap-${label}.zarr`);
      const c = await cli(["convert", files[0], archive]);
      expect(c.code, c.stderr).toBe(0);
      const a = await cli(["append", second, archive]);
      expect(a.code, a.stderr).toBe(0);
    }
    expect(contents(join(dir, "ap-s3.zarr"))).toEqual(contents(join(dir, "ap-local.zarr")));
  }, 120_000);

  it("analyze reads an s3:// input like a local one", async () => {
    const name = "xarray-data_eraint_uvz.nc";
    const a = await cli(["analyze", s3(`corpus/${name}`), "--json"]);
    expect(a.code, a.stderr).toBe(0);
    const b = await cli(["analyze", real(name), "--json"]);
    const strip = (text: string) => {
      const r = JSON.parse(text);
      delete r.file;
      delete r.input;
      return r;
    };
    expect(strip(a.stdout)).toEqual(strip(b.stdout));
  }, 60_000);

  it("input reads through the fault proxy in front of moto give identical archives", async () => {
    const proxy = await startFaultProxy(moto.endpoint);
    proxies.push(proxy);
    proxy.plan = randomFaults({
      rate: 0.3,
      seed: 17,
      faults: [{ kind: "drop" }, { kind: "slowdown" }, { kind: "truncate" }],
      only: (r) => r.method === "GET",
    });
    for (const name of [
      "ferret-datasets_coads_climatology.cdf",
      "iris-test-data_lfric_surface_mean.nc",
      "geocat_nc4uvt.nc",
    ]) {
      const out = join(dir, "s3-faults", `${name}.zarr`);
      const r = await cli(["convert", s3(`corpus/${name}`), out, "--zarr-format", "2"], {
        AWS_ENDPOINT_URL: proxy.endpoint,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(contents(out), name).toEqual(contents(join(dir, "s3-local", `${name}.zarr`)));
    }
    const faults = proxy.log.filter((e) => e.fault !== undefined).map((e) => e.fault);
    expect(new Set(faults)).toEqual(new Set(["drop", "slowdown", "truncate"]));
  }, 180_000);

  it("a missing object, a missing bucket and an empty pattern are one line each, exit 3", async () => {
    const cases: [string, RegExp][] = [
      [
        s3("corpus/nope.nc"),
        /^zarrify: error: s3:\/\/\S+\/corpus\/nope\.nc: no such object\n {2}hint: check the key/,
      ],
      [
        "s3://zarrify-no-such-bucket/a.nc",
        /^zarrify: error: s3:\/\/zarrify-no-such-bucket\/a\.nc: cannot read: the bucket "zarrify-no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+\n {2}hint: create it/,
      ],
      [
        s3("corpus/*.grib"),
        /^zarrify: error: s3:\/\/\S+\/corpus\/\*\.grib: no file matches this pattern\n/,
      ],
    ];
    for (const [input, want] of cases) {
      const out = join(dir, "bad.zarr");
      const r = await cli(["convert", input, out]);
      expect(r.code, input).toBe(3);
      expect(r.stderr).toMatch(want);
      expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
      expect(existsSync(out)).toBe(false);
    }
  }, 60_000);
});
