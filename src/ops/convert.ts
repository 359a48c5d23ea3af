/**
 * `convert`: one NetCDF file into a new Zarr archive. Open → plan → execute → consolidate, built
 * in a staging directory and renamed into place only when complete.
 */
import { availableParallelism } from "node:os";
import { type ConfigInput, resolveConfig, type ZarrifyConfig } from "../config/schema.js";
import { findTimeDim, selectVariables } from "../dataset/coords.js";
import { type Dataset, DTYPE_SIZE, type Variable } from "../dataset/types.js";
import { finishArchive, writePlanMetadata } from "../engine/metadata.js";
import { type ProgressListener, progressFor, sequenceProgress } from "../engine/progress.js";
import { executePlan } from "../engine/run.js";
import { ConfigError, InputError } from "../errors.js";
import { hint, opt } from "../hint.js";
import { localPath } from "../location.js";
import { type Logger, libraryLogger } from "../log.js";
import { refuseUnknownChunkDims } from "../plan/chunk-dims.js";
import { chunksWithOverrides } from "../plan/chunking.js";
import { type ConvertPlanOptions, planConvert } from "../plan/convert-plan.js";
import { keepStringsWhole } from "../plan/output-chunks.js";
import type { WritePlan } from "../plan/write-plan.js";
import { openDataset } from "../readers/index.js";
import { recordWritten } from "../region/state.js";
import { parseCompression } from "../zarr/compression.js";
import { FsStore } from "../zarr/store/fs.js";
import type { Store } from "../zarr/store/types.js";
import { convertMany } from "./concat.js";
import { treeParts } from "./group-tree.js";
import { collectInputs } from "./inputs.js";
import { splitOptions } from "./options.js";
import { stageOutput } from "./output.js";
import { packPlan, reportOutOfRange } from "./packing.js";
import { sizeStrings } from "./strings.js";

/** The seed's examples use it throughout; Debian's numcodecs and zarrita both decode it. */
export const DEFAULT_COMPRESSION = "blosc:zstd:3";

/** Each worker holds one block at a time, so this bounds memory per worker. */
export const DEFAULT_MAX_BLOCK_MB = 128;

export interface RunOptions {
  /** Replace an existing output archive. */
  overwrite?: boolean;
  logger?: Logger;
  /** Show a progress bar (CLI on a TTY) or periodic log lines. */
  progress?: boolean | ProgressListener;
  /** Write into this store instead of the filesystem path (tests, embedding). */
  store?: Store;
}

export interface ConvertResult {
  output: string;
  variables: string[];
  chunks: number;
  bytesRead: number;
  bytesWritten: number;
  seconds: number;
  workers: number;
}

export type ConvertOptions = ConfigInput & RunOptions;

const RUN_KEYS = ["overwrite", "logger", "progress", "store"] as const;

/**
 * Variables to write: the selection, refusing what the reader could not represent. Every new
 * archive (convert, create-template, multi-file convert) is planned through here, so this is also
 * where chunk lengths are checked against the input's dimensions.
 */
export function selectForWrite(ds: Dataset, config: ZarrifyConfig): Variable[] {
  // A group's variables may use dimensions declared in a parent group: both count.
  const dims = new Set([...ds.dims.map((d) => d.name), ...ds.variables.flatMap((v) => v.dims)]);
  refuseUnknownChunkDims(config.chunking, [...dims], ds.path);
  const variables = selectVariables(
    ds,
    config.variables,
    config.dropVariables,
    (ds.unsupported ?? []).map((u) => u.name),
  );
  refuseUnrepresentable(ds, config);
  return variables;
}

/** Never drop data silently: an unrepresentable variable the selection includes is an error. */
function refuseUnrepresentable(ds: Dataset, config: ZarrifyConfig): void {
  const all = ds.unsupported ?? [];
  const included = config.variables?.length
    ? all.filter((u) => config.variables?.includes(u.name))
    : all;
  const hit = included.filter((u) => !config.dropVariables?.includes(u.name));
  if (hit.length > 0) {
    const list = hit.map((u) => `'${u.name}' (${u.reason})`).join(", ");
    throw new InputError(`${ds.path}: cannot convert variable ${list}`, {
      path: ds.path,
      hint: hint`leave it out with ${opt(
        "dropVariables",
        hit.map((u) => u.name),
      )}`,
    });
  }
}

/**
 * Options the schema already validates for features still to come. Accepting them silently would
 * write an archive the user did not ask for, so convert refuses them by name.
 */
function refuseNotYetSupported(config: ZarrifyConfig): void {
  if (config.shards && Object.keys(config.shards).length > 0) {
    throw new ConfigError("convert does not support shards yet", {
      hint: "remove shards from the config file or environment",
    });
  }
}

/** The encoding part of the plan options, from the configuration. */
export function encodingOptions(
  config: ZarrifyConfig,
  timeDim: string | undefined,
): ConvertPlanOptions {
  return {
    zarrFormat: config.zarrFormat,
    compression: parseCompression(config.compression ?? DEFAULT_COMPRESSION),
    chunking: config.chunking ?? {},
    targetChunkSizeMb: config.targetChunkSizeMb,
    extraAttrs: config.attrs,
    timeDim,
  };
}

export function planForDataset(
  ds: Dataset,
  config: ZarrifyConfig,
  warn: (message: string) => void = () => {},
): WritePlan {
  refuseNotYetSupported(config);
  const variables = selectForWrite(ds, config);
  const timeDim = findTimeDim(ds, config.timeDim);
  const plan = planConvert(ds, variables, encodingOptions(config, timeDim));
  if (!config.intelligentChunking) return plan;
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
  return { ...plan, arrays };
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
  const outputPath = localPath(output, "output");
  const inputs = collectInputs({ patterns: Array.isArray(input) ? input : [input] });
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
        `  ${a.name}(${a.dims.join(", ")}) ${a.dtype} shape=[${a.shape}] chunks=[${a.chunks}]`,
      );
    }

    const staged = run.store
      ? undefined
      : await stageOutput(outputPath, run.overwrite ?? false, (dir) =>
          logger.info(`convert: removed ${dir}, left by an interrupted run`),
        );
    const store = run.store ?? new FsStore(staged?.staging ?? output);
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
          storeRoot: staged?.staging,
          jobs: config.jobs ?? availableParallelism(),
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
