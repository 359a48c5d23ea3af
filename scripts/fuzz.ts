/**
 * The readers' fuzzer: mutates corpus files (test/fuzz/mutate.ts) and runs each mutant through
 * the convert read path in a watched child process (test/fuzz/target.ts).
 *
 *   npx tsx scripts/fuzz.ts --seconds 600 [--seed S] [--corpus DIR]... [--out DIR] [--max-mb N]
 *                           [--timeout-ms N] [--json FILE]
 *
 * Defaults: the corpus is test/fixtures plus ../shared/data/real (files under --max-mb, 2 MB),
 * the seed is the clock's, out is fuzz-out/. Every bug, hang and memory case is written to the
 * out dir as <n>-<outcome>.json (source, seed, ops, result) plus the mutated bytes (.bin); replay
 * one with test/fuzz/replay.ts. Exits 1 when anything but ok/input-error was found.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { applyOps, formatOf, type Mutation, mutate, type Op } from "../test/fuzz/mutate.js";
import { type CaseResult, type Outcome, TargetProcess } from "../test/fuzz/target.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

interface Args {
  seconds: number;
  seed: number;
  corpus: string[];
  out: string;
  maxMb: number;
  timeoutMs: number;
  json?: string;
  verbose: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    seconds: 60,
    seed: Date.now() % 2 ** 31,
    corpus: [],
    out: join(repoRoot, "fuzz-out"),
    maxMb: 2,
    timeoutMs: 30_000,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case "--seconds":
        args.seconds = Number(value());
        break;
      case "--seed":
        args.seed = Number(value());
        break;
      case "--corpus":
        args.corpus.push(value());
        break;
      case "--out":
        args.out = resolve(value());
        break;
      case "--max-mb":
        args.maxMb = Number(value());
        break;
      case "--timeout-ms":
        args.timeoutMs = Number(value());
        break;
      case "--verbose":
        args.verbose = true;
        break;
      case "--json":
        args.json = resolve(value());
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (args.corpus.length === 0) {
    args.corpus = [join(repoRoot, "test/fixtures"), resolve(repoRoot, "../shared/data/real")];
  }
  return args;
}

/** NetCDF-3 and HDF5 files of the corpus directories, smallest first, under the size limit. */
function corpusFiles(dirs: string[], maxBytes: number): string[] {
  const files: { path: string; size: number }[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      const st = statSync(path);
      if (!st.isFile() || st.size === 0 || st.size > maxBytes) continue;
      const head = readFileSync(path).subarray(0, 4096);
      if (formatOf(head) === "other") continue;
      files.push({ path, size: st.size });
    }
  }
  return files.sort((a, b) => a.size - b.size).map((f) => f.path);
}

export interface Finding {
  source: string;
  seed: number;
  ops: Op[];
  result: CaseResult;
}

export interface FuzzSummary {
  seed: number;
  seconds: number;
  cases: number;
  /** Corpus files run unmutated first, and those left out (slow or failing unmutated). */
  baselines: number;
  skipped: string[];
  byOutcome: Record<Outcome, number>;
  byReader: Record<string, Record<Outcome, number>>;
  findings: Finding[];
}

const OUTCOMES: Outcome[] = ["ok", "input-error", "bug", "hang", "memory"];
const zero = (): Record<Outcome, number> => ({
  ok: 0,
  "input-error": 0,
  bug: 0,
  hang: 0,
  memory: 0,
});

/**
 * Drops ops one at a time while the outcome stays the same: a shorter recipe is easier to read
 * and to turn into a fixture. At most `budget` extra cases.
 */
async function minimise(
  target: TargetProcess,
  original: Uint8Array,
  ops: Op[],
  outcome: Outcome,
  scratch: string,
  budget = 6,
): Promise<Op[]> {
  let best = ops;
  for (let i = best.length - 1; i >= 0 && best.length > 1 && budget > 0; i--, budget--) {
    const fewer = best.filter((_, k) => k !== i);
    writeFileSync(scratch, applyOps(original, fewer));
    if ((await target.run(scratch)).outcome === outcome) best = fewer;
  }
  return best;
}

export async function fuzz(
  args: Args,
  log: (line: string) => void = console.log,
): Promise<FuzzSummary> {
  const files = corpusFiles(args.corpus, args.maxMb * 1e6);
  if (files.length === 0) throw new Error(`no NetCDF/HDF5 files in ${args.corpus.join(", ")}`);
  const work = mkdtempSync(join(tmpdir(), "zarrify-fuzz-"));
  const target = new TargetProcess({ timeoutMs: args.timeoutMs });
  const summary: FuzzSummary = {
    seed: args.seed,
    seconds: 0,
    cases: 0,
    baselines: 0,
    skipped: [],
    byOutcome: zero(),
    byReader: { netcdf3: zero(), hdf5: zero() },
    findings: [],
  };
  const started = Date.now();
  const deadline = started + args.seconds * 1000;
  const originals = new Map<string, Uint8Array>();
  let rotation = files.slice();
  log(`fuzz: seed ${args.seed}, ${files.length} corpus files, ${args.seconds} s`);
  try {
    for (let n = 0, k = 0; Date.now() < deadline && rotation.length > 0; n++, k++) {
      const source = rotation[k % rotation.length];
      let original = originals.get(source);
      if (!original) {
        // The unmutated file first: one that is slow or fails already would only report itself.
        const baseline = await target.run(source);
        summary.baselines++;
        const clean = baseline.outcome === "ok" || baseline.outcome === "input-error";
        if (!clean || baseline.ms > args.timeoutMs / 3) {
          log(
            `  skipping ${basename(source)}: unmutated it is ${baseline.outcome} in ${baseline.ms} ms`,
          );
          summary.skipped.push(basename(source));
          rotation = rotation.filter((f) => f !== source);
          k--;
          n--;
          continue;
        }
        original = new Uint8Array(readFileSync(source));
        originals.set(source, original);
      }
      const reader = formatOf(original);
      // One seed per case, derived from the run's: any case is replayed from (source, seed).
      const seed = (args.seed * 1_000_003 + n) >>> 0;
      const m: Mutation = mutate(original, seed);
      const path = join(work, `case-${basename(source)}`);
      writeFileSync(path, applyOps(original, m.ops));
      const result = await target.run(path);
      summary.cases++;
      summary.byOutcome[result.outcome]++;
      summary.byReader[reader] ??= zero();
      summary.byReader[reader][result.outcome]++;
      if (args.verbose) {
        log(
          `  #${n} ${result.outcome} ${result.ms} ms ${basename(source)} [${result.stage}] ${(result.message ?? "").slice(0, 160)}`,
        );
      }
      if (result.outcome === "ok" || result.outcome === "input-error") continue;
      const ops = await minimise(target, original, m.ops, result.outcome, `${path}.min`);
      const finding: Finding = { source: basename(source), seed, ops, result };
      summary.findings.push(finding);
      mkdirSync(args.out, { recursive: true });
      const name = `${String(summary.findings.length).padStart(3, "0")}-${result.outcome}-${seed}`;
      writeFileSync(
        join(args.out, `${name}.json`),
        `${JSON.stringify({ ...finding, sourcePath: source }, null, 2)}\n`,
      );
      writeFileSync(join(args.out, `${name}.bin`), applyOps(original, ops));
      log(
        `  ${result.outcome} #${summary.cases} ${basename(source)} seed ${seed}: [${result.stage}] ${result.message ?? ""}`,
      );
    }
  } finally {
    await target.stop();
    rmSync(work, { recursive: true, force: true });
  }
  summary.seconds = (Date.now() - started) / 1000;
  log(table(summary));
  if (args.json) writeFileSync(args.json, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

function table(s: FuzzSummary): string {
  const rows = [["", ...OUTCOMES, "total"]];
  for (const [reader, counts] of Object.entries(s.byReader)) {
    const total = OUTCOMES.reduce((a, o) => a + counts[o], 0);
    rows.push([reader, ...OUTCOMES.map((o) => String(counts[o])), String(total)]);
  }
  rows.push(["all", ...OUTCOMES.map((o) => String(s.byOutcome[o])), String(s.cases)]);
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => cell.padStart(width[c])).join("  "));
  return [
    `fuzz: ${s.cases} cases in ${s.seconds.toFixed(0)} s (seed ${s.seed}), ${s.findings.length} findings; ${s.baselines} corpus files run unmutated first, ${s.skipped.length} left out as slow or failing`,
    ...lines,
  ].join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  fuzz(args).then(
    (s) => {
      process.exitCode = s.findings.length > 0 ? 1 : 0;
    },
    (err) => {
      console.error(`fuzz: ${(err as Error).message}`);
      process.exitCode = 2;
    },
  );
}

export { parseArgs };
