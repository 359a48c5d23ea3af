/**
 * `ZarrConverter`: the object-style API of the seed (`ZarrConverter(chunking=..., compression=...)`)
 * in TypeScript. It holds one configuration and runs ops with it.
 */
import { type ConfigInput, resolveConfig, type ZarrifyConfig } from "./config/schema.js";
import type { Dataset } from "./dataset/types.js";
import { type AppendOptions, type AppendResult, appendToZarr } from "./ops/append.js";
import { convertToZarr } from "./ops/convert.js";
import type { ConvertResult, RunOptions } from "./ops/convert-types.js";
import { type RegionOptions, type RegionWriteResult, writeRegion } from "./ops/region.js";
import { type RunParallelOptions, type RunResult, runParallel } from "./ops/run.js";
import {
  type CreateTemplateOptions,
  type CreateTemplateResult,
  createTemplate,
} from "./ops/template.js";

export class ZarrConverter {
  readonly config: ZarrifyConfig;

  /** Validates the configuration now, so a bad option fails before any file is touched. */
  constructor(config: ConfigInput = {}) {
    this.config = resolveConfig({ cli: config });
  }

  convert(
    input: string | string[],
    output: string,
    options: RunOptions = {},
  ): Promise<ConvertResult> {
    return convertToZarr(input, output, { ...this.config, ...options });
  }

  /** The seed's create_template: a metadata-only archive over globalStart..globalEnd. */
  createTemplate(options: CreateTemplateOptions): Promise<CreateTemplateResult> {
    return createTemplate({ ...this.config, ...options });
  }

  /** The seed's write_region: one file into its place; safe alongside other writers. */
  writeRegion(
    input: string | Dataset,
    archive: string,
    options: RegionOptions = {},
  ): Promise<RegionWriteResult> {
    return writeRegion(input, archive, { ...this.config, ...options });
  }

  /** Extend an archive along its append dimension (config appendDim, onOverlap). */
  append(input: string, archive: string, options: AppendOptions = {}): Promise<AppendResult> {
    return appendToZarr(input, archive, { ...this.config, ...options });
  }

  /** Template + parallel region writes of many files on worker threads. */
  run(options: RunParallelOptions): Promise<RunResult> {
    return runParallel({ ...this.config, ...options });
  }
}
