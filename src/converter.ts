/**
 * `ZarrConverter`: the object-style API of the seed (`ZarrConverter(chunking=..., compression=...)`)
 * in TypeScript. It holds one configuration and runs ops with it.
 */
import { type ConfigInput, resolveConfig, type ZarrifyConfig } from "./config/schema.js";
import { type ConvertResult, convertToZarr, type RunOptions } from "./ops/convert.js";

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
}
