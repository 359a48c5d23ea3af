/**
 * s3:// inputs against moto (test/helpers/moto.ts), reached as every S3 client of zarrify finds a
 * server (AWS_ENDPOINT_URL, path style): corpus files, NetCDF-3 and NetCDF-4, read by URL exactly
 * as they read locally; the ETag pinned at open is checked by the server (If-Match) and in every
 * answer, so an object replaced mid-read fails the read; patterns list the bucket; a missing
 * object or bucket is one line naming the URL.
 */
import { readFileSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { inputIdentity, inputVersion, sameIdentity } from "../../src/readers/identity.js";
import { openDataset } from "../../src/readers/index.js";
import { listS3Pattern } from "../../src/readers/remote/list.js";
import { openRemoteSource } from "../../src/readers/remote/open.js";
import { S3Store } from "../../src/zarr/store/s3.js";
import { type Moto, motoSkipReason, skipMoto, startMoto } from "../helpers/moto.js";
import { real } from "../helpers/paths.js";
import { snapshot } from "./remote-helpers.js";

const NETCDF3 = [
  "ferret-datasets_monthly_navy_winds.cdf",
  "netcdf-c_ref_nctest_classic.nc",
  "xarray-data_eraint_uvz.nc",
];
const NETCDF4 = [
  "geocat_nc4uvt.nc",
  "tidync_test_hgroups.nc",
  "netcdf-c_ref_szip.h5",
  "iris-test-data_lfric_surface_mean.nc",
];

let moto: Moto;
let bucket: S3Store;
const url = (key: string) => `s3://${moto.bucket}/${key}`;

beforeAll(async () => {
  if (skipMoto) return;
  moto = await startMoto("zarrify-inputs");
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  bucket = new S3Store({ ...moto.s3, verifyConditionalWrites: false });
  for (const name of [...NETCDF3, ...NETCDF4]) {
    await bucket.set(`corpus/${name}`, readFileSync(real(name)));
  }
}, 90_000);
afterAll(async () => {
  await bucket?.destroy();
  await moto?.stop();
  delete process.env.AWS_ENDPOINT_URL;
});

const skipNote = skipMoto ? ` (skipped: ${motoSkipReason})` : "";

describe.skipIf(skipMoto)(`s3:// inputs on moto${skipNote}`, () => {
  for (const name of [...NETCDF3, ...NETCDF4]) {
    it(`${name} reads as it does locally`, async () => {
      const local = await openDataset(real(name));
      const remote = await openDataset(url(`corpus/${name}`));
      try {
        expect(remote.path).toBe(url(`corpus/${name}`));
        expect(await snapshot(remote)).toEqual(await snapshot(local));
      } finally {
        await local.close();
        await remote.close();
      }
    }, 60_000);
  }

  it("pins the version: the thread's token, a marker identity, and a replaced object fails the read", async () => {
    const key = "changing/a.bin";
    await bucket.set(key, new Uint8Array(3 * 2 ** 20).fill(1));
    const source = await openRemoteSource(url(key));
    try {
      expect(inputVersion(url(key))).toMatch(/"etag":/);
      const id = await inputIdentity(url(key));
      expect(id.size).toBe(3 * 2 ** 20);
      expect(id.etag).toMatch(/^".+"$/);
      expect(sameIdentity(id, await inputIdentity(url(key)))).toBe(true);
      expect((await source.read(0, 4))[0]).toBe(1);
      await bucket.set(key, new Uint8Array(3 * 2 ** 20).fill(2));
      expect(sameIdentity(id, await inputIdentity(url(key)))).toBe(false);
      const err = await source.read(2 * 2 ** 20, 2 ** 20).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `^${url(key)}: the object changed while it was being read \\(its ETag is no longer`,
        ),
      );
    } finally {
      await source.close();
    }
  });

  it("a NetCDF-4 file replaced between opening and reading its data fails with that line", async () => {
    const key = "changing/b.nc";
    const name = "iris-test-data_lfric_surface_mean.nc";
    await bucket.set(key, readFileSync(real(name)));
    const ds = await openDataset(url(key));
    try {
      await bucket.set(key, readFileSync(real("xarray-data_eraint_uvz.nc")));
      const v = ds.variables.reduce((a, b) =>
        a.shape.reduce((x, y) => x * y, 1) >= b.shape.reduce((x, y) => x * y, 1) ? a : b,
      );
      await expect(
        v.read(
          v.shape.map(() => 0),
          v.shape.slice(),
        ),
      ).rejects.toThrow(/changed while it was being read/);
    } finally {
      await ds.close();
    }
  });

  it("through h5wasm's mount too: a replaced object is that one line, not HDF5's read error", async () => {
    const key = "changing/c.nc";
    const name = "iris-test-data_lfric_surface_mean.nc";
    await bucket.set(key, readFileSync(real(name)));
    // Every read through h5wasm (the mount), none through the raw chunk path.
    process.env.ZARRIFY_HDF5_RAW = "0";
    const ds = await openDataset(url(key)).finally(() => {
      delete process.env.ZARRIFY_HDF5_RAW;
    });
    try {
      await bucket.set(key, readFileSync(real("geocat_nc4uvt.nc")));
      const v = ds.variables.reduce((a, b) =>
        a.shape.reduce((x, y) => x * y, 1) >= b.shape.reduce((x, y) => x * y, 1) ? a : b,
      );
      await expect(
        v.read(
          v.shape.map(() => 0),
          v.shape.slice(),
        ),
      ).rejects.toThrow(new RegExp(`^${url(key)}: the object changed while it was being read`));
    } finally {
      await ds.close();
    }
  });

  it("lists patterns: * within a segment, ** across them, sizes from the listing", async () => {
    for (const k of ["p/2020/a.nc", "p/2020/b.nc", "p/2021/c.nc", "p/2021/x/d.nc", "p/e.txt"]) {
      await bucket.set(k, new Uint8Array(10));
    }
    const keys = async (pattern: string) =>
      (await listS3Pattern(moto.bucket, pattern)).map((o) => o.url.slice(url("").length)).sort();
    expect(await keys("p/*/*.nc")).toEqual(["p/2020/a.nc", "p/2020/b.nc", "p/2021/c.nc"]);
    expect(await keys("p/**/*.nc")).toEqual([
      "p/2020/a.nc",
      "p/2020/b.nc",
      "p/2021/c.nc",
      "p/2021/x/d.nc",
    ]);
    expect(await keys("p/202[1]/?.nc")).toEqual(["p/2021/c.nc"]);
    expect((await listS3Pattern(moto.bucket, "p/2020/a.nc"))[0].size).toBe(10);
  });

  it("a missing object or bucket is one line naming the URL", async () => {
    const missing = await openRemoteSource(url("nope/x.nc")).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InputError);
    expect((missing as Error).message).toBe(`${url("nope/x.nc")}: no such object`);
    const noBucket = await openDataset("s3://no-such-bucket-zarrify/x.nc").catch((e: unknown) => e);
    expect((noBucket as Error).message).toMatch(
      /^s3:\/\/no-such-bucket-zarrify\/x\.nc: cannot read: the bucket "no-such-bucket-zarrify" does not exist at http/,
    );
  });

  it("opening a large NetCDF-4 file fetches its metadata, not its data", async () => {
    const name = "iris-test-data_lfric_surface_mean.nc";
    const ds = await openDataset(url(`corpus/${name}`));
    await ds.close();
    expect(statSync(real(name)).size).toBeGreaterThan(3 * 2 ** 20);
  });
});
