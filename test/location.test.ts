/**
 * URL locations are refused by name everywhere a path is taken, from the library and the CLI, and
 * never turn into a local directory named after the scheme. Archives may be s3:// locations
 * (test/ops/s3-archive.test.ts writes them), inputs s3:// and http(s):// URLs
 * (test/readers/remote-*.test.ts, test/ops/remote-inputs.test.ts); scratch directories and other
 * schemes may not.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../src/errors.js";
import { inputLocation, localPath, parseLocation } from "../src/location.js";
import { analyzeFile } from "../src/ops/analyze.js";
import { appendToZarr } from "../src/ops/append.js";
import { convertToZarr } from "../src/ops/convert.js";
import { writeRegion } from "../src/ops/region.js";
import { createTemplate } from "../src/ops/template.js";
import { validateArchive } from "../src/ops/validate.js";
import { openDataset } from "../src/readers/index.js";
import { writeGrid } from "./helpers/grid-nc.js";
import { cliBin, tempDir } from "./helpers/paths.js";

describe("localPath", () => {
  it("makes paths absolute, Windows-looking ones included", () => {
    expect(localPath("/data/a.zarr", "output")).toBe("/data/a.zarr");
    expect(localPath("a.zarr", "output")).toBe(join(process.cwd(), "a.zarr"));
    expect(localPath("odd:name.zarr", "output")).toBe(join(process.cwd(), "odd:name.zarr"));
  });

  it("refuses any scheme:// naming the scheme", () => {
    for (const url of ["s3://bucket/a.zarr", "gs://b/a.zarr", "HTTPS://h/a.nc", "abfs+x://c/a"]) {
      expect(() => localPath(url, "output")).toThrow(ConfigError);
    }
    expect(() => localPath("gs://b/a.zarr", "output")).toThrow(
      "gs://b/a.zarr: gs:// output locations are not supported; the output must be a local path",
    );
    expect(() => localPath("s3://b/a.nc", "input")).toThrow(
      "s3://b/a.nc: s3:// input locations are not supported; the input must be a local path",
    );
    expect(() => localPath("file:///tmp/a.nc", "input")).toThrow("not a file:// URL");
  });
});

describe("inputLocation", () => {
  it("takes local paths, s3://bucket/key and http(s) URLs, and refuses other schemes by name", () => {
    expect(inputLocation("s3://bkt/a/b.nc")).toEqual({
      kind: "s3",
      url: "s3://bkt/a/b.nc",
      bucket: "bkt",
      key: "a/b.nc",
    });
    expect(inputLocation("https://h.org/a.nc?x=1")).toEqual({
      kind: "http",
      url: "https://h.org/a.nc?x=1",
    });
    expect(inputLocation("/data/a.nc")).toEqual({ kind: "local", path: "/data/a.nc" });
    expect(() => inputLocation("gs://b/a.nc")).toThrow(
      "gs://b/a.nc: gs:// input locations are not supported; an input is a local path, s3://bucket/key or an http(s):// URL",
    );
    expect(() => inputLocation("s3://bkt/dir/")).toThrow("names no object");
    expect(() => inputLocation("s3://B_K/a.nc")).toThrow("is not an S3 bucket name");
    expect(() => inputLocation("https://u:p@h.org/a.nc")).toThrow(
      "https://h.org/a.nc: user names and passwords in input URLs are not supported",
    );
  });
});

describe("parseLocation", () => {
  it("takes s3://bucket/prefix and local paths, and refuses other schemes naming S3 endpoints", () => {
    expect(parseLocation("s3://bkt/a/b.zarr/", "archive")).toEqual({
      kind: "s3",
      url: "s3://bkt/a/b.zarr",
      bucket: "bkt",
      prefix: "a/b.zarr",
    });
    expect(parseLocation("/data/a.zarr", "archive")).toEqual({
      kind: "local",
      path: "/data/a.zarr",
    });
    expect(() => parseLocation("gs://b/a.zarr", "archive")).toThrow(
      "gs://b/a.zarr: gs:// archive locations are not supported; an archive is a local path or s3://bucket/prefix",
    );
    expect(() => parseLocation("file:///tmp/a.zarr", "archive")).toThrow("not a file:// URL");
  });
});

let dir: string;
let nc: string;
beforeAll(() => {
  dir = tempDir();
  nc = join(dir, "a.nc");
  writeGrid(nc, { times: 2, y: 2, x: 3 });
});

describe("the library refuses URLs", () => {
  const cases: Array<[string, () => Promise<unknown>]> = [
    ["convertToZarr output", () => convertToZarr(nc, "gs://bucket/out.zarr")],
    ["convertToZarr ftp input", () => convertToZarr("ftp://host/in.nc", join(dir, "o.zarr"))],
    ["convertToZarr input", () => convertToZarr("gs://bucket/*.nc", join(dir, "o.zarr"))],
    [
      "createTemplate output",
      () =>
        createTemplate({
          templateDataset: nc,
          outputPath: "az://bucket/t.zarr",
          globalStart: "2000-01-01",
          globalEnd: "2000-01-05",
        }),
    ],
    ["writeRegion archive", () => writeRegion(nc, "gs://bucket/t.zarr")],
    ["appendToZarr archive", () => appendToZarr(nc, "gs://bucket/t.zarr")],
    ["openDataset input", () => openDataset("gs://bucket/a.nc")],
    ["validateArchive archive", () => validateArchive("https://h/t.zarr")],
    [
      // s3:// is a scratch location it takes (test/ops/s3-archive.test.ts); gs:// is not.
      "analyzeFile scratch location",
      () => analyzeFile(nc, { runTests: true, scratchDir: "gs://bucket/scratch" }),
    ],
  ];
  for (const [name, call] of cases) {
    it(name, async () => {
      await expect(call()).rejects.toThrow(
        /:\/\/ (output|input|archive) locations are not supported/,
      );
    });
  }
});

describe("the CLI refuses URLs, exit 2, and creates nothing", () => {
  const verbs: string[][] = [
    ["convert", "NC", "gs://bucket/out.zarr"],
    ["convert", "gs://bucket/in.nc", "out.zarr"],
    [
      "create-template",
      "NC",
      "gs://bucket/t.zarr",
      "--global-start",
      "2000-01-01",
      "--global-end",
      "2000-01-03",
    ],
    ["write-region", "NC", "gs://bucket/t.zarr"],
    ["append", "NC", "gs://bucket/t.zarr"],
    [
      "run",
      "NC",
      "gs://bucket/t.zarr",
      "--global-start",
      "2000-01-01",
      "--global-end",
      "2000-01-03",
    ],
    ["validate", "gs://bucket/t.zarr"],
    ["analyze", "gs://bucket/in.nc"],
  ];
  for (const args of verbs) {
    it(args.join(" "), () => {
      const cwd = tempDir();
      const r = spawnSync(process.execPath, [cliBin, ...args.map((a) => (a === "NC" ? nc : a))], {
        cwd,
        encoding: "utf8",
      });
      expect(r.stderr).toMatch(/^zarrify: error: \S+: gs:\/\/ \w+ locations are not supported/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.status).toBe(2);
      expect(readdirSync(cwd)).toEqual([]);
    });
  }
});
