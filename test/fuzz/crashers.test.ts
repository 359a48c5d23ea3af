/**
 * Every crasher the fuzzer found (test/fuzz/crashers/*.json: a corpus or fixture file and the
 * mutation that broke it), replayed through the same watched child as the fuzzer: each must now
 * be a clean outcome, `ok` or an InputError naming the file, within the time and memory bounds.
 * Recipes whose source file is not on this machine (the real corpus is not in the repository)
 * are skipped, by name.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/paths.js";
import { materialise, type Recipe, sourceOf } from "./replay.js";
import { TargetProcess } from "./target.js";

const here = dirname(fileURLToPath(import.meta.url));
const crashers = join(here, "crashers");
const recipes = readdirSync(crashers)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ file: f, recipe: JSON.parse(readFileSync(join(crashers, f), "utf8")) as Recipe }));

const dir = tempDir("zarrify-crashers-");
const target = new TargetProcess();
afterAll(() => target.stop());

describe("fuzzer crashers", () => {
  it("there are recipes to replay", () => {
    expect(recipes.length).toBeGreaterThan(0);
  });
  for (const { file, recipe } of recipes) {
    it.skipIf(sourceOf(recipe) === undefined)(
      `${file} (${recipe.source}) fails cleanly`,
      async () => {
        const path = materialise(recipe, dir);
        const r = await target.run(path);
        expect(["ok", "input-error"], JSON.stringify(r)).toContain(r.outcome);
        if (r.outcome === "input-error") expect(r.message).toContain(path);
      },
      120_000,
    );
  }
});
