/**
 * Multi-file `convert` along a dimension without CF times (observation files joined along
 * `report` or `obs`): records are placed by position, not by time. Files are ordered by the first
 * value of the dimension's coordinate variable when every file has a numeric one, else by path
 * (the order a sorted glob gives), and their records are laid end to end — never merged,
 * de-duplicated or reordered within a file, as xarray's `open_mfdataset(combine="nested")` does.
 *
 * Built from the same parts as the time-ordered case (concat.ts): an archive laid out over the
 * total length, then each file written into its slice as a region (write-region with a manual
 * region), so grid checks and value conversion are the same.
 */
import type { ZarrifyConfig } from "../config/schema.js";
import type { Dataset } from "../dataset/types.js";
import { finishArchive, writePlanMetadata } from "../engine/metadata.js";
import { executePlan } from "../engine/run.js";
import { InputError } from "../errors.js";
import { hint, opt } from "../hint.js";
import type { Logger } from "../log.js";
import { DEFAULT_MAX_BLOCK_MB } from "../plan/blocks.js";
import { encodingOptions, selectForWrite } from "../plan/new-archive.js";
import { withShards } from "../plan/shards.js";
import { planTemplate } from "../plan/template-plan.js";
import { openDataset } from "../readers/index.js";
import type { Layout } from "../region/state.js";
import type { Store } from "../zarr/store/types.js";
import type { ConvertResult, RunOptions } from "./convert-types.js";
import { newArchiveStore } from "./new-archive.js";
import { packPlan } from "./packing.js";
import { type InputScan, scanInputs } from "./scan-inputs.js";
import { sizeStrings } from "./strings.js";
import { writeFiles } from "./write-files.js";

interface RecordFile {
  path: string;
  length: number;
  /** First value of the dimension's numeric coordinate variable, when the file has one. */
  first?: number;
}

async function firstCoordinate(ds: Dataset, dim: string): Promise<number | undefined> {
  const v = ds.variables.find((x) => x.name === dim && x.dims.length === 1 && x.dims[0] === dim);
  if (v === undefined || v.shape[0] === 0) return undefined;
  const value = (await v.read([0], [1]))[0];
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" && !Number.isNaN(value) ? value : undefined;
}

function readRecords(files: string[], config: ZarrifyConfig, dim: string) {
  return scanInputs(files, config, async (ds, path): Promise<RecordFile> => {
    const d = ds.dims.find((x) => x.name === dim);
    if (d === undefined) {
      throw new InputError(
        `${path}: has no dimension '${dim}' to concatenate along (dimensions: ${ds.dims.map((x) => x.name).join(", ") || "none"})`,
        { path, hint: hint`every input must have the dimension named by ${opt("timeDim")}` },
      );
    }
    return { path, length: d.size, first: await firstCoordinate(ds, dim) };
  });
}

/** Coordinate order when every file has a coordinate value (stable: ties keep path order). */
function ordered(files: RecordFile[]): { files: RecordFile[]; by: string } {
  if (!files.every((f) => f.first !== undefined)) return { files, by: "path" };
  const sorted = [...files].sort((a, b) => (a.first as number) - (b.first as number));
  return { files: sorted, by: "coordinate" };
}

/** Lays the archive out over `total` records from the first file: metadata and the arrays without `dim`. */
async function buildRecordArchive(
  ds: Dataset,
  store: Store,
  dim: string,
  total: number,
  config: ZarrifyConfig,
  logger: Logger,
  scan: InputScan,
): Promise<{ layout: Layout; variables: string[] }> {
  const planned = planTemplate(ds, selectForWrite(ds, config), {
    ...encodingOptions(config, dim),
    timeDim: dim,
    steps: total,
    accessPattern: config.intelligentChunking ? config.accessPattern : undefined,
  });
  for (const w of planned.warnings) logger.warn(w);
  const plan = withShards(
    await sizeStrings(
      ds,
      await packPlan(ds, planned.plan, config, logger, false, scan.ranges),
      scan.strings,
    ),
    config.shards,
    { pattern: config.accessPattern, timeDim: dim },
  );
  await writePlanMetadata(store, plan);
  await executePlan({
    plan: { ...plan, arrays: plan.arrays.filter((a) => !planned.regionArrays.includes(a.name)) },
    dataset: ds,
    store,
    jobs: 1,
    maxBlockBytes: DEFAULT_MAX_BLOCK_MB * 1024 * 1024,
  });
  await finishArchive(store, plan.zarrFormat);
  return {
    // No time variable: every array along `dim`, its coordinate included, is filled by regions.
    layout: { timeDim: dim, timeVariable: dim, regionArrays: planned.regionArrays },
    variables: plan.arrays.map((a) => a.name),
  };
}

export async function convertRecords(
  inputs: string[],
  output: string,
  dim: string,
  config: ZarrifyConfig,
  run: RunOptions,
  logger: Logger,
): Promise<ConvertResult> {
  const started = performance.now();
  const { scan, results: all } = await readRecords(inputs, config, dim);
  const { files, by } = ordered(all.filter((f) => f.length > 0));
  if (files.length === 0) {
    throw new InputError(
      `${inputs[0]}: none of the ${inputs.length} inputs has a '${dim}' record`,
      {
        path: inputs[0],
        hint: "leave empty files out of the input list",
      },
    );
  }
  const total = files.reduce((n, f) => n + f.length, 0);
  logger.info(
    `convert: ${files.length} files joined along '${dim}' (no CF time coordinate) in ${by} order, ${total} records`,
  );

  const { store, staged, path: archive } = await newArchiveStore(output, run, logger);
  try {
    const first = await openDataset(files[0].path, { group: config.group });
    let built: Awaited<ReturnType<typeof buildRecordArchive>>;
    try {
      built = await buildRecordArchive(first, store, dim, total, config, logger, scan);
    } finally {
      await first.close();
    }
    let offset = 0;
    const writes = files.map((f) => {
      const region = { [dim]: [offset, offset + f.length] as [number, number] };
      const where = `${dim} ${offset}:${offset + f.length}`;
      offset += f.length;
      return { path: f.path, region, where };
    });
    const { chunks, bytesWritten, workers } = await writeFiles(writes, archive, {
      config,
      store,
      logger,
      progress: run.progress,
      internal: { layout: built.layout, verb: "convert" },
    });
    await staged?.commit();
    return {
      output,
      variables: built.variables,
      chunks,
      bytesRead: 0,
      bytesWritten,
      seconds: (performance.now() - started) / 1000,
      workers,
    };
  } catch (err) {
    await staged?.abort();
    throw err;
  }
}
