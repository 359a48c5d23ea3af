/**
 * Execute a WritePlan: cut every array into read blocks and write them, on worker threads when the
 * job is big enough to pay for starting them, inline otherwise.
 */
import { type Dataset, DTYPE_SIZE } from "../dataset/types.js";
import { ConversionError, ZarrifyError } from "../errors.js";
import { type Block, planBlocks } from "../plan/blocks.js";
import type { WritePlan } from "../plan/write-plan.js";
import type { Store } from "../zarr/store/types.js";
import type { EngineTask } from "./job.js";
import { runOnWorkers } from "./pool.js";
import type { ProgressListener } from "./progress.js";
import { type BlockResult, writeBlock } from "./write-block.js";
import { zarrSink } from "./zarr-sink.js";

/** Below this much data, starting worker threads (and a WASM instance each) costs more than it saves. */
const WORKER_THRESHOLD_BYTES = 32 * 1024 * 1024;

export interface ExecuteOptions {
  plan: WritePlan;
  dataset: Dataset;
  /** Workers open their own through its description; a store without one keeps work inline. */
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
}

function blockBytes(block: Block, itemSize: number): number {
  return block.count.reduce((a, b) => a * b, itemSize);
}

export function planTasks(plan: WritePlan, maxBlockBytes: number): EngineTask[] {
  const tasks: EngineTask[] = [];
  plan.arrays.forEach((array, index) => {
    const blocks = planBlocks({
      shape: array.shape,
      chunks: array.chunks,
      itemSize: DTYPE_SIZE[array.dtype],
      sourceChunks: array.sourceChunks,
      maxBlockBytes,
    });
    for (const block of blocks) tasks.push({ array: index, block });
  });
  return tasks;
}

export async function executePlan(options: ExecuteOptions): Promise<ExecuteResult> {
  const { plan, dataset } = options;
  const tasks = planTasks(plan, options.maxBlockBytes);
  const sizeOf = (t: EngineTask) => blockBytes(t.block, DTYPE_SIZE[plan.arrays[t.array].dtype]);
  const totalBytes = tasks.reduce((n, t) => n + sizeOf(t), 0);
  const totals: ExecuteResult = {
    chunks: 0,
    bytesRead: 0,
    bytesWritten: 0,
    workers: 0,
    outOfRange: {},
  };
  let doneBytes = 0;
  let doneTasks = 0;
  const onDone = (task: EngineTask, r: BlockResult) => {
    totals.chunks += r.chunks;
    totals.bytesRead += r.bytesRead;
    totals.bytesWritten += r.bytesWritten;
    if (r.outOfRange > 0) {
      const name = plan.arrays[task.array].name;
      totals.outOfRange[name] = (totals.outOfRange[name] ?? 0) + r.outOfRange;
    }
    doneBytes += sizeOf(task);
    doneTasks++;
    options.onProgress?.({ doneBytes, totalBytes, doneTasks, totalTasks: tasks.length });
  };
  options.onProgress?.({ doneBytes, totalBytes, doneTasks, totalTasks: tasks.length });

  const described = options.store.describe();
  if (described !== undefined && options.jobs > 1 && totalBytes >= WORKER_THRESHOLD_BYTES) {
    totals.workers = Math.min(options.jobs, tasks.length);
    await runOnWorkers(
      {
        source: { path: dataset.path, group: dataset.group === "/" ? undefined : dataset.group },
        store: described,
        plan,
      },
      tasks,
      options.jobs,
      onDone,
    );
    return totals;
  }

  const sink = zarrSink(options.store, plan.zarrFormat);
  const variables = new Map(dataset.variables.map((v) => [v.name, v]));
  for (const task of tasks) {
    const array = plan.arrays[task.array];
    const variable = variables.get(array.source);
    if (!variable)
      throw new ConversionError(`variable ${array.source} missing from ${dataset.path}`);
    try {
      onDone(task, await writeBlock(variable, array, task.block, sink));
    } catch (err) {
      if (err instanceof ZarrifyError) throw err;
      throw new ConversionError(
        `${dataset.path}: writing variable '${array.source}' failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return totals;
}
