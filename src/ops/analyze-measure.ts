/**
 * `analyze --run-tests`: real read times instead of estimates. One variable (its first time
 * steps, at most `sampleMb`) is converted once per recommended layout into a scratch archive,
 * with the same planner and engine as `convert`, and a time series and a map are read back from
 * each and from the source. The scratch directory is removed whatever happens.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { estimateAccess } from "../analyze/chunking.js";
import type { ChunkAdvice, MeasuredPattern, MeasuredPerformance } from "../analyze/report.js";
import { byDim, bytesOf, MIB } from "../analyze/sizes.js";
import { resolveConfig, type ZarrifyConfig } from "../config/schema.js";
import type { Dataset, Variable } from "../dataset/types.js";
import { finishArchive, writePlanMetadata } from "../engine/metadata.js";
import { executePlan } from "../engine/run.js";
import { ConversionError } from "../errors.js";
import { parseLocation } from "../location.js";
import type { Logger } from "../log.js";
import { DEFAULT_MAX_BLOCK_MB } from "../plan/blocks.js";
import { ACCESS_PATTERNS, type AccessPattern } from "../plan/chunking.js";
import { DEFAULT_COMPRESSION } from "../plan/new-archive.js";
import { readArchiveMetadata } from "../zarr/archive.js";
import { formatCompression, parseCompression } from "../zarr/compression.js";
import { readBox } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import { archiveStore } from "./archive-store.js";
import { planForDataset } from "./convert.js";

/** The largest part of a variable --run-tests converts. */
export const DEFAULT_SAMPLE_MB = 256;

export interface MeasureOptions {
  /** Largest part of the sample variable runTests converts, in MB (default 256). */
  sampleMb?: number;
  /** Reads per measurement; the median is reported (default 3). */
  repeats?: number;
  /**
   * Where runTests makes its scratch archives and removes them after: a local directory (default
   * the OS temp dir) or s3://bucket/prefix, so read times are those of the store users will read.
   */
  scratchDir?: string;
}

async function median(repeats: number, run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** The dataset with `dim` cut to its first `steps` steps (reads pass through unchanged). */
function firstSteps(ds: Dataset, dim: string, steps: number): Dataset {
  return {
    ...ds,
    dims: ds.dims.map((d) => (d.name === dim ? { ...d, size: Math.min(d.size, steps) } : d)),
    variables: ds.variables.map((v) => {
      const k = v.dims.indexOf(dim);
      if (k < 0) return v;
      return {
        ...v,
        shape: v.shape.map((n, d) => (d === k ? Math.min(n, steps) : n)),
        sourceChunks: v.sourceChunks?.map((c, d) => (d === k ? Math.min(c, steps) : c)),
        read: (start: number[], count: number[]) => v.read(start, count),
      };
    }),
  };
}

/** Boxes of one series through the middle point, and of the middle map. */
function accessBoxes(shape: readonly number[], timeIndex: number) {
  const mid = shape.map((n) => Math.floor(n / 2));
  const series =
    timeIndex < 0
      ? null
      : {
          start: mid.map((m, d) => (d === timeIndex ? 0 : m)),
          count: shape.map((n, d) => (d === timeIndex ? n : 1)),
        };
  const map = {
    start: shape.map((_, d) => (d === timeIndex ? mid[d] : 0)),
    count: shape.map((n, d) => (d === timeIndex ? 1 : n)),
  };
  return { series, map };
}

export async function measure(
  ds: Dataset,
  advice: ChunkAdvice,
  config: ZarrifyConfig,
  options: MeasureOptions,
  logger: Logger,
): Promise<MeasuredPerformance> {
  const name = advice.variables[0];
  const source = ds.variables.find((v) => v.name === name) as Variable;
  const timeIndex = advice.timeDim === null ? -1 : advice.dims.indexOf(advice.timeDim);
  const budget = (options.sampleMb ?? DEFAULT_SAMPLE_MB) * MIB;
  const notes: string[] = [];
  let sample = ds;
  let sampledSteps: number | null = null;
  const totalSteps = timeIndex < 0 ? null : advice.shape[timeIndex];
  if (totalSteps !== null && advice.timeDim !== null) {
    const stepBytes = bytesOf(source) / Math.max(1, totalSteps);
    sampledSteps = Math.max(1, Math.min(totalSteps, Math.floor(budget / Math.max(1, stepBytes))));
    if (sampledSteps < totalSteps) {
      sample = firstSteps(ds, advice.timeDim, sampledSteps);
      notes.push(
        `converted the first ${sampledSteps} of ${totalSteps} steps (--sample-mb ${options.sampleMb ?? DEFAULT_SAMPLE_MB}); a series read covers those steps only`,
      );
    }
  }
  const sampleVar = sample.variables.find((v) => v.name === name) as Variable;
  const boxes = accessBoxes(sampleVar.shape, timeIndex);
  const series = boxes.series;
  const repeats = Math.max(1, options.repeats ?? 3);
  const compression = config.compression ?? DEFAULT_COMPRESSION;

  const measured: MeasuredPerformance = {
    variable: name,
    dims: advice.dims,
    sampleShape: [...sampleVar.shape],
    sampledSteps,
    totalSteps,
    compression: formatCompression(parseCompression(compression)),
    repeats,
    source: {
      timeSeriesMs: series
        ? await median(repeats, () => sampleVar.read(series.start, series.count))
        : null,
      mapMs: await median(repeats, () => sampleVar.read(boxes.map.start, boxes.map.count)),
    },
    patterns: {} as Record<AccessPattern, MeasuredPattern>,
    notes,
  };

  const scratch = parseLocation(options.scratchDir ?? tmpdir(), "archive");
  const dir =
    scratch.kind === "local"
      ? await mkdtemp(join(scratch.path, "zarrify-analyze-"))
      : `${scratch.url.replace(/\/$/, "")}/zarrify-analyze-${randomBytes(6).toString("hex")}`;
  const stores: Store[] = [];
  try {
    for (const pattern of ACCESS_PATTERNS) {
      const chunks = advice.patterns[pattern].chunks;
      const runConfig = resolveConfig({
        cli: {
          variables: [name],
          chunking: chunks,
          compression,
          zarrFormat: 3,
          jobs: 1,
          timeDim: advice.timeDim ?? undefined,
        },
      });
      const plan = planForDataset(sample, runConfig);
      const store = archiveStore(`${dir}/${pattern}.zarr`, { objectStores: true });
      stores.push(store);
      logger.info(`analyze: writing a ${pattern} scratch archive of ${name}`);
      await writePlanMetadata(store, plan);
      await executePlan({
        plan,
        dataset: sample,
        store,
        jobs: 1,
        maxBlockBytes: DEFAULT_MAX_BLOCK_MB * MIB,
      });
      await finishArchive(store, plan.zarrFormat);
      const meta = (await readArchiveMetadata(store)).arrays.get(name);
      if (!meta) throw new ConversionError(`analyze: the scratch archive lacks '${name}'`);
      let archiveBytes = 0;
      for (const key of await store.list(`${name}/c/`)) {
        archiveBytes += (await store.get(key))?.length ?? 0;
      }
      const est = estimateAccess(meta.shape, meta.chunks, timeIndex, 0);
      measured.patterns[pattern] = {
        chunks: byDim(advice.dims, meta.chunks),
        archiveBytes,
        timeSeries: series
          ? {
              chunks: est.timeSeries?.chunks ?? 0,
              ms: await median(repeats, () => readBox(store, meta, series.start, series.count)),
            }
          : null,
        map: {
          chunks: est.map.chunks,
          ms: await median(repeats, () => readBox(store, meta, boxes.map.start, boxes.map.count)),
        },
      };
    }
  } finally {
    if (scratch.kind === "local") await rm(dir, { recursive: true, force: true });
    else {
      for (const s of stores) for (const key of await s.list()) await s.delete(key);
    }
  }
  return measured;
}
