import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  builtModule,
  packageModule,
  packageRoot,
  runningFromSource,
} from "../src/package-files.js";
import { repoRoot } from "./helpers/paths.js";

describe("package files", () => {
  it("finds the package root from any module", () => {
    expect(packageRoot()).toBe(repoRoot);
  });

  it("names a module by its source path: the .ts file under the test runner", () => {
    expect(runningFromSource()).toBe(true);
    const worker = fileURLToPath(packageModule("engine/worker"));
    expect(worker).toBe(join(repoRoot, "src/engine/worker.ts"));
    expect(existsSync(worker)).toBe(true);
  });

  it("names the built module in dist/ whatever the code runs from", () => {
    expect(fileURLToPath(builtModule("queue/processor"))).toBe(
      join(repoRoot, "dist/queue/processor.js"),
    );
  });
});

describe("the bundled CLI (scripts/bundle.mjs)", () => {
  // Thread entry points the code starts by file: each must be a bundle that imports only its
  // chunks and packages, never tsc's per-file output beside it.
  const entries = ["cli/bin", "engine/worker", "readers/remote/fetch-thread", "queue/processor"];
  it.each(entries)("dist/%s.js imports only chunks and packages", (entry) => {
    const text = readFileSync(join(repoRoot, "dist", `${entry}.js`), "utf8");
    const relative = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)].map((m) => m[1]);
    expect(relative.length).toBeGreaterThan(0);
    for (const specifier of relative) expect(specifier).toMatch(/(^|\/)chunks\/[^/]+\.js$/);
  });
});
