/**
 * `--shard auto`: which shard of a job array this task is, from the environment the scheduler
 * gives it, as a pure function of (spec, env) so every case is testable without a scheduler.
 *
 *   --shard i/n       as given (ops/inputs.ts parseShard)
 *   --shard auto      SLURM: index = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN (divided by
 *                     SLURM_ARRAY_TASK_STEP when set), count = SLURM_ARRAY_TASK_COUNT
 *   --shard auto/N    as auto, the count N: Kubernetes Indexed Jobs give JOB_COMPLETION_INDEX but
 *                     no count, so the user states it (the Job's `completions`); under SLURM, N
 *                     must agree with SLURM_ARRAY_TASK_COUNT
 *
 * A wrong shard loses files silently: the tasks of an array each take every n-th file, and a
 * count or index that is off leaves some files to no task. So whatever does not add up — a
 * variable missing, not a number, an index outside the count, an array that is not one evenly
 * spaced range (`--array=1,5,7`), both schedulers at once — is a ConfigError naming the
 * variables, never a guess.
 */
import { ConfigError } from "../errors.js";
import { hint, message, opt } from "../hint.js";
import { parseShard, type Shard } from "./inputs.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface ResolvedShard extends Shard {
  /** For `auto`: the variables index and count came from, for the log. */
  from?: string;
}

export const SLURM_ID = "SLURM_ARRAY_TASK_ID";
export const SLURM_COUNT = "SLURM_ARRAY_TASK_COUNT";
export const SLURM_MIN = "SLURM_ARRAY_TASK_MIN";
export const SLURM_MAX = "SLURM_ARRAY_TASK_MAX";
export const SLURM_STEP = "SLURM_ARRAY_TASK_STEP";
export const K8S_INDEX = "JOB_COMPLETION_INDEX";

const AUTO = /^\s*auto\s*(?:\/\s*(\S*?)\s*)?$/i;

function fail(text: string, fix: ReturnType<typeof hint>): never {
  throw new ConfigError(message`${opt("shard")} auto: ${text}`, { hint: fix });
}

/** A variable's value as a whole number ≥ min, or a ConfigError naming it. */
function whole(env: Env, name: string, min: number): number {
  const raw = (env[name] ?? "").trim();
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    fail(
      `${name}='${env[name]}' is not a whole number${min > 0 ? ` >= ${min}` : ""}`,
      hint`the scheduler sets it in array tasks; pass ${opt("shard", "i/n")} to give the shard yourself`,
    );
  }
  return n;
}

const isSet = (env: Env, name: string) => (env[name] ?? "").trim() !== "";

function slurm(env: Env, given: number | undefined): ResolvedShard {
  for (const name of [SLURM_COUNT, SLURM_MIN]) {
    if (!isSet(env, name)) {
      fail(
        `${SLURM_ID}=${env[SLURM_ID]} is set but ${name} is not`,
        hint`run it as a task of an sbatch --array job (SLURM sets both), or pass ${opt("shard", `$${SLURM_ID}/N`)} for an array 0..N-1`,
      );
    }
  }
  const id = whole(env, SLURM_ID, 0);
  const count = whole(env, SLURM_COUNT, 1);
  const min = whole(env, SLURM_MIN, 0);
  const step = isSet(env, SLURM_STEP) ? whole(env, SLURM_STEP, 1) : 1;
  const shown = [SLURM_ID, SLURM_MIN, SLURM_COUNT, ...(step > 1 ? [SLURM_STEP] : [])]
    .map((v) => `${v}=${env[v]?.trim()}`)
    .join(", ");
  const evenRange = hint`submit the array as one range, e.g. sbatch --array=0-${count - 1} (a step like 1-31:2 is fine), or pass ${opt("shard", "i/n")} yourself`;
  if (isSet(env, SLURM_MAX)) {
    const max = whole(env, SLURM_MAX, 0);
    if (max !== min + (count - 1) * step) {
      fail(
        `the array's ${count} tasks are not one evenly spaced range from ${min} to ${max} (${SLURM_STEP}=${step}): the shards would not cover every file`,
        evenRange,
      );
    }
  }
  const offset = id - min;
  if (offset < 0 || offset % step !== 0 || offset / step >= count) {
    fail(
      `${shown} do not give a shard index in 0..${count - 1}: the shards would not cover every file`,
      evenRange,
    );
  }
  if (given !== undefined && given !== count) {
    fail(
      `${SLURM_COUNT}=${count} but auto/${given} says ${given} shards`,
      hint`pass ${opt("shard", "auto")} (SLURM gives the count), or make --array and N agree`,
    );
  }
  return { index: offset / step, count, from: shown };
}

function kubernetes(env: Env, given: number | undefined): ResolvedShard {
  const index = whole(env, K8S_INDEX, 0);
  if (given === undefined) {
    fail(
      `${K8S_INDEX}=${index} is set but Kubernetes gives no shard count`,
      hint`pass ${opt("shard", "auto/N")} with N the Job's completions (e.g. auto/16 for completions: 16)`,
    );
  }
  if (index >= given) {
    fail(
      `${K8S_INDEX}=${index} is not below the count ${given} of auto/${given}`,
      hint`give the Job's completions as N in ${opt("shard", "auto/N")}; they must be equal`,
    );
  }
  return { index, count: given, from: `${K8S_INDEX}=${index}, count ${given} from auto/${given}` };
}

/** The shard `spec` names in this environment: "i/n", "auto" or "auto/N" (see the header). */
export function resolveShard(spec: string, env: Env): ResolvedShard {
  const auto = AUTO.exec(spec);
  if (!auto) return parseShard(spec);
  let given: number | undefined;
  if (auto[1] !== undefined) {
    given = /^\d+$/.test(auto[1]) ? Number(auto[1]) : Number.NaN;
    if (!Number.isSafeInteger(given) || given < 1) {
      throw new ConfigError(
        message`${opt("shard")} '${spec}': expected auto, auto/N with N >= 1, or i/n`,
        { hint: hint`N is the number of tasks of the array, e.g. ${opt("shard", "auto/16")}` },
      );
    }
  }
  const inSlurm = isSet(env, SLURM_ID);
  const inK8s = isSet(env, K8S_INDEX);
  if (inSlurm && inK8s) {
    fail(
      `both ${SLURM_ID} and ${K8S_INDEX} are set, so which scheduler's index counts is unclear`,
      hint`pass ${opt("shard", "i/n")} yourself, or unset the one that does not belong`,
    );
  }
  if (inSlurm) return slurm(env, given);
  if (inK8s) return kubernetes(env, given);
  return fail(
    `neither ${SLURM_ID} (a SLURM job array) nor ${K8S_INDEX} (a Kubernetes Indexed Job) is set`,
    hint`run it as a task of an sbatch --array job or of an Indexed Job (with ${opt("shard", "auto/N")}), or pass ${opt("shard", "i/n")}`,
  );
}
