/** The library is not silent by default: its warnings reach stderr unless a logger is given. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeGrid } from "./helpers/grid-nc.js";
import { repoRoot, tempDir } from "./helpers/paths.js";

let dir: string;
let nc: string;
beforeAll(() => {
  dir = tempDir();
  nc = join(dir, "a.nc");
  writeGrid(nc, { times: 2, y: 2, x: 3 });
});

/** Runs createTemplate from the built package in a fresh node, with `logger` as given. */
function template(out: string, logger: string): { code: number | null; stderr: string } {
  const script = `
    import { createTemplate, createLogger } from ${JSON.stringify(join(repoRoot, "dist/index.js"))};
    const lines = [];
    await createTemplate({
      templateDataset: ${JSON.stringify(nc)}, outputPath: ${JSON.stringify(out)},
      globalStart: "2000-01-01", globalEnd: "2000-01-04",
      packing: { enabled: true, manualRanges: { nope: { min: 0, max: 1 } } },
      ${logger}
    });
    if (lines.length) console.log(lines.join("\\n"));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  return { code: r.status, stderr: r.stderr + r.stdout };
}

describe("library logging", () => {
  it("writes warnings to stderr when no logger is passed", () => {
    const r = template(join(dir, "default.zarr"), "");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: packing.manualRanges names 'nope'");
  });

  it("writes them to the caller's logger instead when one is passed", () => {
    const r = template(
      join(dir, "own.zarr"),
      'logger: createLogger("warn", (l) => lines.push("mine: " + l)),',
    );
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n");
    // Every line went to the caller's logger, none to stderr.
    for (const line of lines) expect(line).toMatch(/^mine: warning: /);
    expect(lines.some((l) => l.includes("packing.manualRanges names 'nope'"))).toBe(true);
  });
});
