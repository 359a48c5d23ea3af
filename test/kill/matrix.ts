/**
 * The kill matrix (issue 13): for each scenario (scenarios.ts), one clean reference run, then
 * `kills` attempts that start the same command from the same state and SIGKILL its process group
 * at a seeded random moment between 0 and the reference run's duration. After each kill:
 *   opens     an archive at the output (a root document) opens in xarray;
 *   truthful  `validate --json` on it: every step it calls written holds exactly the source
 *             values, every step it calls missing is not fully written, or is listed as partial
 *             (data there, no completed write recorded: by design not "written");
 * then the re-run of scenarios.ts, and:
 *   equal     the re-run exits 0 (or refuses as documented), `validate` says complete, and the
 *             archive decodes in xarray exactly as the reference (values, attrs, chunking) with
 *             the same set of keys;
 *   no strays nothing beside the output, no temp/lock files, staging or old directories, build
 *             markers or locks inside it, nothing left in the processes' TMPDIR.
 * scripts/kill-matrix.ts runs it in full; test/kill/kill-matrix.test.ts a subset.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { python, repoRoot } from "../helpers/paths.js";
import { seededRandom } from "../helpers/random.js";
import { sidPython } from "../helpers/sid.js";
import { MODULE_LOAD, runCli, sleep, startCli } from "./proc.js";
import type { Attempt, Env, Scenario } from "./scenarios.js";
import {
  comparableKeys,
  copyLocal,
  debrisIn,
  downloadS3,
  localArchiveExists,
  localKeys,
  s3ArchiveExists,
  s3Keys,
  strangersIn,
} from "./tree.js";

const execFileP = promisify(execFile);
const ORACLE = join(repoRoot, "test/kill/oracle.py");

export interface KillResult {
  scenario: string;
  index: number;
  delayMs: number;
  /** What the killed process had done: killed, or finished before the kill. */
  outcome: string;
  archiveAfterKill: boolean;
  opens: boolean | null;
  truthful: boolean | null;
  equal: boolean;
  noStrays: boolean;
  notes: string[];
  violations: string[];
}

export interface ScenarioResult {
  id: string;
  verb: string;
  store: string;
  zarrFormat: number;
  layout: string;
  referenceSeconds: number;
  kills: KillResult[];
  error?: string;
}

interface StepRange {
  start: number;
  stop: number;
}
interface ValidateJson {
  complete: boolean;
  missingSteps: number;
  missing: StepRange[];
  partial: StepRange[];
  damaged: StepRange[];
  steps: number;
}

interface OracleAnswer {
  path: string;
  opens: boolean;
  error?: string;
  fingerprint?: string;
  parts?: Record<string, unknown>;
  steps?: string[];
  warnings?: string[];
}

async function oracle(
  zarrFormat: number,
  jobs: { path: string; steps?: boolean; final?: boolean }[],
  work: string,
): Promise<Map<string, OracleAnswer>> {
  const file = join(work, `oracle-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(jobs));
  const out =
    zarrFormat === 2
      ? (await execFileP(python, [ORACLE, file], { maxBuffer: 256 << 20 })).stdout
      : (await sidPython([ORACLE, file])).stdout;
  const answers = JSON.parse(out) as OracleAnswer[];
  return new Map(answers.map((a) => [a.path, a]));
}

const inRanges = (t: number, rs: StepRange[]) => rs.some((r) => t >= r.start && t < r.stop);

/** The lies of a validate report against the oracle's step states. */
export function judgeTruth(v: ValidateJson, steps: string[]): string[] {
  const lies: string[] = [];
  if (v.complete !== (v.missingSteps === 0))
    lies.push(`complete=${v.complete} with ${v.missingSteps} missing`);
  if (v.steps !== steps.length)
    lies.push(`validate counts ${v.steps} steps, xarray ${steps.length}`);
  const said: string[] = [];
  for (const [t, state] of steps.entries()) {
    const missing = inRanges(t, v.missing);
    if (!missing && state !== "full")
      said.push(
        `step ${t} reported written but holds ${state === "none" ? "no data" : "other values"}`,
      );
    if (missing && state === "full" && !inRanges(t, v.partial)) {
      said.push(`step ${t} holds all its data but is reported missing and not partial`);
    }
  }
  return [...lies, ...said.slice(0, 4), ...(said.length > 4 ? [`… ${said.length - 4} more`] : [])];
}

async function validateJson(
  location: string,
  env: NodeJS.ProcessEnv,
): Promise<ValidateJson | string> {
  const e = await runCli(["validate", location, "--json"], env);
  if (e.code !== 0) {
    const lines = e.stderr.trim().split("\n");
    const at = Math.max(
      0,
      lines.findIndex((l) => /Error|error:/.test(l)),
    );
    return `validate exit ${e.code}: ${lines
      .slice(at, at + 3)
      .join(" | ")
      .slice(0, 500)}`;
  }
  try {
    return JSON.parse(e.stdout) as ValidateJson;
  } catch {
    return `validate printed no JSON: ${e.stdout.slice(0, 200)}`;
  }
}

export interface MatrixOptions {
  env: Env;
  scenarios: Scenario[];
  /** Kills per scenario id. */
  kills: Record<string, number>;
  seed: number;
  log?: (line: string) => void;
  /** Keep the attempts' directories (for a post-mortem). */
  keep?: boolean;
}

function newAttempt(env: Env, s: Scenario, label: string, index: number): Attempt {
  const dir = join(env.work, s.id, label);
  const outDir = join(dir, "out");
  const tmp = join(dir, "tmp");
  for (const d of [outDir, tmp]) mkdirSync(d, { recursive: true });
  const childEnv = { ...env.baseEnv, TMPDIR: tmp };
  if (s.store === "s3") {
    if (!env.moto) throw new Error(`${s.id} needs S3`);
    const prefix = `km/${s.id}/${label}`;
    return {
      label,
      dir,
      outDir,
      tmp,
      env: childEnv,
      index,
      location: `s3://${env.moto.bucket}/${prefix}`,
      s3: { bucket: env.moto.bucket, prefix, endpoint: env.moto.endpoint },
    };
  }
  return { label, dir, outDir, tmp, env: childEnv, index, location: join(outDir, "archive.zarr") };
}

/** The archive's keys and the debris in and around it, local or S3. */
async function look(a: Attempt): Promise<{ exists: boolean; keys: string[]; strays: string[] }> {
  const keys = a.s3 ? await s3Keys(a.s3) : localKeys(a.location);
  const strays = debrisIn(keys);
  if (!a.s3) strays.push(...strangersIn(a.outDir, ["archive.zarr"]).map((n) => `beside: ${n}`));
  strays.push(...localKeys(a.tmp).map((k) => `TMPDIR: ${k}`));
  return { exists: a.s3 ? s3ArchiveExists(keys) : localArchiveExists(a.location), keys, strays };
}

async function snapshot(a: Attempt, to: string): Promise<void> {
  if (a.s3) await downloadS3(a.s3, to);
  else copyLocal(a.location, to);
}

export async function runScenario(
  o: MatrixOptions,
  s: Scenario,
  rand: () => number,
): Promise<ScenarioResult> {
  const log = o.log ?? (() => {});
  const { env } = o;
  const result: ScenarioResult = {
    id: s.id,
    verb: s.verb,
    store: s.store,
    zarrFormat: s.zarrFormat,
    layout: s.layout,
    referenceSeconds: 0,
    kills: [],
  };
  await s.prepare(env);

  // The clean reference run: what every re-run must equal, and how long the command takes.
  const ref = newAttempt(env, s, "ref", -1);
  await s.setup(env, ref);
  const clean = await runCli(s.command(env, ref), ref.env);
  if (clean.code !== 0)
    throw new Error(`${s.id}: the clean run failed (${clean.code}):\n${clean.stderr.slice(-2000)}`);
  result.referenceSeconds = clean.seconds;
  const refLook = await look(ref);
  const refValid = await validateJson(ref.location, ref.env);
  if (typeof refValid === "string" || !refValid.complete) {
    throw new Error(
      `${s.id}: the clean run's archive is not complete: ${JSON.stringify(refValid).slice(0, 300)}`,
    );
  }
  if (refLook.strays.length)
    throw new Error(`${s.id}: the clean run left ${refLook.strays.join(", ")}`);
  const refCopy = join(env.work, s.id, "ref-copy");
  await snapshot(ref, refCopy);
  log(`${s.id}: reference run ${clean.seconds.toFixed(2)} s, ${refLook.keys.length} keys`);

  const pending: { r: KillResult; state?: string; final: string }[] = [];
  for (let i = 0; i < (o.kills[s.id] ?? 0); i++) {
    const a = newAttempt(env, s, `kill-${i}`, i);
    const r: KillResult = {
      scenario: s.id,
      index: i,
      delayMs: 0,
      outcome: "",
      archiveAfterKill: false,
      opens: null,
      truthful: null,
      equal: true,
      noStrays: true,
      notes: [],
      violations: [],
    };
    result.kills.push(r);
    try {
      await s.setup(env, a);
      r.delayMs = Math.round(rand() * clean.seconds * 1000);
      let started = startCli(s.command(env, a), a.env);
      await Promise.race([sleep(r.delayMs), started.done]);
      started.kill();
      let exit = await started.done;
      if (exit.code !== 0 && exit.signal === null && MODULE_LOAD.test(exit.stderr)) {
        // dist/ was being rebuilt by another session: it did nothing; start it again.
        r.notes.push("restarted once: the CLI failed to load (dist/ being rebuilt)");
        started = startCli(s.command(env, a), a.env);
        await Promise.race([sleep(r.delayMs), started.done]);
        started.kill();
        exit = await started.done;
      }
      r.outcome = exit.signal === "SIGKILL" ? "killed" : `finished first (exit ${exit.code})`;
      if (exit.signal !== "SIGKILL" && exit.code !== 0) {
        r.violations.push(
          `the killed command failed on its own: ${exit.stderr.trim().split("\n").slice(-1)[0]}`,
        );
      }

      // The state the kill left.
      const after = await look(a);
      r.archiveAfterKill = after.exists;
      let state: string | undefined;
      if (after.exists) {
        state = join(a.dir, "state");
        await snapshot(a, state);
        const v = await validateJson(a.location, a.env);
        if (typeof v === "string") {
          r.truthful = false;
          r.violations.push(`validate after the kill: ${v}`);
        } else writeFileSync(join(a.dir, "validate-after-kill.json"), JSON.stringify(v));
      }

      const rec = await s.recover(env, a);
      r.notes.push(...rec.notes);
      if (!rec.ok) {
        r.equal = false;
        r.violations.push(...rec.problems);
      }
      const done = await look(a);
      const v = await validateJson(a.location, a.env);
      if (typeof v === "string" || !v.complete) {
        r.equal = false;
        r.violations.push(
          `after the re-run validate says ${typeof v === "string" ? v : `${v.missingSteps} step(s) missing`}`,
        );
      }
      const want = comparableKeys(refLook.keys);
      const got = comparableKeys(done.keys);
      const extra = got.filter((k) => !want.includes(k) && !debrisIn([k]).length);
      const lacking = want.filter((k) => !got.includes(k));
      if (lacking.length) {
        r.equal = false;
        r.violations.push(
          `keys of the clean run missing: ${lacking.slice(0, 4).join(", ")}${lacking.length > 4 ? ` (+${lacking.length - 4})` : ""}`,
        );
      }
      if (extra.length || done.strays.length) {
        r.noStrays = false;
        r.violations.push(`strays: ${[...done.strays, ...extra].slice(0, 5).join(", ")}`);
      }
      const final = join(a.dir, "final");
      await snapshot(a, final);
      pending.push({ r, state, final });
    } catch (err) {
      r.equal = false;
      r.violations.push(`harness: ${(err as Error).message.slice(0, 400)}`);
    }
    log(
      `${s.id} #${i}: kill at ${r.delayMs} ms, ${r.outcome}${r.archiveAfterKill ? ", archive left" : ""}${r.violations.length ? `; VIOLATIONS: ${r.violations.join("; ")}` : ""}`,
    );
  }

  // One Python process for every archive of the scenario.
  const jobs = [
    { path: refCopy, final: true, steps: true },
    ...pending.flatMap((p) => [
      ...(p.state ? [{ path: p.state, steps: true }] : []),
      { path: p.final, final: true, steps: true },
    ]),
  ];
  const answers = await oracle(s.zarrFormat, jobs, join(env.work, s.id));
  const refAnswer = answers.get(refCopy);
  if (!refAnswer?.opens || refAnswer.steps?.some((x) => x !== "full")) {
    throw new Error(
      `${s.id}: the clean archive does not read back as the source: ${JSON.stringify(refAnswer).slice(0, 400)}`,
    );
  }
  for (const p of pending) {
    const { r } = p;
    if (p.state) {
      const st = answers.get(p.state);
      r.opens = st?.opens ?? false;
      if (!r.opens) r.violations.push(`the archive left by the kill does not open: ${st?.error}`);
      else if (st?.warnings?.length) r.notes.push(`opened with: ${st.warnings.join("; ")}`);
      try {
        const v = JSON.parse(
          readFileSync(join(p.state, "..", "validate-after-kill.json"), "utf8"),
        ) as ValidateJson;
        if (st?.steps) {
          const lies = judgeTruth(v, st.steps);
          r.truthful = lies.length === 0;
          if (lies.length) r.violations.push(`validate after the kill: ${lies.join("; ")}`);
          const partialFull = st.steps.filter(
            (x, t) => x === "full" && inRanges(t, v.partial),
          ).length;
          if (partialFull)
            r.notes.push(`${partialFull} step(s) fully written but unrecorded: reported partial`);
          if (v.missingSteps > 0)
            r.notes.push(`validate after the kill: ${v.missingSteps}/${v.steps} missing`);
        }
      } catch {
        // validate failed after the kill: already a violation
      }
    }
    const fin = answers.get(p.final);
    if (!fin?.opens) {
      r.equal = false;
      r.violations.push(
        `the re-run's archive does not open from consolidated metadata: ${fin?.error}`,
      );
    } else if (fin.fingerprint !== refAnswer.fingerprint) {
      r.equal = false;
      const parts = refAnswer.parts ?? {};
      const differ = Object.keys(parts).filter(
        (k) => JSON.stringify(parts[k]) !== JSON.stringify(fin.parts?.[k]),
      );
      r.violations.push(`the re-run's archive differs from the clean run in: ${differ.join(", ")}`);
    }
    if (!o.keep) rmSync(join(p.final, ".."), { recursive: true, force: true });
  }
  if (!o.keep) rmSync(join(env.work, s.id), { recursive: true, force: true });
  return result;
}

export async function runMatrix(o: MatrixOptions): Promise<ScenarioResult[]> {
  const rand = seededRandom(o.seed);
  const out: ScenarioResult[] = [];
  for (const s of o.scenarios) {
    try {
      out.push(await runScenario(o, s, rand));
    } catch (err) {
      out.push({
        id: s.id,
        verb: s.verb,
        store: s.store,
        zarrFormat: s.zarrFormat,
        layout: s.layout,
        referenceSeconds: 0,
        kills: [],
        error: (err as Error).message.slice(0, 1000),
      });
      o.log?.(`${s.id}: ERROR ${(err as Error).message.slice(0, 1000)}`);
    }
  }
  return out;
}

const yes = (n: number, of: number) => (of === 0 ? "–" : `${n}/${of}`);

/** The markdown table of the docs: one row per verb × store. */
export function markdownTable(results: ScenarioResult[]): string {
  const rows = [
    "| verb | store | format | kills | archive left | opens | validate truthful | re-run equal | no strays | notes |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const s of results) {
    const k = s.kills;
    const left = k.filter((x) => x.archiveAfterKill);
    const notes = new Set<string>();
    if (s.error) notes.add(`ERROR: ${s.error.split("\n")[0]}`);
    const finished = k.filter((x) => !x.outcome.startsWith("killed")).length;
    if (finished) notes.add(`${finished} finished before the kill`);
    for (const x of k) for (const v of x.violations) notes.add(`#${x.index}: ${v}`);
    rows.push(
      `| ${s.verb} | ${s.store} | v${s.zarrFormat} | ${k.length} | ${left.length} | ${yes(left.filter((x) => x.opens).length, left.length)} | ${yes(left.filter((x) => x.truthful).length, left.length)} | ${yes(k.filter((x) => x.equal).length, k.length)} | ${yes(k.filter((x) => x.noStrays).length, k.length)} | ${[...notes].join("; ").replace(/\|/g, "\\|") || "ok"} |`,
    );
  }
  return rows.join("\n");
}

export function violations(results: ScenarioResult[]): string[] {
  return results.flatMap((s) => [
    ...(s.error ? [`${s.id}: ${s.error}`] : []),
    ...s.kills.flatMap((k) =>
      k.violations.map((v) => `${s.id} #${k.index} (kill at ${k.delayMs} ms): ${v}`),
    ),
  ]);
}
