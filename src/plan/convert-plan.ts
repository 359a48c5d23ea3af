/** Plan a single-source conversion: one output array per selected variable, raw values kept. */
import { charStringNames } from "../dataset/coords.js";
import { type Attrs, type Dataset, DTYPE_SIZE, type Variable } from "../dataset/types.js";
import type { CompressionSpec } from "../zarr/compression.js";
import { outputChunks } from "./output-chunks.js";
import type { ArrayPlan, WritePlan } from "./write-plan.js";

export interface ConvertPlanOptions {
  zarrFormat: 2 | 3;
  compression: CompressionSpec;
  chunking: Record<string, number>;
  targetChunkSizeMb: number;
  extraAttrs?: Attrs;
  /** The time dimension, cut first when a chunk must shrink. */
  timeDim?: string;
}

function fillValueOf(v: Variable): ArrayPlan["fillValue"] {
  const fill = v.attrs._FillValue;
  if (fill === undefined) return null;
  if (Array.isArray(fill)) return (fill[0] as number | bigint | string | undefined) ?? null;
  return fill;
}

/** `strings`: the char variables whose last dimension is a string length (charStringNames). */
export function planArray(
  v: Variable,
  options: ConvertPlanOptions,
  strings: ReadonlySet<string>,
): ArrayPlan {
  const foldChars = strings.has(v.name);
  return {
    name: v.name,
    source: v.name,
    dims: [...v.dims],
    shape: [...v.shape],
    chunks: outputChunks({
      dims: v.dims,
      shape: v.shape,
      itemSize: DTYPE_SIZE[v.dtype],
      byDim: options.chunking,
      targetBytes: options.targetChunkSizeMb * 1024 * 1024,
      cutFirst: options.timeDim,
      wholeLastDim: foldChars,
    }),
    foldChars: foldChars || undefined,
    dtype: v.dtype,
    attrs: { ...v.attrs },
    attrTypes: v.attrTypes,
    fillValue: fillValueOf(v),
    compression: options.compression,
    sourceChunks: v.sourceChunks ? [...v.sourceChunks] : undefined,
  };
}

export function planConvert(
  ds: Dataset,
  variables: readonly Variable[],
  options: ConvertPlanOptions,
): WritePlan {
  const strings = charStringNames(variables);
  return {
    zarrFormat: options.zarrFormat,
    attrs: { ...ds.attrs, ...(options.extraAttrs ?? {}) },
    attrTypes: ds.attrTypes,
    arrays: variables.map((v) => planArray(v, options, strings)),
  };
}
