/**
 * The engine half of convert on one file (plan, metadata, executePlan, consolidated metadata),
 * without the op around it: what the engine tests run to see the per-thread diagnostics
 * (ExecuteResult.threads) that convertToZarr does not return.
 */
import { type ConfigInput, resolveConfig } from "../../src/config/schema.js";
import { finishArchive, writePlanMetadata } from "../../src/engine/metadata.js";
import { type ExecuteResult, executePlan } from "../../src/engine/run.js";
import { planForDataset } from "../../src/ops/convert.js";
import { DEFAULT_MAX_BLOCK_MB } from "../../src/plan/blocks.js";
import { openDataset } from "../../src/readers/index.js";
import { FsStore } from "../../src/zarr/store/fs.js";

export async function convertOnEngine(
  input: string,
  out: string,
  cli: ConfigInput,
): Promise<ExecuteResult> {
  const config = resolveConfig({ cli });
  const ds = await openDataset(input);
  try {
    const plan = planForDataset(ds, config);
    const store = new FsStore(out);
    await writePlanMetadata(store, plan);
    const result = await executePlan({
      plan,
      dataset: ds,
      store,
      jobs: config.jobs,
      maxBlockBytes: DEFAULT_MAX_BLOCK_MB * 2 ** 20,
    });
    await finishArchive(store, plan.zarrFormat);
    return result;
  } finally {
    await ds.close();
  }
}
