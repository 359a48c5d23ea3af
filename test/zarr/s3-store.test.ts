/**
 * S3Store against a real S3 server (moto, test/helpers/moto.ts): the store conformance suite
 * unchanged, the same cross-process races as FsStore's, what workers open from its description,
 * prefixes and pagination, and the errors a user gets for a missing bucket, missing or rejected
 * credentials, a missing region and an endpoint that does not answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { openStore } from "../../src/zarr/store/open.js";
import { S3Store, type S3StoreOptions } from "../../src/zarr/store/s3.js";
import { freePort, type Moto, motoSkipReason, skipMoto, startMoto } from "../helpers/moto.js";
import { bytes, runStoreWorker, storeConformance, text } from "./store-conformance.js";

let moto: Moto;
const stores: S3Store[] = [];
let prefixCounter = 0;
function store(options: Partial<S3StoreOptions> = {}): S3Store {
  const s = new S3Store({ ...moto.s3, prefix: `t${++prefixCounter}/a.zarr`, ...options });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  if (!skipMoto) moto = await startMoto();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.destroy()));
  await moto?.stop();
});

const skipNote = skipMoto ? ` (skipped: ${motoSkipReason})` : "";

describe.skipIf(skipMoto)(`S3Store on moto${skipNote}`, () => {
  storeConformance("S3Store", () => store());

  it("keeps stores with different prefixes apart, and a bucket-root store sees them all", async () => {
    const a = store({ prefix: "iso/a" });
    const b = store({ prefix: "iso/ab" });
    await a.set("k", bytes("a"));
    await b.set("k", bytes("b"));
    expect(await a.list()).toEqual(["k"]);
    expect(await b.list()).toEqual(["k"]);
    expect(await a.listDir("")).toEqual({ keys: ["k"], prefixes: [] });
    const root = store({ prefix: "" });
    expect((await root.list("iso/")).sort()).toEqual(["iso/a/k", "iso/ab/k"]);
    expect((await root.listDir("iso")).prefixes.sort()).toEqual(["iso/a", "iso/ab"]);
    expect(a.url("k")).toBe(`s3://${moto.bucket}/iso/a/k`);
    expect(root.url()).toBe(`s3://${moto.bucket}/`);
  });

  it("refuses an object larger than one PUT takes before sending it, saying what to change", async () => {
    const s = store({ prefix: "big", maxPutBytes: 1000 });
    for (const write of [
      () => s.set("k", new Uint8Array(1001)),
      () => s.setIfAbsent("k", new Uint8Array(1001)),
    ]) {
      const err = await write().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).message).toMatch(/big\/k: .* GiB is more than one PUT takes/);
      expect((err as StoreError).hint).toMatch(/smaller shards or chunks/);
    }
    expect(s.stats().requests).toBe(0);
    await s.set("k", new Uint8Array(1000));
    expect((await s.get("k"))?.length).toBe(1000);
  });

  it("lists past one page of results", async () => {
    const s = store({ listPageSize: 7 });
    const keys = Array.from({ length: 40 }, (_, i) => `c/${i}`);
    const dirs = Array.from({ length: 20 }, (_, i) => `c/d${i}`);
    await Promise.all([...keys, ...dirs.map((d) => `${d}/0`)].map((k) => s.set(k, bytes(k))));
    const before = s.stats().requests;
    expect((await s.list("c/")).length).toBe(60);
    expect(s.stats().requests - before).toBe(Math.ceil(60 / 7)); // really paged
    expect((await s.list("c/")).filter((k) => !k.includes("/d")).sort()).toEqual(keys.sort());
    const dir = await s.listDir("c");
    expect(dir.keys.sort()).toEqual(keys.sort());
    expect(dir.prefixes.sort()).toEqual(dirs.sort());
  });

  it("hides objects no store key can name (a console's folder marker)", async () => {
    const s = store({ prefix: "markers" });
    const root = store({ prefix: "" });
    await root.set("markers/k", bytes("v"));
    // What the AWS console's "Create folder" leaves: an empty object whose key ends in "/".
    const client = await import("@aws-sdk/client-s3");
    const raw = new client.S3Client({ ...moto.s3 });
    await raw.send(
      new client.PutObjectCommand({
        Bucket: moto.bucket,
        Key: "markers/dir/",
        Body: "",
        ContentLength: 0,
      }),
    );
    raw.destroy();
    expect(await s.list()).toEqual(["k"]);
    expect(await s.listDir("")).toEqual({ keys: ["k"], prefixes: ["dir"] });
    expect(await s.listDir("dir")).toEqual({ keys: [], prefixes: [] });
  });

  it("describes itself, and openStore (as a worker does) opens the same archive", async () => {
    const a = store();
    await a.set("g/zarr.json", bytes("{}"));
    const d = a.describe();
    expect(d).toEqual({
      kind: "s3",
      bucket: moto.bucket,
      prefix: a.prefix,
      endpoint: moto.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
    });
    const b = openStore(structuredClone(d));
    expect(text(await b.get("g/zarr.json"))).toBe("{}");
    await (b as S3Store).destroy();
  });

  it("takes the endpoint and path style from the environment, as AWS tools do", () => {
    const saved = { ...process.env };
    try {
      process.env.AWS_ENDPOINT_URL = "http://generic:1";
      process.env.AWS_ENDPOINT_URL_S3 = "http://s3-specific:2";
      delete process.env.AWS_S3_FORCE_PATH_STYLE;
      const s = new S3Store({ bucket: "b", prefix: "p" });
      expect(s.describe()).toEqual({
        kind: "s3",
        bucket: "b",
        prefix: "p",
        endpoint: "http://s3-specific:2",
        forcePathStyle: true, // an endpoint without the variable: path style
      });
      delete process.env.AWS_ENDPOINT_URL_S3;
      process.env.AWS_S3_FORCE_PATH_STYLE = "false";
      expect(new S3Store({ bucket: "b" }).describe()).toMatchObject({
        endpoint: "http://generic:1",
        forcePathStyle: false,
      });
      delete process.env.AWS_ENDPOINT_URL;
      process.env.AWS_S3_FORCE_PATH_STYLE = "true";
      expect(new S3Store({ bucket: "b" }).describe()).toEqual({
        kind: "s3",
        bucket: "b",
        prefix: "",
        forcePathStyle: true,
      });
      delete process.env.AWS_S3_FORCE_PATH_STYLE;
      expect(new S3Store({ bucket: "b" }).forcePathStyle).toBe(false);
    } finally {
      process.env = saved;
    }
  });

  it("round-trips a shard-sized object in one PUT, and reads ranges of it", async () => {
    const s = store();
    const big = new Uint8Array(24 << 20).map((_, i) => (i * 7) & 0xff);
    // Byte comparison by Buffer: toEqual walks a 24 MiB array element by element.
    const same = (a: Uint8Array | undefined, b: Uint8Array) =>
      a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
    expect(await s.setIfAbsent("shard", big)).toBe(true);
    expect(same(await s.get("shard"), big)).toBe(true);
    const mid = 10 << 20;
    expect(same(await s.getRange("shard", mid, 1000), big.subarray(mid, mid + 1000))).toBe(true);
    expect(same(await s.getRange("shard", big.length - 5), big.subarray(big.length - 5))).toBe(
      true,
    );
    expect(await s.getRange("shard", 3, 0)).toEqual(new Uint8Array());
    expect(await s.getRange("absent", 3, 0)).toBeUndefined();
  });

  it("copies values on the way in even while a write is retried", async () => {
    const s = store();
    const v = bytes("abc");
    const p = s.setIfAbsent("k", v);
    v[0] = 0x7a; // the caller reuses its buffer before the write finished
    expect(await p).toBe(true);
    expect(text(await s.get("k"))).toBe("abc");
  });

  describe("across processes", () => {
    it("lets exactly one of several racing processes win setIfAbsent", async () => {
      const s = store();
      const d = JSON.stringify(s.describe());
      const start = String(Date.now() + 2500);
      const racers = [1, 2, 3, 4].map((id) =>
        runStoreWorker(["absent", d, "lock/k", `racer${id}`, start]),
      );
      const results = await Promise.all(racers.map((r) => r.done));
      expect(results.filter((r) => r === "true")).toHaveLength(1);
      expect(text(await s.get("lock/k"))).toBe(`racer${results.indexOf("true") + 1}`);
    });

    it("loses no update when processes increment a counter with setIfMatch", async () => {
      const s = store();
      const d = JSON.stringify(s.describe());
      const start = String(Date.now() + 2500);
      const workers = [1, 2, 3].map(() => runStoreWorker(["increment", d, "counter", "20", start]));
      await Promise.all(workers.map((w) => w.done));
      expect(text(await s.get("counter"))).toBe("60");
      expect(await s.list()).toEqual(["counter"]);
    });
  });

  describe("errors a user can act on: one line naming the s3:// URL, and a hint", () => {
    it("a bucket that does not exist", async () => {
      const s = store({ bucket: "no-such-bucket", prefix: "out.zarr" });
      const err = await s.set("zarr.json", bytes("{}")).catch((e) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err.message).toBe(
        `s3://no-such-bucket/out.zarr: cannot write zarr.json: the bucket "no-such-bucket" does not exist at ${moto.endpoint}`,
      );
      expect(err.message).not.toMatch(/\n/);
      expect(err.hint).toMatch(/aws s3 mb s3:\/\/no-such-bucket/);
      await expect(s.get("zarr.json")).rejects.toThrow(/does not exist/);
      await expect(s.list()).rejects.toThrow(/cannot list: the bucket/);
    });

    it("an endpoint that does not answer (after a few retries)", async () => {
      const port = await freePort();
      const s = store({
        endpoint: `http://127.0.0.1:${port}`,
        prefix: "x.zarr",
        maxAttempts: 3,
        retryBaseMs: 10,
      });
      const err = await s.get("zarr.json").catch((e) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err.message).toBe(
        `s3://${moto.bucket}/x.zarr: cannot read zarr.json: cannot reach http://127.0.0.1:${port} (ECONNREFUSED) after 3 attempts`,
      );
      expect(err.hint).toMatch(/AWS_ENDPOINT_URL/);
    });

    it("no credentials at all", async () => {
      const saved = { ...process.env };
      try {
        delete process.env.AWS_ACCESS_KEY_ID;
        delete process.env.AWS_SECRET_ACCESS_KEY;
        process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/credentials";
        process.env.AWS_CONFIG_FILE = "/nonexistent/config";
        const s = store({ prefix: "c.zarr", maxAttempts: 1 });
        const err = await s.get("zarr.json").catch((e) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect(err.message).toBe(
          `s3://${moto.bucket}/c.zarr: cannot read zarr.json: no AWS credentials were found`,
        );
        expect(err.hint).toMatch(/AWS_PROFILE/);
      } finally {
        process.env = saved;
      }
    });

    it("no region for AWS itself", async () => {
      const saved = { ...process.env };
      try {
        delete process.env.AWS_REGION;
        delete process.env.AWS_DEFAULT_REGION;
        process.env.AWS_CONFIG_FILE = "/nonexistent/config";
        const s = new S3Store({ bucket: "b", prefix: "r.zarr" });
        const err = await s.get("zarr.json").catch((e) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect(err.message).toBe("s3://b/r.zarr: no AWS region is configured");
        expect(err.hint).toMatch(/AWS_REGION/);
        // With an endpoint of its own, an S3-compatible server gets us-east-1 instead.
        const m = store({ region: undefined, prefix: "r.zarr" });
        await m.set("k", bytes("v"));
        expect(text(await m.get("k"))).toBe("v");
      } finally {
        process.env = saved;
      }
    });
  });
});

describe.skipIf(skipMoto)(`S3Store with credentials the server rejects${skipNote}`, () => {
  let authMoto: Moto;
  beforeAll(async () => {
    // moto checks signatures against its own IAM once INITIAL_NO_AUTH_ACTION_COUNT requests
    // went through: the helper's readiness probe and its bucket creation.
    authMoto = await startMoto("auth", { env: { INITIAL_NO_AUTH_ACTION_COUNT: "2" } });
  });
  afterAll(async () => {
    await authMoto?.stop();
  });

  it("names the URL and says which credentials to check", async () => {
    const s = new S3Store({ ...authMoto.s3, prefix: "a.zarr", maxAttempts: 1 });
    stores.push(s);
    const err = await s.set("zarr.json", bytes("{}")).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toMatch(
      /^s3:\/\/auth\/a\.zarr: cannot write zarr\.json: access denied \(InvalidAccessKeyId/,
    );
    expect(err.message).not.toMatch(/\n/);
    expect(err.hint).toMatch(/aws sts get-caller-identity/);
  });
});
