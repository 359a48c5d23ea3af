/**
 * `analyze`: what a NetCDF file holds and how to store it as Zarr (SPEC §4, §5). Dimensions,
 * time axis, variables with their source layout, the chunking recommended for each access
 * pattern, packing and compression advice derived from the data; optionally the chunk reads each
 * layout costs (estimated) and real read times on scratch archives (measured).
 *
 * Reads are bounded: packing ranges scan a variable whole only up to `scanMb`, otherwise evenly
 * spaced source-chunk-aligned slabs; compression is tried on one slab of at most 4 MB; the
 * measured tests convert at most `sampleMb` of one variable (its first time steps).
 *
 * This module opens the file and puts the report together; each part of it is worked out in
 * src/analyze/ (the measured run, which converts, in analyze-measure.ts).
 */
import { recommend } from "../analyze/chunking.js";
import { adviseOnCompression } from "../analyze/compression.js";
import { adviseOnPacking } from "../analyze/packing.js";
import type { AnalyzeReport } from "../analyze/report.js";
import { MIB } from "../analyze/sizes.js";
import { describeTime, describeVariables } from "../analyze/structure.js";
import { type ConfigInput, resolveConfig } from "../config/schema.js";
import { findTimeDim } from "../dataset/coords.js";
import { DTYPE_SIZE } from "../dataset/types.js";
import { message, opt } from "../hint.js";
import { parseLocation } from "../location.js";
import { type Logger, silentLogger } from "../log.js";
import { readIdentity } from "../readers/identity.js";
import { openDataset } from "../readers/index.js";
import { product } from "../util/shape.js";
import { DEFAULT_SAMPLE_MB, type MeasureOptions, measure } from "./analyze-measure.js";
import { scanRange } from "./packing.js";

/** Per variable, for packing ranges: larger variables are sampled. */
const DEFAULT_SCAN_MB = 64;

/** sampleMb, repeats and scratchDir (MeasureOptions) apply to runTests. */
export interface AnalyzeRunOptions extends MeasureOptions {
  /** Add the chunk reads each recommendation costs for a time series and a map. */
  testPerformance?: boolean;
  /** Convert a sample with each recommendation and time real reads (implies testPerformance). */
  runTests?: boolean;
  /** Largest variable scanned whole for a packing range, in MB; larger ones are sampled (default 64). */
  scanMb?: number;
  logger?: Logger;
}

export type AnalyzeOptions = ConfigInput & AnalyzeRunOptions;

export async function analyzeFile(
  input: string,
  options: AnalyzeOptions = {},
): Promise<AnalyzeReport> {
  const {
    testPerformance,
    runTests,
    sampleMb,
    scanMb,
    repeats,
    scratchDir,
    logger: givenLogger,
    ...configInput
  } = options;
  // Checked before any work: a local directory or s3://bucket/prefix, nothing else.
  if (scratchDir !== undefined) parseLocation(scratchDir, "archive");
  const config = resolveConfig({ cli: { jobs: 1, ...configInput } });
  const logger = givenLogger ?? silentLogger;
  const ds = await openDataset(input, { group: config.group });
  try {
    const sizeBytes = (await readIdentity(input)).size;
    const timeDim = findTimeDim(ds, config.timeDim);
    const variables = describeVariables(ds);
    const dataBytes = variables.reduce((n, v) => n + v.bytes, 0);
    logger.info(
      `analyze: ${input}: ${variables.length} variables, time dimension ${timeDim ?? "none"}`,
    );
    const recommendations = recommend(
      variables,
      timeDim,
      config.targetChunkSizeMb,
      testPerformance === true || runTests === true,
      config.zarrFormat,
    );
    const packing = await adviseOnPacking(
      ds,
      config.packing,
      timeDim,
      (scanMb ?? DEFAULT_SCAN_MB) * MIB,
      scanRange,
    );
    const partial = { variables, recommendations, packing, sizeBytes, dataBytes };
    const report: AnalyzeReport = {
      file: input,
      format: ds.format,
      group: ds.group,
      sizeBytes,
      dataBytes,
      dimensions: ds.dims.map((d) => ({ name: d.name, size: d.size, unlimited: d.unlimited })),
      time: await describeTime(ds, timeDim),
      variables,
      targetChunkSizeMb: config.targetChunkSizeMb,
      zarrFormat: config.zarrFormat,
      recommendations,
      packing,
      compression: await adviseOnCompression(ds, partial, config),
      notes: (ds.unsupported ?? []).map(
        (u) =>
          message`'${u.name}' cannot be converted (${u.reason}); leave it out with ${opt("dropVariables", [u.name])}`,
      ),
    };
    if (recommendations.length === 0) {
      report.notes.push("no numeric data variable with dimensions: nothing to chunk");
    }
    const main = recommendations.find((r) => r.timeDim !== null) ?? recommendations[0];
    const budgetMb = sampleMb ?? DEFAULT_SAMPLE_MB;
    if (
      runTests &&
      main?.timeDim === null &&
      product(main.shape) * DTYPE_SIZE[main.dtype] > budgetMb * MIB
    ) {
      // Only a time dimension can be cut without changing what a map read means.
      report.notes.push(
        `--run-tests skipped: ${main.variables[0]} has no time dimension and is larger than --sample-mb ${budgetMb}`,
      );
    } else if (runTests && main) {
      report.measured = await measure(ds, main, config, { sampleMb, repeats, scratchDir }, logger);
    }
    return report;
  } finally {
    await ds.close();
  }
}
