/**
 * `convert`: one NetCDF file into a new Zarr archive. Open → plan → execute → consolidate, staged
 * (ops/new-archive.ts): on disk built beside the output and renamed into place when complete, on
 * S3 built in place with the metadata documents written last.
 */
import { type ConfigInput, resolveConfig, type ZarrifyConfig } from "../config/schema.js";
import { findTimeDim } from "../dataset/coords.js";
import { type Dataset, DTYPE_SIZE } from "../dataset/types.js";
import { finishArchive, writePlanMetadata } from "../engine/metadata.js";
import { progressFor, sequenceProgress } from "../engine/progress.js";
import { executePlan, prestartFor } from "../engine/run.js";
import { libraryLogger } from "../log.js";
import { DEFAULT_MAX_BLOCK_MB } from "../plan/blocks.js";
import { chunksWithOverrides } from "../plan/chunking.js";
import { planConvert } from "../plan/convert-plan.js";
import { encodingOptions, selectForWrite } from "../plan/new-archive.js";
import { keepStringsWhole } from "../plan/output-chunks.js";
import { withShards } from "../plan/shards.js";
import type { WritePlan } from "../plan/write-plan.js";
import { openDataset, warmUpFor } from "../readers/index.js";
import { recordWritten } from "../region/state.js";
import { archiveLocation } from "./archive-store.js";
import { convertMany } from "./concat.js";
import type { ConvertResult, RunOptions } from "./convert-types.js";
import { treeParts } from "./group-tree.js";
import { collectInputs } from "./inputs.js";
import { newArchiveStore } from "./new-archive.js";
import { splitOptions } from "./options.js";
import { packPlan, reportOutOfRange } from "./packing.js";
import { sizeStrings } from "./strings.js";

export type ConvertOptions = ConfigInput & RunOptions;

const RUN_KEYS = ["overwrite", "logger", "progress", "store"] as const;

export function planForDataset(
  ds: Dataset,
  config: ZarrifyConfig,
  warn: (message: string) => void = () => {},
): WritePlan {
  const variables = selectForWrite(ds, config);
  const timeDim = findTimeDim(ds, config.timeDim);
  const plan = planConvert(ds, variables, encodingOptions(config, timeDim));
  const auto = { pattern: config.accessPattern, timeDim };
  if (!config.intelligentChunking) return withShards(plan, config.shards, auto);
  const arrays = plan.arrays.map((a) => {
    if (a.dims.length === 0) return a;
    const rec = chunksWithOverrides(
      {
        dims: a.dims,
        shape: a.shape,
        itemSize: DTYPE_SIZE[a.dtype],
        timeDim,
        pattern: config.accessPattern,
        targetChunkSizeMb: config.targetChunkSizeMb,
      },
      config.chunking ?? {},
    );
    for (const w of rec.warnings) warn(`${a.name}: ${w}`);
    return { ...a, chunks: keepStringsWhole(a.foldChars, a.shape, rec.chunks) };
  });
  // Shards hold whole chunks, so they are laid over the chunks finally chosen.
  return withShards({ ...plan, arrays }, config.shards, auto);
}

/** A group's plan with its arrays under the group's Zarr path ("grp/sub/var"). */
function underGroup(plan: WritePlan, path: string): WritePlan {
  if (path === "") return plan;
  return { ...plan, arrays: plan.arrays.map((a) => ({ ...a, name: `${path}/${a.name}` })) };
}

function planBytes(plan: WritePlan): number {
  return plan.arrays.reduce((n, a) => n + a.shape.reduce((x, y) => x * y, DTYPE_SIZE[a.dtype]), 0);
}

export async function convertToZarr(
  input: string | string[],
  output: string,
  options: ConvertOptions = {},
): Promise<ConvertResult> {
  const { own: run, config: configInput } = splitOptions(options, RUN_KEYS);
  const config = resolveConfig({ cli: configInput });
  const logger = run.logger ?? libraryLogger;
  const outputPath = archiveLocation(output, "output");
  const inputs = await collectInputs({ patterns: Array.isArray(input) ? input : [input] });
  warmUpFor(inputs[0]);
  prestartFor(inputs, config.jobs);
  if (inputs.length > 1) return convertMany(inputs, output, config, run, logger);
  const started = performance.now();
  const source = inputs[0];

  logger.info(`convert: opening ${source}`);
  const ds = await openDataset(source, { group: config.group });
  try {
    // Without --group the whole group tree is converted, each group planned on its own.
    const parts = config.group === undefined ? treeParts(ds, config) : [{ path: "", ds, config }];
    const plans: WritePlan[] = [];
    for (const part of parts) {
      const plan = await sizeStrings(
        part.ds,
        await packPlan(
          part.ds,
          planForDataset(part.ds, part.config, (w) => logger.warn(w)),
          part.config,
          logger,
        ),
      );
      plans.push(underGroup(plan, part.path));
    }
    const arrays = plans.flatMap((p) => p.arrays);
    const zarrFormat = plans[0].zarrFormat;
    const groups = parts.length > 1 ? ` in ${parts.length} groups` : "";
    logger.info(
      `convert: ${arrays.length} variables${groups} → Zarr v${zarrFormat} ${output} (${config.compression ?? "default"} compression)`,
    );
    for (const a of arrays) {
      logger.debug(
        `  ${a.name}(${a.dims.join(", ")}) ${a.dtype} shape=[${a.shape}] chunks=[${a.chunks}]${a.shards ? ` shards=[${a.shards}]` : ""}`,
      );
    }

    const { store, staged } = await newArchiveStore(outputPath, run, logger);
    const reporter = progressFor(run.progress, "convert");
    const sequence = sequenceProgress(reporter.update, plans.map(planBytes));
    try {
      const result = { chunks: 0, bytesRead: 0, bytesWritten: 0, workers: 0 };
      for (const [i, plan] of plans.entries()) {
        await writePlanMetadata(store, plan, parts[i].path);
        const done = await executePlan({
          plan,
          dataset: parts[i].ds,
          store,
          jobs: config.jobs,
          maxBlockBytes: DEFAULT_MAX_BLOCK_MB * 1024 * 1024,
          onProgress: parts.length > 1 ? sequence.forFile(i) : reporter.update,
        });
        reportOutOfRange(done.outOfRange, plan, logger);
        result.chunks += done.chunks;
        result.bytesRead += done.bytesRead;
        result.bytesWritten += done.bytesWritten;
        result.workers = Math.max(result.workers, done.workers);
      }
      reporter.stop();
      // validate trusts records, not values: this file's whole time axis is written now.
      const timeDim = findTimeDim(ds, parts[0].config.timeDim);
      const steps = ds.dims.find((d) => d.name === timeDim)?.size;
      if (timeDim !== undefined && steps !== undefined) {
        await recordWritten(store, source, timeDim, [[0, steps]]);
      }
      await finishArchive(store, zarrFormat);
      await staged?.commit();
      const seconds = (performance.now() - started) / 1000;
      logger.info(
        `convert: wrote ${result.chunks} chunks, ${(result.bytesRead / 2 ** 20).toFixed(1)} MiB in → ${(result.bytesWritten / 2 ** 20).toFixed(1)} MiB out in ${seconds.toFixed(2)} s`,
      );
      return {
        output,
        variables: arrays.map((a) => a.name),
        chunks: result.chunks,
        bytesRead: result.bytesRead,
        bytesWritten: result.bytesWritten,
        seconds,
        workers: result.workers,
      };
    } catch (err) {
      reporter.stop();
      await staged?.abort();
      throw err;
    }
  } finally {
    await ds.close();
  }
}
