/**
 * Crasher recipes (test/fuzz/crashers/*.json and the fuzzer's out dir): a source file of the
 * corpus or of test/fixtures, and the mutation ops that turned it into a crasher. The mutated
 * file is rebuilt byte for byte from them, so real corpus files never need copying.
 *
 *   npx tsx test/fuzz/replay.ts RECIPE.json...     (runs each in a watched child, prints results)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { applyOps, type Op } from "./mutate.js";
import { type CaseResult, TargetProcess } from "./target.js";

export interface Recipe {
  source: string;
  seed: number;
  ops: Op[];
  /** What the fuzzer saw when it found it (documentation only). */
  result?: CaseResult;
  /** Which run found it (crashers/ only). */
  found?: string;
  /** Why it crashed, and the fix (crashers/ only). */
  note?: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CORPUS_DIRS = [
  join(repoRoot, "test/fixtures"),
  resolve(repoRoot, "../shared/data/real"),
];

/** The recipe's source file, or undefined when it is not on this machine. */
export function sourceOf(recipe: Recipe): string | undefined {
  for (const dir of CORPUS_DIRS) {
    const path = join(dir, recipe.source);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Writes the mutated file of `recipe` into `dir` and returns its path. */
export function materialise(recipe: Recipe, dir: string): string {
  const source = sourceOf(recipe);
  if (!source) throw new Error(`${recipe.source} is not in ${CORPUS_DIRS.join(" or ")}`);
  const path = join(dir, `crasher-${recipe.seed}-${basename(source)}`);
  writeFileSync(path, applyOps(new Uint8Array(readFileSync(source)), recipe.ops));
  return path;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = mkdtempSync(join(tmpdir(), "zarrify-replay-"));
  const target = new TargetProcess();
  try {
    for (const file of process.argv.slice(2)) {
      const recipe = JSON.parse(readFileSync(file, "utf8")) as Recipe;
      const r = await target.run(materialise(recipe, dir));
      console.log(
        `${basename(file)}: ${r.outcome} [${r.stage}] ${r.ms} ms, peak ${r.peakRssMiB?.toFixed(0)} MiB (from ${r.startRssMiB?.toFixed(0)}): ${r.message ?? ""}`,
      );
    }
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
