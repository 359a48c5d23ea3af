/**
 * The verbs the kill matrix kills, each with the state it starts from, the command that is
 * killed, and how a user recovers (the same command again; for run also --resume; for the queue
 * new workers). Inputs are small NetCDF files (grid.ts) sized so that a command takes one to a few
 * seconds on this machine: long enough that a random moment lands in any phase (start-up and
 * planning, staging, chunk writes, metadata, markers, commit), short enough for dozens of kills.
 * Every archive spans days 0..23 of 2000, 24 steps, whichever verb built it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeKillGrid } from "./grid.js";
import { type Exit, runCli, startCli } from "./proc.js";
import { copyLocal, copyS3, type S3Place } from "./tree.js";

/**
 * Grids: the inputs of convert, create-template, run and the queue hold 36 MB in all, above the
 * 32 MiB under which the engine stays on the calling thread, so their kills also land while
 * worker threads write; write-region's and append's are smaller (they run inline whatever the
 * size, and their base archives are copied for every attempt).
 */
export const BIG: [number, number] = [600, 620];
export const SMALL: [number, number] = [300, 500];

export interface Env {
  work: string;
  moto?: { endpoint: string; bucket: string };
  redisUrl?: string;
  /** Environment of every CLI process (AWS settings for moto). */
  baseEnv: NodeJS.ProcessEnv;
}

export interface Attempt {
  label: string;
  dir: string;
  /** Local archives: the directory the archive is the only entry of. */
  outDir: string;
  /** The archive argument: a path or s3://bucket/prefix. */
  location: string;
  s3?: S3Place;
  /** TMPDIR of every process of the attempt: what they leave there is found. */
  tmp: string;
  env: NodeJS.ProcessEnv;
  index: number;
}

export interface Recovery {
  ok: boolean;
  notes: string[];
  problems: string[];
}

export interface Scenario {
  id: string;
  verb: string;
  store: "local" | "s3";
  zarrFormat: 2 | 3;
  /** What the killed command does, for the docs' table. */
  layout: string;
  /** Once per matrix: inputs and pristine base archives. */
  prepare(env: Env): Promise<void>;
  /** The state the killed command starts from, for one attempt. */
  setup(env: Env, a: Attempt): Promise<void>;
  command(env: Env, a: Attempt): string[];
  recover(env: Env, a: Attempt): Promise<Recovery>;
}

const ENC = ["--compression", "gzip:1", "--no-progress"];
const RANGE = ["--global-start", "2000-01-01", "--global-end", "2000-01-24", "--freq", "1D"];

export function inputsDir(env: Env): string {
  return join(env.work, "inputs");
}

const inputs = {
  one24: (env: Env) => join(inputsDir(env), "one24", "in.nc"),
  eight: (env: Env) => join(inputsDir(env), "eight", "*.nc"),
  a: (env: Env) => join(inputsDir(env), "ab", "a.nc"),
  b: (env: Env) => join(inputsDir(env), "ab", "b.nc"),
  early: (env: Env) => join(inputsDir(env), "halves", "early.nc"),
  late: (env: Env) => join(inputsDir(env), "halves", "late.nc"),
};

/** All inputs of every scenario, written once. */
export function writeInputs(env: Env): void {
  const at = (sub: string, name: string, firstDay: number, times: number, [y, x]: number[]) => {
    mkdirSync(join(inputsDir(env), sub), { recursive: true });
    writeKillGrid(join(inputsDir(env), sub, name), { firstDay, times, y, x });
  };
  at("one24", "in.nc", 0, 24, BIG);
  for (let k = 0; k < 8; k++) at("eight", `f${k}.nc`, 3 * k, 3, BIG);
  // a and b share the time chunk of days 10..14 (chunks of 5): b's write merges into a's chunk.
  at("ab", "a.nc", 0, 11, SMALL);
  at("ab", "b.nc", 11, 13, SMALL);
  // early ends inside a chunk of 5 (days 10..14), so the append merges into its last chunk.
  at("halves", "early.nc", 0, 12, SMALL);
  at("halves", "late.nc", 12, 12, SMALL);
}

async function must(args: string[], env: NodeJS.ProcessEnv): Promise<Exit> {
  const e = await runCli(args, env);
  if (e.code !== 0) {
    throw new Error(`zarrify ${args.join(" ")} failed (${e.code}):\n${e.stderr.slice(-2000)}`);
  }
  return e;
}

function last(e: Exit): string {
  return e.stderr.trim().split("\n").slice(-2).join(" | ").slice(0, 300);
}

/**
 * Runs the steps in order; each must exit 0, or be a refusal `accept` names (the note it
 * returns goes in the report).
 */
async function sequence(
  steps: { args: string[]; accept?: (e: Exit) => string | undefined }[],
  env: NodeJS.ProcessEnv,
): Promise<Recovery> {
  const r: Recovery = { ok: true, notes: [], problems: [] };
  for (const s of steps) {
    const e = await runCli(s.args, env);
    if (e.code === 0) continue;
    const note = s.accept?.(e);
    if (note) {
      r.notes.push(note);
      continue;
    }
    r.ok = false;
    r.problems.push(
      `re-run \`zarrify ${s.args[0]}\` ${e.timedOut ? "timed out" : `exit ${e.code ?? e.signal}`}: ${last(e)}`,
    );
    break;
  }
  return r;
}

/** A finished archive makes a second convert/create-template refuse: documented, and fine. */
const existsRefusal = (e: Exit) =>
  e.code === 2 && /already exists/.test(e.stderr)
    ? "the killed command had finished: re-run refused (output exists)"
    : undefined;

/** Where the base state of write-region and append is kept (one per scenario). */
function basePath(env: Env, id: string): string {
  return join(env.work, "bases", id, "archive.zarr");
}
function basePlace(env: Env, id: string): S3Place {
  if (!env.moto) throw new Error("no S3");
  return { bucket: env.moto.bucket, prefix: `bases/${id}`, endpoint: env.moto.endpoint };
}
function baseLocation(env: Env, s: { id: string; store: string }): string {
  return s.store === "s3"
    ? `s3://${basePlace(env, s.id).bucket}/${basePlace(env, s.id).prefix}`
    : basePath(env, s.id);
}
async function restoreBase(env: Env, s: { id: string; store: string }, a: Attempt) {
  if (s.store === "s3") {
    if (!a.s3) throw new Error("no S3 place");
    await copyS3(basePlace(env, s.id), a.s3);
  } else copyLocal(basePath(env, s.id), join(a.outDir, "archive.zarr"));
}

type Store = "local" | "s3";
const fmt = (z: 2 | 3) => ["--zarr-format", String(z)];
const nothing = async () => {};

export function convertScenario(store: Store, zarrFormat: 2 | 3): Scenario {
  const command = (env: Env, a: Attempt) => [
    "convert",
    inputs.one24(env),
    a.location,
    ...fmt(zarrFormat),
    "--chunking",
    "time:2",
    "--jobs",
    "2",
    ...ENC,
  ];
  return {
    id: `convert-${store}`,
    verb: "convert",
    store,
    zarrFormat,
    layout: `one file of 24 steps of ${BIG.join("×")} float32 (36 MB), chunks of 2 steps, 2 threads`,
    prepare: nothing,
    setup: nothing,
    command,
    recover: (env, a) => sequence([{ args: command(env, a), accept: existsRefusal }], a.env),
  };
}

export function multiConvertScenario(store: Store, zarrFormat: 2 | 3): Scenario {
  const command = (env: Env, a: Attempt) => [
    "convert",
    inputs.eight(env),
    a.location,
    ...fmt(zarrFormat),
    "--chunking",
    "time:2",
    "--jobs",
    "2",
    ...ENC,
  ];
  return {
    id: `convert-multi-${store}`,
    verb: "convert (8 files)",
    store,
    zarrFormat,
    layout:
      "8 files of 3 steps (a glob), chunks of 2 steps shared by neighbouring files, 2 threads",
    prepare: nothing,
    setup: nothing,
    command,
    recover: (env, a) => sequence([{ args: command(env, a), accept: existsRefusal }], a.env),
  };
}

export function templateScenario(store: Store): Scenario {
  const command = (env: Env, a: Attempt) => [
    "create-template",
    inputs.one24(env),
    a.location,
    ...RANGE,
    "--compute",
    "--chunking",
    "time:2",
    "--shards",
    "time:4",
    "--jobs",
    "2",
    ...ENC,
  ];
  return {
    id: `create-template-${store}`,
    verb: "create-template --compute",
    store,
    zarrFormat: 3,
    layout: "template of 24 steps from the 24-step file with its data, chunks of 2 in shards of 4",
    prepare: nothing,
    setup: nothing,
    command,
    recover: (env, a) => sequence([{ args: command(env, a), accept: existsRefusal }], a.env),
  };
}

export function writeRegionScenario(store: Store, zarrFormat: 2 | 3): Scenario {
  const s = { id: `write-region-${store}`, store };
  return {
    ...s,
    verb: "write-region",
    zarrFormat,
    layout:
      "b.nc (days 11..23) into a template already holding a.nc (days 0..10), chunks of 5: one chunk merged",
    async prepare(env) {
      const base = baseLocation(env, s);
      const e = { ...env.baseEnv };
      await must(
        [
          "create-template",
          inputs.a(env),
          base,
          ...RANGE,
          ...fmt(zarrFormat),
          "--chunking",
          "time:5",
          ...ENC,
        ],
        e,
      );
      await must(["write-region", inputs.a(env), base, "--no-progress"], e);
    },
    setup: (env, a) => restoreBase(env, s, a),
    command: (env, a) => ["write-region", inputs.b(env), a.location, "--no-progress"],
    recover: (env, a) =>
      sequence([{ args: ["write-region", inputs.b(env), a.location, "--no-progress"] }], a.env),
  };
}

export function appendScenario(store: Store, zarrFormat: 2 | 3): Scenario {
  const s = { id: `append-${store}`, store };
  return {
    ...s,
    verb: "append",
    zarrFormat,
    layout:
      "late.nc (days 12..23) appended to a convert of early.nc (days 0..11), chunks of 5: the last chunk merged",
    async prepare(env) {
      await must(
        [
          "convert",
          inputs.early(env),
          baseLocation(env, s),
          ...fmt(zarrFormat),
          "--chunking",
          "time:5",
          ...ENC,
        ],
        { ...env.baseEnv },
      );
    },
    setup: (env, a) => restoreBase(env, s, a),
    command: (env, a) => ["append", inputs.late(env), a.location, "--no-progress"],
    recover: (env, a) =>
      sequence([{ args: ["append", inputs.late(env), a.location, "--no-progress"] }], a.env),
  };
}

export function runScenario(store: Store, zarrFormat: 2 | 3): Scenario {
  const command = (env: Env, a: Attempt, ...more: string[]) => [
    "run",
    inputs.eight(env),
    a.location,
    ...RANGE,
    ...fmt(zarrFormat),
    "--chunking",
    "time:2",
    "--jobs",
    "2",
    ...ENC,
    ...more,
  ];
  return {
    id: `run-${store}`,
    verb: "run",
    store,
    zarrFormat,
    layout:
      "8 files of 3 steps into a new template, chunks of 2 shared by neighbouring files, 2 threads",
    prepare: nothing,
    setup: nothing,
    command: (env, a) => command(env, a),
    // Even attempts resume at once; odd ones first re-run the same command as it was, which
    // completes a run killed before its template existed and otherwise refuses (documented),
    // and then resume.
    recover: (env, a) =>
      sequence(
        a.index % 2 === 0
          ? [{ args: command(env, a, "--resume") }]
          : [
              {
                args: command(env, a),
                accept: (e) =>
                  e.code === 2 && /already exists/.test(e.stderr) && /--resume/.test(e.stderr)
                    ? "plain re-run refused (archive exists, hint: --resume)"
                    : undefined,
              },
              { args: command(env, a, "--resume") },
            ],
        a.env,
      ),
  };
}

/** A short lock, so a killed worker's job is taken back within seconds, not 30. */
const LOCK = ["--lock-duration", "2000"];

export function queueScenario(store: Store, zarrFormat: 2 | 3): Scenario {
  const url = (env: Env) => {
    if (!env.redisUrl) throw new Error("no Redis");
    return env.redisUrl;
  };
  return {
    id: `queue-${store}`,
    verb: "queue work",
    store,
    zarrFormat,
    layout:
      "8 one-file jobs (3 steps, chunks of 2 shared) submitted; the worker (concurrency 2) is killed; 2 new workers finish",
    prepare: nothing,
    async setup(env, a) {
      await must(
        [
          "queue",
          "submit",
          inputs.eight(env),
          a.location,
          "--queue",
          url(env),
          ...RANGE,
          ...fmt(zarrFormat),
          "--chunking",
          "time:2",
          ...ENC,
        ],
        a.env,
      );
    },
    command: (env, a) => [
      "queue",
      "work",
      a.location,
      "--queue",
      url(env),
      "--concurrency",
      "2",
      "--exit-when-drained",
      ...LOCK,
    ],
    async recover(env, a) {
      const r: Recovery = { ok: true, notes: [], problems: [] };
      const args = [
        "queue",
        "work",
        a.location,
        "--queue",
        url(env),
        "--exit-when-drained",
        ...LOCK,
      ];
      const workers = await Promise.all([0, 1].map(() => startCli(args, a.env).done));
      for (const w of workers) {
        if (w.code !== 0) {
          r.ok = false;
          r.problems.push(`new worker exit ${w.code ?? w.signal}: ${last(w)}`);
        }
      }
      const st = await runCli(
        ["queue", "status", a.location, "--queue", url(env), "--json"],
        a.env,
      );
      if (st.code !== 0) {
        r.ok = false;
        r.problems.push(`queue status exit ${st.code}: ${last(st)}`);
        return r;
      }
      const status = JSON.parse(st.stdout);
      if (status.failed !== 0 || status.completed !== 8 || !status.done) {
        r.ok = false;
        r.problems.push(
          `queue status: ${status.completed} completed, ${status.failed} failed, done ${status.done}${status.failures?.length ? `: ${status.failures[0].reason}` : ""}`,
        );
      }
      if (status.finished && status.finished.complete !== true) {
        r.ok = false;
        r.problems.push(
          `the finishing validate says incomplete (${status.finished.missingSteps} missing)`,
        );
      }
      return r;
    },
  };
}

/** Every scenario of the full matrix, local and (when `s3`) on moto's S3. */
export function allScenarios(s3: boolean): Scenario[] {
  const local: Scenario[] = [
    convertScenario("local", 2),
    multiConvertScenario("local", 3),
    templateScenario("local"),
    writeRegionScenario("local", 2),
    appendScenario("local", 3),
    runScenario("local", 2),
    queueScenario("local", 2),
  ];
  if (!s3) return local;
  return [
    ...local,
    convertScenario("s3", 3),
    multiConvertScenario("s3", 2),
    templateScenario("s3"),
    writeRegionScenario("s3", 3),
    appendScenario("s3", 2),
    runScenario("s3", 3),
    queueScenario("s3", 3),
  ];
}
