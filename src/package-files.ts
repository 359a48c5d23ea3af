/**
 * Files of this package found from its root, not from the calling module: the built CLI and the
 * thread entry points are bundled (scripts/bundle.mjs), and a bundled module's `import.meta.url`
 * is its chunk's, which says nothing about where its source sat among src/ or dist/.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

const here = fileURLToPath(import.meta.url);
/** Under the test runner the code runs from its TypeScript sources (tsx). */
const fromSource = here.endsWith(".ts");

let root: string | undefined;

function isOurs(dir: string): boolean {
  const manifest = join(dir, "package.json");
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "zarrify";
  } catch {
    return false;
  }
}

/** The directory holding zarrify's package.json. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(here); ; ) {
    if (isOurs(dir)) {
      root = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`zarrify's package.json is not above ${here}`);
    dir = up;
  }
}

/** Whether modules run from src/*.ts (tsx), so a thread must register tsx's loader first. */
export function runningFromSource(): boolean {
  return fromSource;
}

/**
 * A module of this package by its path under src/ without extension ("engine/worker"): the built
 * file in dist/, or the TypeScript source under the test runner.
 */
export function packageModule(path: string): URL {
  return fromSource ? pathToFileURL(join(packageRoot(), "src", `${path}.ts`)) : builtModule(path);
}

/** The built module in dist/, whatever this code runs from. */
export function builtModule(path: string): URL {
  return pathToFileURL(join(packageRoot(), "dist", `${path}.js`));
}

/**
 * A worker thread running this package's module `path` (as `packageModule` names it); under the
 * test runner it registers tsx's loader first. A worker inherits the process's flags, and
 * `--input-type` (of `node -e`) would refuse a module file, so that one is left out.
 */
export function packageWorker(path: string): Worker {
  const module = packageModule(path);
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
  if (!fromSource) return new Worker(module, { execArgv });
  const bootstrap = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(bootstrap, { eval: true, execArgv });
}
