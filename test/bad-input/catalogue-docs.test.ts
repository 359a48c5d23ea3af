/**
 * docs/errors.md is the catalogue's user-facing table: each of its rows names the test behind
 * it ("E: an empty file"), and each test of the environment, config, region and archive files
 * has its row. A case added or renamed without the table (or the reverse) fails here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/paths.js";

const FILES: Record<string, string> = {
  E: "environment.test.ts",
  C: "config.test.ts",
  R: "regions.test.ts",
  A: "archives.test.ts",
};

/** A test's name in the table: its title up to the first ": " (the promise follows it). */
function testNames(file: string): string[] {
  const text = readFileSync(join(repoRoot, "test/bad-input", file), "utf8");
  return [...text.matchAll(/\bit(?:\.skipIf\([^)]*\))?\(\s*"([^"]+)"/g)].map(
    (m) => m[1].split(": ")[0],
  );
}

const docs = readFileSync(join(repoRoot, "docs/errors.md"), "utf8");
/** The last cell of each table row that names one of these files' tests. */
const cited = [...docs.matchAll(/\| ([ECRA]): ([^|]+?) \|\s*$/gm)].map((m) => `${m[1]}: ${m[2]}`);

describe("docs/errors.md and the catalogue's tests", () => {
  const tests = Object.entries(FILES).flatMap(([letter, file]) =>
    testNames(file).map((name) => `${letter}: ${name}`),
  );

  it("finds the tests and the rows", () => {
    expect(tests.length).toBeGreaterThanOrEqual(70);
    expect(cited.length).toBeGreaterThanOrEqual(70);
  });

  it("has a row for every test", () => {
    expect(tests.filter((t) => !cited.includes(t))).toEqual([]);
  });

  it("names only tests that exist", () => {
    expect(cited.filter((c) => !tests.includes(c))).toEqual([]);
  });
});
