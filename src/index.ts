export {
  type ConfigAnswers,
  configFromAnswers,
  configYaml,
  defaultAnswers,
} from "./analyze/config-answers.js";
export type { AnalyzeReport } from "./analyze/report.js";
export { formatAnalyzeReport } from "./analyze/text.js";
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
  StoreError,
  ZarrifyError,
} from "./errors.js";
export { createLogger, type Logger } from "./log.js";
export { type AnalyzeOptions, analyzeFile } from "./ops/analyze.js";
export { type AppendOptions, type AppendResult, appendToZarr } from "./ops/append.js";
export { type ConvertOptions, convertToZarr } from "./ops/convert.js";
export type { ConvertResult } from "./ops/convert-types.js";
export {
  type RegionOptions,
  type RegionWriteResult,
  type WriteRegionOptions,
  writeRegion,
} from "./ops/region.js";
export {
  type FailedFile,
  type RunParallelOptions,
  type RunResult,
  runParallel,
} from "./ops/run.js";
export {
  type CreateTemplateOptions,
  type CreateTemplateResult,
  createTemplate,
} from "./ops/template.js";
export {
  formatValidateReport,
  type StepRange,
  type ValidateReport,
  type VariableReport,
  validateArchive,
} from "./ops/validate.js";
export { QueueError } from "./queue/errors.js";
export {
  formatQueueStatus,
  type QueueStatus,
  queueStatus,
  type RetryResult,
  retryFailed,
} from "./queue/status.js";
export { type SubmitOptions, type SubmitResult, submitFiles } from "./queue/submit.js";
export { runWorkers, type WorkOptions, type WorkResult } from "./queue/work.js";
export { openDataset } from "./readers/index.js";
export type { RegionInput } from "./region/spec.js";
export { parseCompression } from "./zarr/compression.js";
