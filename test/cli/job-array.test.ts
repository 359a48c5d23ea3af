/**
 * `run --shard auto` as a job array runs it: the built CLI in one process per task, each with the
 * environment its scheduler would give it — a SLURM array numbered from 1 (`sbatch --array=1-3`),
 * a Kubernetes Indexed Job with `completions: 2` — filling one template; and the one-line errors
 * outside an array.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { validateArchive } from "../../src/ops/validate.js";
import { tempDir } from "../helpers/paths.js";
import { cliProcess, compareConcat, makeSeries } from "../region/series.js";

const dir = tempDir("zarrify-job-array-");

/** No scheduler: what a login shell has (the test may itself run inside a SLURM job). */
const NO_SCHEDULER = {
  SLURM_ARRAY_TASK_ID: "",
  SLURM_ARRAY_TASK_COUNT: "",
  SLURM_ARRAY_TASK_MIN: "",
  SLURM_ARRAY_TASK_MAX: "",
  SLURM_ARRAY_TASK_STEP: "",
  JOB_COMPLETION_INDEX: "",
};

async function template(files: string[], archive: string) {
  const t = await cliProcess([
    "create-template",
    files[0],
    archive,
    "--global-start",
    "2020-01-01",
    "--global-end",
    "2020-01-12",
    "--zarr-format",
    "2",
    "--chunking",
    "time:5",
  ]);
  expect(t.code, t.stderr).toBe(0);
}

describe("run --shard auto", () => {
  const list = join(dir, "files.txt");
  let files: string[];
  beforeAll(() => {
    files = makeSeries(join(dir, "in"), [2, 3, 2, 3, 2]);
    writeFileSync(list, `${files.join("\n")}\n`);
  });
  const task = (archive: string, shard: string, env: Record<string, string>) =>
    cliProcess(
      ["run", "--files-from", list, archive, "--resume", "--shard", shard, "--jobs", "1", "--json"],
      { ...NO_SCHEDULER, ...env },
    );

  it("a SLURM array numbered 1-3: three tasks take disjoint shards and fill the template", async () => {
    const archive = join(dir, "slurm.zarr");
    await template(files, archive);
    const tasks = await Promise.all(
      [1, 2, 3].map((id) =>
        task(archive, "auto", {
          SLURM_ARRAY_JOB_ID: "4711",
          SLURM_ARRAY_TASK_ID: String(id),
          SLURM_ARRAY_TASK_MIN: "1",
          SLURM_ARRAY_TASK_MAX: "3",
          SLURM_ARRAY_TASK_STEP: "1",
          SLURM_ARRAY_TASK_COUNT: "3",
        }),
      ),
    );
    for (const t of tasks) expect(t.code, t.stderr).toBe(0);
    const results = tasks.map((t) => JSON.parse(t.stdout));
    expect(results.map((r) => r.shard)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));
    expect(results.map((r) => r.written)).toEqual([2, 2, 1]);
    expect((await validateArchive(archive)).complete).toBe(true);
    expect(compareConcat(files, archive).differences).toEqual([]);
  }, 120_000);

  it("a Kubernetes Indexed Job of 2 completions with auto/2; the text line names the shard", async () => {
    const archive = join(dir, "k8s.zarr");
    await template(files, archive);
    const tasks = await Promise.all(
      [0, 1].map((i) =>
        cliProcess(
          ["run", "--files-from", list, archive, "--resume", "--shard", "auto/2", "--jobs", "1"],
          { ...NO_SCHEDULER, JOB_COMPLETION_INDEX: String(i) },
        ),
      ),
    );
    for (const t of tasks) expect(t.code, t.stderr).toBe(0);
    expect(tasks[0].stdout).toMatch(/\(shard 0 of 2\): 3 of 3 files written/);
    expect(tasks[1].stdout).toMatch(/\(shard 1 of 2\): 2 of 2 files written/);
    expect((await validateArchive(archive)).complete).toBe(true);
  }, 120_000);

  it("outside a job array, or with a count Kubernetes cannot give: one error line, exit 2", async () => {
    const archive = join(dir, "none.zarr");
    await template(files, archive);
    const none = await task(archive, "auto", {});
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split("\n")).toEqual([
      "zarrify: error: --shard auto: neither SLURM_ARRAY_TASK_ID (a SLURM job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set",
      "  hint: run it as a task of an sbatch --array job or of an Indexed Job (with --shard auto/N), or pass --shard i/n",
    ]);
    const k8s = await task(archive, "auto", { JOB_COMPLETION_INDEX: "1" });
    expect(k8s.code).toBe(2);
    expect(k8s.stderr).toMatch(
      /error: --shard auto: JOB_COMPLETION_INDEX=1 is set but Kubernetes gives no shard count\n {2}hint: pass --shard auto\/N with N the Job's completions/,
    );
    const list135 = await task(archive, "auto", {
      SLURM_ARRAY_TASK_ID: "5",
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_MAX: "7",
      SLURM_ARRAY_TASK_COUNT: "3",
    });
    expect(list135.code).toBe(2);
    expect(list135.stderr).toMatch(/not one evenly spaced range from 1 to 7/);
    expect((await validateArchive(archive)).missingSteps).toBe(12); // nothing was written
  }, 120_000);
});
