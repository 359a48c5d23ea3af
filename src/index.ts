export { type ConfigInput, resolveConfig, type ZarrifyConfig } from "./config/schema.js";
export { ZarrConverter } from "./converter.js";
export type {
  Attrs,
  AttrValue,
  DataArray,
  Dataset,
  Dimension,
  DType,
  Variable,
} from "./dataset/types.js";
export {
  ConfigError,
  ConversionError,
  InputError,
  RegionError,
  RetryLimitExceededError,
  ZarrifyError,
} from "./errors.js";
export { createLogger, type Logger } from "./log.js";
export { type ConvertOptions, type ConvertResult, convertToZarr } from "./ops/convert.js";
export { openDataset } from "./readers/index.js";
export { parseCompression } from "./zarr/compression.js";
