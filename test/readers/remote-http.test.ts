/**
 * Remote inputs over http(s), against a real HTTP server (test/helpers/http-files.ts) serving
 * files of the real corpus and generated ones: the byte source's reads equal the file's bytes
 * whatever the ranges, NetCDF-3 and NetCDF-4 files open and read by URL exactly as they do
 * locally (with far fewer bytes fetched than the file holds where little is read), a file
 * replaced while it is read is an error, and a server that ignores Range, a missing file and an
 * unreachable host are each one clear line.
 */
import { copyFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { openDataset } from "../../src/readers/index.js";
import { openRemoteSource } from "../../src/readers/remote/open.js";
import { type FileServer, startFileServer } from "../helpers/http-files.js";
import { freePort } from "../helpers/moto.js";
import { real, tempDir } from "../helpers/paths.js";
import { seededRandom } from "../helpers/random.js";
import { snapshot } from "./remote-helpers.js";

let dir: string;
let server: FileServer;
let plain: FileServer;

const NETCDF3 = ["ferret-datasets_coads_climatology.cdf", "netcdf-c_ref_nctest_64bit_offset.nc"];
const NETCDF4 = ["geocat_nc4uvt.nc", "netcdf4-python_test_gold.nc", "xarray-data_basin_mask.nc"];

beforeAll(async () => {
  dir = tempDir("zarrify-http-");
  for (const name of [...NETCDF3, ...NETCDF4]) copyFileSync(real(name), join(dir, name));
  const random = seededRandom(7);
  const blob = Uint8Array.from({ length: 3 * 2 ** 20 + 12345 }, () => Math.floor(random() * 256));
  writeFileSync(join(dir, "blob.bin"), blob);
  writeFileSync(join(dir, "small.bin"), blob.subarray(0, 1000));
  server = await startFileServer(dir);
  plain = await startFileServer(dir, { ignoreRange: true });
});
afterAll(async () => {
  await server?.stop();
  await plain?.stop();
});

describe("RemoteByteSource over http", () => {
  it("reads any range exactly as the file holds it, small ones through windows", async () => {
    const bytes = new Uint8Array(
      await import("node:fs").then((fs) => fs.readFileSync(join(dir, "blob.bin"))),
    );
    const source = await openRemoteSource(server.url("blob.bin"));
    try {
      expect(await source.size()).toBe(bytes.length);
      const random = seededRandom(11);
      for (let i = 0; i < 200; i++) {
        const offset = Math.floor(random() * bytes.length);
        const length = Math.floor(random() ** 4 * 3 * 2 ** 20);
        const got = await source.read(offset, length);
        const want = bytes.subarray(offset, Math.min(bytes.length, offset + length));
        expect(got.length).toBe(want.length);
        expect(Buffer.compare(Buffer.from(got), Buffer.from(want))).toBe(0);
      }
      // Concurrent reads of one area share its window.
      const before = source.stats().requests;
      await Promise.all(Array.from({ length: 20 }, (_, i) => source.read(2_000_000 + i * 100, 50)));
      expect(source.stats().requests - before).toBeLessThanOrEqual(2);
      expect(await source.read(bytes.length + 5, 10)).toHaveLength(0);
    } finally {
      await source.close();
    }
  });

  it("a scan of small sequential reads grows its windows: few requests", async () => {
    const source = await openRemoteSource(server.url("blob.bin"));
    try {
      for (let off = 0; off < 3 * 2 ** 20; off += 4096) await source.read(off, 4096);
      // 3 MiB in 4 KiB reads: the probe plus windows of 64 KiB doubling towards 4 MiB.
      expect(source.stats().requests).toBeLessThanOrEqual(8);
      expect(source.stats().bytesFetched).toBeLessThan(3 * 2 ** 20 + 4 * 2 ** 20);
    } finally {
      await source.close();
    }
  });

  it("a file replaced while it is read fails the read, and every read after it", async () => {
    const path = join(dir, "changing.bin");
    writeFileSync(path, Buffer.alloc(2 * 2 ** 20, 1));
    const source = await openRemoteSource(server.url("changing.bin"));
    try {
      expect((await source.read(0, 10))[0]).toBe(1);
      writeFileSync(path, Buffer.alloc(2 * 2 ** 20, 2));
      utimesSync(path, new Date(), new Date(Date.now() + 5000));
      const err = await source.read(1_500_000, 100).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/changing\.bin: the object changed while it was being read/,
      );
      await expect(source.read(0, 10)).rejects.toThrow(/changed while it was being read/);
    } finally {
      await source.close();
    }
  });

  it("a pinned version that is gone is refused when a worker opens it", async () => {
    const path = join(dir, "pinned.bin");
    writeFileSync(path, Buffer.alloc(1000, 1));
    const first = await openRemoteSource(server.url("pinned.bin"));
    const { versionToken } = await import("../../src/readers/remote/version.js");
    const token = versionToken(first.version());
    await first.close();
    const same = await openRemoteSource(server.url("pinned.bin"), { version: token });
    expect((await same.read(0, 4))[0]).toBe(1);
    await same.close();
    writeFileSync(path, Buffer.alloc(1001, 1));
    const later = await openRemoteSource(server.url("pinned.bin"), { version: token });
    await expect(later.read(0, 4)).rejects.toThrow(/changed while it was being read/);
  });

  it("a server that ignores Range: small files are read whole, larger ones refused in one line", async () => {
    const small = await openRemoteSource(plain.url("small.bin"));
    expect(await small.size()).toBe(1000);
    await small.close();
    const err = await openRemoteSource(plain.url("blob.bin")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(
      `${plain.url("blob.bin")}: the server does not honour Range requests (it answered 200 with the whole file, not 206)`,
    );
    expect((err as InputError).hint).toMatch(/download the file first/);
    // The refusal did not wait for the whole body.
    await plain.sync();
    expect(plain.requests.at(-1)?.bytes ?? 0).toBeLessThan(statSync(join(dir, "blob.bin")).size);
  });

  it("missing files and unreachable hosts are one line each, naming the URL", async () => {
    const missing = await openRemoteSource(server.url("nope.nc")).catch((e: unknown) => e);
    expect((missing as Error).message).toBe(`${server.url("nope.nc")}: not found (404 Not Found)`);
    const port = await freePort();
    const closed = await openRemoteSource(`http://127.0.0.1:${port}/x.nc`, {
      retry: { maxAttempts: 2, retryBaseMs: 1, retryMaxMs: 2 },
    }).catch((e: unknown) => e);
    expect((closed as Error).message).toBe(
      `http://127.0.0.1:${port}/x.nc: cannot reach 127.0.0.1:${port} (ECONNREFUSED) after 2 attempts`,
    );
  });
});

describe("openDataset over http", () => {
  for (const name of [...NETCDF3, ...NETCDF4]) {
    it(`${name} reads as it does locally`, async () => {
      const local = await openDataset(join(dir, name));
      const remote = await openDataset(server.url(name));
      try {
        expect(remote.path).toBe(server.url(name));
        const [a, b] = [await snapshot(local), await snapshot(remote)];
        expect(b).toEqual(a);
      } finally {
        await local.close();
        await remote.close();
      }
    });
  }

  it("opening reads a fraction of a file: the header or object tree, not the data", async () => {
    const name = "ferret-datasets_coads_climatology.cdf";
    await server.sync();
    const before = server.bytesSent();
    const ds = await openDataset(server.url(name));
    await ds.close();
    await server.sync();
    expect(server.bytesSent() - before).toBeLessThan(statSync(join(dir, name)).size / 20);
  });

  it("a NetCDF-3 file whose record variables interleave is fetched about once, not per variable", async () => {
    // TIME, UWND and VWND alternate record by record: each variable's scan crosses the others'.
    const name = "ferret-datasets_monthly_navy_winds.cdf";
    copyFileSync(real(name), join(dir, name));
    await server.sync();
    const before = server.bytesSent();
    const ds = await openDataset(server.url(name));
    try {
      for (const v of ds.variables) {
        await v.read(
          v.shape.map(() => 0),
          v.shape.slice(),
        );
      }
    } finally {
      await ds.close();
    }
    await server.sync();
    expect(server.bytesSent() - before).toBeLessThan(1.3 * statSync(real(name)).size);
  });

  it("a file that is not NetCDF is named with what it looks like", async () => {
    writeFileSync(join(dir, "text.nc"), "hello, this is text\n".repeat(100));
    await expect(openDataset(server.url("text.nc"))).rejects.toThrow(
      `${server.url("text.nc")}: not a NetCDF or HDF5 file: it looks like a text file`,
    );
  });
});
