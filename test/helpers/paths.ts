import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The shared real-file corpus; CI clones the repo with shared/ beside it. */
export const realDir = resolve(repoRoot, "../shared/data/real");
export const fixturesDir = join(repoRoot, "test/fixtures");
export const cliBin = join(repoRoot, "dist/cli/bin.js");
/** Debian's python, which has netCDF4/xarray/zarr (a pyenv python earlier on PATH may not). */
export const python = "/usr/bin/python3";

export const real = (name: string) => join(realDir, name);
export const fixture = (name: string) => join(fixturesDir, name);

export function tempDir(prefix = "zarrify-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
