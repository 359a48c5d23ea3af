/**
 * --shard auto from a scheduler's environment (ops/job-array.ts), as SLURM and Kubernetes set it.
 * The environments are what `sbatch --array=…` gives its tasks (SLURM 23.02's variables) and what
 * an Indexed Job gives its pods; a shard that does not add up must be an error, never a guess.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { type Env, resolveShard } from "../../src/ops/job-array.js";

/** The array variables SLURM sets in one task of `sbatch --array=MIN-MAX[:STEP]`. */
function slurmTask(id: number, min: number, max: number, step = 1): Env {
  return {
    SLURM_ARRAY_JOB_ID: "4711",
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: String(min),
    SLURM_ARRAY_TASK_MAX: String(max),
    SLURM_ARRAY_TASK_STEP: String(step),
    SLURM_ARRAY_TASK_COUNT: String(Math.floor((max - min) / step) + 1),
  };
}

function refusal(spec: string, env: Env): string {
  try {
    resolveShard(spec, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.message).not.toContain("\n");
    return `${e.message} | ${e.hint}`;
  }
  throw new Error(`${spec} was accepted in ${JSON.stringify(env)}`);
}

describe("--shard i/n", () => {
  it("is taken as given, whatever the environment says", () => {
    expect(resolveShard("3/16", slurmTask(5, 0, 7))).toEqual({ index: 3, count: 16 });
    expect(() => resolveShard("16/16", {})).toThrow(/expected i\/n with 0 <= i < n/);
  });
});

describe("--shard auto under SLURM", () => {
  it("takes index and count from an array starting at 0", () => {
    expect(resolveShard("auto", slurmTask(0, 0, 15))).toMatchObject({ index: 0, count: 16 });
    expect(resolveShard("auto", slurmTask(15, 0, 15))).toMatchObject({ index: 15, count: 16 });
  });

  it("subtracts SLURM_ARRAY_TASK_MIN for arrays starting at 1 or anywhere", () => {
    expect(resolveShard("auto", slurmTask(1, 1, 16))).toMatchObject({ index: 0, count: 16 });
    expect(resolveShard("auto", slurmTask(16, 1, 16))).toMatchObject({ index: 15, count: 16 });
    const r = resolveShard("auto", slurmTask(1003, 1000, 1007));
    expect(r).toMatchObject({ index: 3, count: 8 });
    expect(r.from).toBe(
      "SLURM_ARRAY_TASK_ID=1003, SLURM_ARRAY_TASK_MIN=1000, SLURM_ARRAY_TASK_COUNT=8",
    );
  });

  it("divides by SLURM_ARRAY_TASK_STEP for --array=1-31:2", () => {
    expect(resolveShard("auto", slurmTask(1, 1, 31, 2))).toMatchObject({ index: 0, count: 16 });
    expect(resolveShard("auto", slurmTask(31, 1, 31, 2))).toMatchObject({ index: 15, count: 16 });
    expect(resolveShard("auto", slurmTask(7, 1, 31, 2))).toMatchObject({ index: 3, count: 16 });
  });

  it("gives every task of an array its own shard, together all the files", () => {
    const files = Array.from({ length: 37 }, (_, i) => `/d/f${String(i).padStart(3, "0")}.nc`);
    for (const [min, max, step] of [
      [0, 6, 1],
      [1, 7, 1],
      [10, 22, 3],
    ]) {
      const taken: string[] = [];
      for (let id = min; id <= max; id += step) {
        const shard = resolveShard("auto", slurmTask(id, min, max, step));
        taken.push(...files.filter((_, i) => i % shard.count === shard.index));
      }
      expect(taken.sort()).toEqual(files);
    }
  });

  it("accepts auto/N when N agrees with SLURM_ARRAY_TASK_COUNT, refuses it otherwise", () => {
    expect(resolveShard("auto/16", slurmTask(4, 1, 16))).toMatchObject({ index: 3, count: 16 });
    expect(refusal("auto/8", slurmTask(4, 1, 16))).toMatch(
      /SLURM_ARRAY_TASK_COUNT=16 but auto\/8 says 8 shards/,
    );
  });

  it("refuses an array that is not one evenly spaced range (--array=1,5,7)", () => {
    const list = {
      SLURM_ARRAY_TASK_ID: "5",
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_MAX: "7",
      SLURM_ARRAY_TASK_COUNT: "3",
    };
    expect(refusal("auto", list)).toMatch(
      /shard auto: the array's 3 tasks are not one evenly spaced range from 1 to 7 .* the shards would not cover every file \| submit the array as one range, e.g. sbatch --array=0-2/,
    );
  });

  it("refuses an index outside the array and off its step", () => {
    const env = { ...slurmTask(0, 0, 3), SLURM_ARRAY_TASK_ID: "4" };
    expect(refusal("auto", env)).toMatch(/do not give a shard index in 0\.\.3/);
    const below = { ...slurmTask(1, 1, 4), SLURM_ARRAY_TASK_ID: "0" };
    expect(refusal("auto", below)).toMatch(/do not give a shard index/);
    const offStep = { ...slurmTask(1, 1, 31, 2), SLURM_ARRAY_TASK_ID: "4" };
    expect(refusal("auto", offStep)).toMatch(/SLURM_ARRAY_TASK_STEP=2 do not give a shard index/);
  });

  it("names a missing or malformed variable", () => {
    const { SLURM_ARRAY_TASK_COUNT: _c, ...noCount } = slurmTask(3, 0, 7);
    expect(refusal("auto", noCount)).toMatch(
      /^shard auto: SLURM_ARRAY_TASK_ID=3 is set but SLURM_ARRAY_TASK_COUNT is not \| .*sbatch --array/,
    );
    const { SLURM_ARRAY_TASK_MIN: _m, ...noMin } = slurmTask(3, 0, 7);
    expect(refusal("auto", noMin)).toMatch(/SLURM_ARRAY_TASK_MIN is not/);
    expect(refusal("auto", { ...slurmTask(3, 0, 7), SLURM_ARRAY_TASK_ID: "3a" })).toMatch(
      /SLURM_ARRAY_TASK_ID='3a' is not a whole number/,
    );
    expect(refusal("auto", { ...slurmTask(3, 0, 7), SLURM_ARRAY_TASK_COUNT: "0" })).toMatch(
      /SLURM_ARRAY_TASK_COUNT='0' is not a whole number >= 1/,
    );
  });
});

describe("--shard auto under Kubernetes (Indexed Job)", () => {
  it("takes the index from JOB_COMPLETION_INDEX and the count from auto/N", () => {
    const r = resolveShard("auto/16", { JOB_COMPLETION_INDEX: "15" });
    expect(r).toMatchObject({ index: 15, count: 16 });
    expect(r.from).toBe("JOB_COMPLETION_INDEX=15, count 16 from auto/16");
    expect(resolveShard(" AUTO / 4 ", { JOB_COMPLETION_INDEX: "0" })).toMatchObject({
      index: 0,
      count: 4,
    });
  });

  it("asks for the count, which Kubernetes does not give", () => {
    expect(refusal("auto", { JOB_COMPLETION_INDEX: "3" })).toMatch(
      /^shard auto: JOB_COMPLETION_INDEX=3 is set but Kubernetes gives no shard count \| pass shard: "auto\/N" with N the Job's completions/,
    );
  });

  it("refuses an index at or beyond the count", () => {
    expect(refusal("auto/16", { JOB_COMPLETION_INDEX: "16" })).toMatch(
      /JOB_COMPLETION_INDEX=16 is not below the count 16 of auto\/16/,
    );
  });
});

describe("--shard auto outside a job array", () => {
  it("says which variables it looked for and what to do", () => {
    expect(refusal("auto", { HOME: "/root" })).toMatch(
      /^shard auto: neither SLURM_ARRAY_TASK_ID \(a SLURM job array\) nor JOB_COMPLETION_INDEX \(a Kubernetes Indexed Job\) is set \| .*pass shard: "i\/n"/,
    );
    // Set but empty counts as not set (a template's `export SLURM_ARRAY_TASK_ID=`).
    expect(refusal("auto/4", { SLURM_ARRAY_TASK_ID: "", JOB_COMPLETION_INDEX: " " })).toMatch(
      /neither SLURM_ARRAY_TASK_ID/,
    );
  });

  it("refuses both schedulers at once, and a malformed count", () => {
    expect(refusal("auto/8", { ...slurmTask(1, 0, 7), JOB_COMPLETION_INDEX: "1" })).toMatch(
      /both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set/,
    );
    for (const spec of ["auto/0", "auto/x", "auto/", "auto/-2"]) {
      expect(refusal(spec, { JOB_COMPLETION_INDEX: "1" })).toMatch(
        /expected auto, auto\/N with N >= 1, or i\/n/,
      );
    }
  });
});
