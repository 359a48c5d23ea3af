/**
 * Statements the docs and --help make in several places must agree with each other and with what
 * was measured: the race numbers of bench/results-regions.md, what --jobs counts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/paths.js";

const read = (p: string) => readFileSync(join(repoRoot, p), "utf8");

describe("the region race numbers", () => {
  it("README and docs/parallel.md state the steps xarray lost as bench/results-regions.md measured", () => {
    const bench = read("bench/results-regions.md");
    const rows = [...bench.matchAll(/^\| \d+ \| (\d+) of 40 \| (\d+) of 40 \|/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(1);
    const xarrayLost = rows.map((r) => r[2]);
    expect(rows.every((r) => r[1] === "0")).toBe(true);
    const stated = `${xarrayLost.slice(0, -1).join(", ")} and ${xarrayLost[xarrayLost.length - 1]}`;
    for (const doc of ["README.md", "docs/parallel.md"]) {
      const text = read(doc).replace(/\s+/g, " ");
      expect(text, doc).toContain(`lost ${stated} of`);
      expect(text, doc).not.toMatch(/22–27|10 to 21/);
    }
  });

  it("docs/parallel.md has no garbled sentence about the Python tool", () => {
    expect(read("docs/parallel.md")).not.toMatch(/zarrify replaces does/);
  });

  it("docs/configuration.md does not speak of 'later verbs'", () => {
    expect(read("docs/configuration.md")).not.toMatch(/later verbs/i);
  });
});

describe("what --jobs counts", () => {
  it("run --help speaks of worker threads, as run now uses", () => {
    const r = runCli(["run", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--jobs <n>\s+worker threads/);
    expect(r.stdout).not.toMatch(/worker process/);
  });

  it("convert --help speaks of worker threads", () => {
    const r = runCli(["convert", "--help"]);
    expect(r.stdout).toMatch(/--jobs <n>\s+worker threads/);
  });
});
