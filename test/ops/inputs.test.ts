import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, InputError } from "../../src/errors.js";
import { collectInputs, expandPattern, parseShard, readFileList } from "../../src/ops/inputs.js";
import { tempDir } from "../helpers/paths.js";

const root = tempDir("zarrify-inputs-");
const FILES = [
  "a.nc",
  "b.nc",
  "c.txt",
  "x1.nc",
  "x2.nc",
  "xa.nc",
  ".hidden.nc",
  "sub/d.nc",
  "sub/deep/e.nc",
  "sub/deep/f.txt",
  "other/g.nc",
  ".git/h.nc",
  "we ird [1]/i.nc",
];
const p = (rel: string) => join(root, rel);

beforeAll(() => {
  for (const f of FILES) {
    mkdirSync(dirname(p(f)), { recursive: true });
    writeFileSync(p(f), "x");
  }
  mkdirSync(p("empty-dir.nc")); // a directory that matches *.nc is not an input
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const found = (pattern: string) =>
  expandPattern(pattern)
    .map((f) => relative(root, f))
    .sort();

describe("expandPattern", () => {
  it("matches * within one path segment, skipping hidden files and directories", () => {
    expect(found(p("*.nc"))).toEqual(["a.nc", "b.nc", "x1.nc", "x2.nc", "xa.nc"]);
    expect(found(p("*"))).toEqual(["a.nc", "b.nc", "c.txt", "x1.nc", "x2.nc", "xa.nc"]);
  });

  it("matches ? as one character", () => {
    expect(found(p("x?.nc"))).toEqual(["x1.nc", "x2.nc", "xa.nc"]);
    expect(found(p("?.nc"))).toEqual(["a.nc", "b.nc"]);
  });

  it("matches [...] classes, ranges and [!...] negations", () => {
    expect(found(p("x[0-9].nc"))).toEqual(["x1.nc", "x2.nc"]);
    expect(found(p("x[!0-9].nc"))).toEqual(["xa.nc"]);
    expect(found(p("[ab].nc"))).toEqual(["a.nc", "b.nc"]);
  });

  it("takes dots and other regex characters literally", () => {
    expect(found(p("a*nc"))).toEqual(["a.nc"]);
    expect(found(p("a?nc"))).toEqual(["a.nc"]);
    expect(found(p("*.n"))).toEqual([]);
  });

  it("matches wildcards in directory segments", () => {
    expect(found(p("*/d.nc"))).toEqual(["sub/d.nc"]);
    expect(found(p("*/*/*.nc"))).toEqual(["sub/deep/e.nc"]);
    expect(found(p("s*/deep/*"))).toEqual(["sub/deep/e.nc", "sub/deep/f.txt"]);
  });

  it("matches ** as any number of directories, none included", () => {
    expect(found(p("**/*.nc"))).toEqual([
      "a.nc",
      "b.nc",
      "other/g.nc",
      "sub/d.nc",
      "sub/deep/e.nc",
      "we ird [1]/i.nc",
      "x1.nc",
      "x2.nc",
      "xa.nc",
    ]);
    expect(found(p("sub/**/e.nc"))).toEqual(["sub/deep/e.nc"]);
    expect(found(p("**/deep/*.txt"))).toEqual(["sub/deep/f.txt"]);
  });

  it("matches a trailing ** as every file below", () => {
    expect(found(p("sub/**"))).toEqual(["sub/d.nc", "sub/deep/e.nc", "sub/deep/f.txt"]);
  });

  it("returns a plain path as it is, without looking at the disk", () => {
    expect(expandPattern(p("a.nc"))).toEqual([p("a.nc")]);
    expect(expandPattern(p("not-there.nc"))).toEqual([p("not-there.nc")]);
  });

  it("resolves relative patterns against the working directory", () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      expect(expandPattern("sub/*.nc")).toEqual([p("sub/d.nc")]);
      // A plain path stays as the user wrote it, so errors about it name it that way.
      expect(expandPattern("./x1.nc")).toEqual(["./x1.nc"]);
    } finally {
      process.chdir(cwd);
    }
  });

  it("finds nothing under a missing directory", () => {
    expect(expandPattern(p("nowhere/*.nc"))).toEqual([]);
  });
});

describe("readFileList", () => {
  it("reads one path per line, relative to the list file, skipping comments and blanks", () => {
    const list = p("lists/batch.txt");
    mkdirSync(dirname(list), { recursive: true });
    writeFileSync(
      list,
      [
        "# batch 1",
        "../a.nc",
        "",
        "   ../sub/d.nc   ",
        "\t# indented comment",
        p("x1.nc"),
        "local.nc\r",
        "../we ird [1]/i.nc",
      ].join("\n"),
    );
    expect(readFileList(list)).toEqual([
      p("a.nc"),
      p("sub/d.nc"),
      p("x1.nc"),
      p("lists/local.nc"),
      p("we ird [1]/i.nc"),
    ]);
  });

  it("is an InputError naming the list when it cannot be read", () => {
    const missing = p("lists/missing.txt");
    let err: unknown;
    try {
      readFileList(missing);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).path).toBe(missing);
    expect((err as InputError).message).toContain(`filesFrom ${missing}: cannot read it`);
  });
});

describe("parseShard", () => {
  it.each([
    ["0/4", { index: 0, count: 4 }],
    ["3/4", { index: 3, count: 4 }],
    [" 1 / 2 ", { index: 1, count: 2 }],
    ["0/1", { index: 0, count: 1 }],
  ])("reads %j", (text, shard) => {
    expect(parseShard(text)).toEqual(shard);
  });

  it.each(["4/4", "5/4", "0/0", "-1/4", "1", "a/b", "1/2/3", "1.5/4", "", "/4"])(
    "refuses %j",
    (text) => {
      expect(() => parseShard(text)).toThrow(ConfigError);
      expect(() => parseShard(text)).toThrow(`shard '${text}': expected i/n with 0 <= i < n`);
    },
  );
});

describe("collectInputs", () => {
  it("is sorted and free of duplicates across patterns and the list file", async () => {
    const list = p("lists/dups.txt");
    mkdirSync(dirname(list), { recursive: true });
    writeFileSync(list, "../b.nc\n../a.nc\n");
    const files = await collectInputs({
      patterns: [p("x*.nc"), p("?.nc"), p("a.nc")],
      filesFrom: list,
    });
    expect(files).toEqual([p("a.nc"), p("b.nc"), p("x1.nc"), p("x2.nc"), p("xa.nc")]);
  });

  it("is an InputError naming a pattern that matches nothing", async () => {
    const pattern = p("*.grib");
    const err = await collectInputs({ patterns: [p("*.nc"), pattern] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${pattern}: no file matches this pattern`);
    expect((err as InputError).path).toBe(pattern);
  });

  it("takes every n-th file for shard i/n, so the shards partition the list exactly", async () => {
    const all = await collectInputs({ patterns: [p("**/*.nc")] });
    expect(all.length).toBe(9);
    for (const count of [1, 2, 3, 4, 7, 11, 20]) {
      const shards = await Promise.all(
        Array.from({ length: count }, (_, index) =>
          collectInputs({ patterns: [p("**/*.nc")], shard: { index, count } }),
        ),
      );
      // Disjoint, and together the whole list.
      expect(shards.flat().sort()).toEqual(all);
      // Balanced: sizes differ by at most one.
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(shards[0][0]).toBe(all[0]);
    }
  });

  it("gives the same shards whatever the order of the patterns", async () => {
    const a = await collectInputs({
      patterns: [p("x*.nc"), p("sub/**")],
      shard: { index: 1, count: 3 },
    });
    const b = await collectInputs({
      patterns: [p("sub/**"), p("x*.nc")],
      shard: { index: 1, count: 3 },
    });
    expect(a).toEqual(b);
  });

  it("takes URLs as written, in arguments and list files, and refuses http patterns", async () => {
    const list = p("lists/urls.txt");
    mkdirSync(dirname(list), { recursive: true });
    writeFileSync(list, "https://h.org/data/b.nc\ns3://bkt/k/a.nc\n../a.nc\n");
    const files = await collectInputs({
      patterns: ["https://h.org/data/b.nc", p("a.nc")],
      filesFrom: list,
    });
    expect(files).toEqual([p("a.nc"), "https://h.org/data/b.nc", "s3://bkt/k/a.nc"]);
    await expect(collectInputs({ patterns: ["https://h.org/data/*.nc"] })).rejects.toThrow(
      "https://h.org/data/*.nc: http(s) URLs cannot be patterns: http has no listing",
    );
    await expect(collectInputs({ patterns: ["ftp://h.org/a.nc"] })).rejects.toThrow(
      "ftp:// input locations are not supported",
    );
  });

  it("is empty without patterns or list", async () => {
    expect(await collectInputs({ patterns: [] })).toEqual([]);
  });
});
