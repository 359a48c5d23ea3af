/**
 * s3://bucket/prefix locations: parsed and checked by parseLocation (src/location.ts), turned into
 * an S3Store by archiveStore(…, { objectStores: true }) (src/ops/archive-store.ts); without that
 * option (what the verbs call today) every URL is still refused by name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { parseLocation } from "../../src/location.js";
import { archiveStore } from "../../src/ops/archive-store.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { S3Store } from "../../src/zarr/store/s3.js";
import { type Moto, motoSkipReason, skipMoto, startMoto } from "../helpers/moto.js";
import { bytes, text } from "./store-conformance.js";

describe("parseLocation", () => {
  it("takes s3://bucket/prefix apart, tidying slashes", () => {
    expect(parseLocation("s3://my-bucket/a/b.zarr", "archive")).toEqual({
      kind: "s3",
      url: "s3://my-bucket/a/b.zarr",
      bucket: "my-bucket",
      prefix: "a/b.zarr",
    });
    expect(parseLocation("S3://bkt/out.zarr/", "archive")).toMatchObject({
      bucket: "bkt",
      prefix: "out.zarr",
      url: "s3://bkt/out.zarr",
    });
    expect(parseLocation("s3://bkt", "archive")).toMatchObject({ prefix: "", url: "s3://bkt/" });
    expect(parseLocation("s3://bkt/", "archive")).toMatchObject({ prefix: "" });
  });

  it("gives local paths back absolute", () => {
    expect(parseLocation("/data/a.zarr", "archive")).toEqual({
      kind: "local",
      path: "/data/a.zarr",
    });
  });

  it("refuses bad bucket names and prefixes, and other schemes, by name", () => {
    const cases: [string, RegExp][] = [
      ["s3://Bad_Bucket/x", /"Bad_Bucket" is not an S3 bucket name/],
      ["s3:///x", /"" is not an S3 bucket name/],
      ["s3://ab/x", /"ab" is not an S3 bucket name/],
      ["s3://a..b/x", /is not an S3 bucket name/],
      ["s3://bkt/a//b", /has an empty, "\." or "\.\." part/],
      ["s3://bkt/a/../b", /has an empty, "\." or "\.\." part/],
      ["gs://bkt/a.zarr", /gs:\/\/ archive locations are not supported/],
      ["file:///tmp/a.zarr", /not a file:\/\/ URL/],
    ];
    for (const [loc, message] of cases) {
      expect(() => parseLocation(loc, "archive"), loc).toThrow(ConfigError);
      expect(() => parseLocation(loc, "archive"), loc).toThrow(message);
    }
  });
});

describe("archiveStore", () => {
  it("still refuses s3:// unless object stores are asked for (the verbs do not yet)", () => {
    expect(() => archiveStore("s3://bkt/a.zarr")).toThrow(
      /s3:\/\/ archive locations are not supported/,
    );
    expect(archiveStore("/tmp/x.zarr")).toBeInstanceOf(FsStore);
    expect(archiveStore("/tmp/x.zarr", { objectStores: true })).toBeInstanceOf(FsStore);
  });

  it("makes an S3Store of s3://bucket/prefix, configured from the environment", () => {
    const saved = { ...process.env };
    try {
      process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
      delete process.env.AWS_ENDPOINT_URL_S3;
      delete process.env.AWS_S3_FORCE_PATH_STYLE;
      const s = archiveStore("s3://bkt/runs/a.zarr", { objectStores: true });
      expect(s).toBeInstanceOf(S3Store);
      expect(s.describe()).toEqual({
        kind: "s3",
        bucket: "bkt",
        prefix: "runs/a.zarr",
        endpoint: "http://127.0.0.1:9",
        forcePathStyle: true,
      });
    } finally {
      process.env = saved;
    }
  });
});

describe.skipIf(skipMoto)(
  `an s3:// archive location on moto${skipMoto ? ` (skipped: ${motoSkipReason})` : ""}`,
  () => {
    let moto: Moto;
    const saved = { ...process.env };
    beforeAll(async () => {
      moto = await startMoto("locations");
      process.env.AWS_ENDPOINT_URL = moto.endpoint;
    });
    afterAll(async () => {
      process.env = saved;
      await moto?.stop();
    });

    it("reads and writes the objects under the prefix", async () => {
      const s = archiveStore("s3://locations/runs/a.zarr", { objectStores: true }) as S3Store;
      await s.set("zarr.json", bytes("{}"));
      const root = new S3Store({ ...moto.s3, bucket: "locations" });
      expect(await root.list()).toEqual(["runs/a.zarr/zarr.json"]);
      expect(text(await root.get("runs/a.zarr/zarr.json"))).toBe("{}");
      await s.destroy();
      await root.destroy();
    });
  },
);
