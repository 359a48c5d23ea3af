/**
 * Running engine tasks: on worker threads when the job is big enough to pay for starting them
 * (and the store can be opened by another thread), inline otherwise. Every verb comes here: convert
 * through executePlan, region writes with the tasks plan/region-tasks.ts makes.
 */
import { statSync } from "node:fs";
import { type Dataset, DTYPE_SIZE } from "../dataset/types.js";
import { isRemoteInput } from "../location.js";
import { planBlocks } from "../plan/blocks.js";
import type { WritePlan } from "../plan/write-plan.js";
import { detachVariables } from "../readers/detached.js";
import { inputVersion } from "../readers/identity.js";
import { product } from "../util/shape.js";
import type { ArrayMeta } from "../zarr/metadata.js";
import type { Store } from "../zarr/store/types.js";
import { InputCache } from "./inputs.js";
import type { EngineTask, InputRef, SinkResult, TaskResult } from "./job.js";
import { arrayMetaFor } from "./metadata.js";
import { prestartWorkers, runOnWorkers } from "./pool.js";
import type { ProgressListener } from "./progress.js";
import { writeTask } from "./write-task.js";

/** Below this much data, starting worker threads (and a WASM instance each) costs more than it saves. */
const WORKER_THRESHOLD_BYTES = 32 * 1024 * 1024;

/**
 * Starts the worker threads a job reading `inputs` on `jobs` threads will run on, so they load
 * while the caller opens its inputs and plans. The guess is the local inputs' sizes on disk,
 * counted only until they reach the threshold; they are compressed, so it undercounts, and a job
 * it misses still starts its threads when it runs. Remote inputs and unreadable files count 0
 * (opening them reports the problem).
 */
export function prestartFor(inputs: readonly string[], jobs: number): void {
  if (jobs <= 1) return;
  let bytes = 0;
  for (const path of inputs) {
    if (bytes >= WORKER_THRESHOLD_BYTES) break;
    if (isRemoteInput(path)) continue;
    try {
      bytes += statSync(path).size;
    } catch {
      // counted as nothing
    }
  }
  if (bytes >= WORKER_THRESHOLD_BYTES) prestartWorkers(jobs);
}

export interface EngineRun {
  inputs: InputRef[];
  arrays: ArrayMeta[];
  tasks: EngineTask[];
  /** Workers open their own through its description; a store without one keeps work inline. */
  store: Store;
  jobs: number;
  /** Inputs the caller has open already, read inline instead of opened again. */
  lent?: ReadonlyMap<number, Dataset>;
  onProgress?: ProgressListener;
  /** Each finished task with its result, in the order they finish. */
  onTask?: (task: EngineTask, result: TaskResult) => void;
}

export interface EngineTotals extends SinkResult {
  bytesRead: number;
  /** Worker threads it ran on (0: inline). */
  workers: number;
  /** Per worker thread, its start-up: diagnostics for tests and benchmarks. */
  threads?: ThreadStart[];
}

export interface ThreadStart {
  threadId: number;
  /** ms from handing the job to the pool to the worker being ready, and to its first task done. */
  readyMs: number;
  firstTaskMs: number;
  /** h5wasm instances it started (0: every variable it read was detached). */
  h5wasmInstances: number;
  tasks: number;
}

export function taskBytes(task: EngineTask, arrays: readonly ArrayMeta[]): number {
  return product(task.block.count) * DTYPE_SIZE[arrays[task.array].dtype];
}

export async function execute(run: EngineRun): Promise<EngineTotals> {
  const { tasks, arrays } = run;
  const totalBytes = tasks.reduce((n, t) => n + taskBytes(t, arrays), 0);
  const totals: EngineTotals = {
    chunks: 0,
    merged: 0,
    conflicts: 0,
    bytesRead: 0,
    bytesWritten: 0,
    workers: 0,
  };
  let doneBytes = 0;
  let doneTasks = 0;
  const progress = () =>
    run.onProgress?.({ doneBytes, totalBytes, doneTasks, totalTasks: tasks.length });
  const threads = new Map<number, ThreadStart>();
  const onDone = (task: EngineTask, r: TaskResult) => {
    if (r.worker) {
      const w = r.worker;
      const seen = threads.get(w.threadId);
      threads.set(w.threadId, {
        threadId: w.threadId,
        readyMs: w.readyMs,
        firstTaskMs: seen?.firstTaskMs ?? w.doneMs,
        h5wasmInstances: w.h5wasmInstances,
        tasks: w.tasks,
      });
    }
    totals.chunks += r.chunks;
    totals.merged += r.merged;
    totals.conflicts += r.conflicts;
    totals.bytesRead += r.bytesRead;
    totals.bytesWritten += r.bytesWritten;
    run.onTask?.(task, r);
    doneBytes += taskBytes(task, arrays);
    doneTasks++;
    progress();
  };
  progress();

  const described = run.store.describe();
  if (described !== undefined && run.jobs > 1 && totalBytes >= WORKER_THRESHOLD_BYTES) {
    totals.workers = Math.min(run.jobs, tasks.length);
    const startedAt = performance.timeOrigin + performance.now();
    await runOnWorkers(
      { inputs: run.inputs, startedAt, store: described, arrays },
      tasks,
      run.jobs,
      onDone,
    );
    totals.threads = [...threads.values()];
    return totals;
  }
  const files = new InputCache(run.inputs, run.lent);
  try {
    for (const task of tasks) {
      onDone(task, await writeTask(task, arrays, run.inputs, files, run.store));
    }
  } finally {
    await files.close();
  }
  return totals;
}

export interface ExecuteOptions {
  plan: WritePlan;
  dataset: Dataset;
  store: Store;
  jobs: number;
  /** Upper bound on one read block, in bytes; each worker holds one block at a time. */
  maxBlockBytes: number;
  onProgress?: ProgressListener;
}

export interface ExecuteResult {
  chunks: number;
  bytesRead: number;
  bytesWritten: number;
  workers: number;
  /** Values clipped to their packing range, per array name. */
  outOfRange: Record<string, number>;
  threads?: ThreadStart[];
}

/** A new archive's tasks: every chunk of every array, read from the one input in source-aligned blocks. */
export function planTasks(plan: WritePlan, maxBlockBytes: number): EngineTask[] {
  const tasks: EngineTask[] = [];
  plan.arrays.forEach((array, index) => {
    const blocks = planBlocks({
      shape: array.shape,
      // Blocks hold whole shards, so each is encoded and put once (storedChunk).
      chunks: array.shards ?? array.chunks,
      itemSize: DTYPE_SIZE[array.dtype],
      sourceChunks: array.sourceChunks,
      maxBlockBytes,
    });
    for (const block of blocks) {
      tasks.push({
        array: index,
        block,
        pieces: [
          {
            input: 0,
            variable: array.source,
            start: block.start,
            count: block.count,
            from: block.start,
            mapping: array.packing ? { kind: "pack", packing: array.packing } : { kind: "same" },
          },
        ],
      });
    }
  });
  return tasks;
}

/** Writes every chunk of a plan made from one dataset (convert, --compute, analyze's test run). */
export async function executePlan(options: ExecuteOptions): Promise<ExecuteResult> {
  const { plan, dataset } = options;
  const outOfRange: Record<string, number> = {};
  // Workers read these without opening the file as a Dataset (no h5wasm for NetCDF-4).
  const variables = await detachVariables(
    dataset,
    plan.arrays.map((a) => a.source),
  );
  const done = await execute({
    inputs: [
      {
        path: dataset.path,
        group: dataset.group === "/" ? undefined : dataset.group,
        version: inputVersion(dataset.path),
        variables,
      },
    ],
    arrays: plan.arrays.map((a) => arrayMetaFor(a, plan.zarrFormat)),
    tasks: planTasks(plan, options.maxBlockBytes),
    store: options.store,
    jobs: options.jobs,
    lent: new Map([[0, dataset]]),
    onProgress: options.onProgress,
    onTask(task, r) {
      const clipped = r.outOfRange.reduce((a, b) => a + b, 0);
      if (clipped === 0) return;
      const name = plan.arrays[task.array].name;
      outOfRange[name] = (outOfRange[name] ?? 0) + clipped;
    },
  });
  return {
    chunks: done.chunks,
    bytesRead: done.bytesRead,
    bytesWritten: done.bytesWritten,
    workers: done.workers,
    outOfRange,
    threads: done.threads,
  };
}
