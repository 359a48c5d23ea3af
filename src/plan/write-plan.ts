/**
 * The WritePlan: everything the engine and the Zarr writer need to know, decided up front from
 * (dataset, config) by pure functions, so it can be tested without I/O and shipped to workers.
 */
import type { Attrs, DType } from "../dataset/types.js";
import type { CompressionSpec } from "../zarr/compression.js";
import type { ArrayPacking } from "./packing.js";

export interface ArrayPlan {
  /** Output array name. */
  name: string;
  /** Name of the source variable it is read from. */
  source: string;
  dims: string[];
  shape: number[];
  chunks: number[];
  /** Zarr v3 shards (a multiple of `chunks`), from plan/shards.ts; absent: unsharded. */
  shards?: number[];
  dtype: DType;
  /** Output attributes, `_FillValue` included when the source has one. */
  attrs: Attrs;
  /** Stored types of the attributes, so float attributes stay floats. */
  attrTypes?: Record<string, DType>;
  /** The source's `_FillValue`, or null when it has none (Zarr v2 must then say null). */
  fillValue: number | bigint | string | null;
  compression: CompressionSpec;
  /** The source's own chunking, used to align read blocks. */
  sourceChunks?: number[];
  /**
   * A char array whose last dimension is a string length (dataset/coords.ts charStringNames):
   * Zarr v3 stores it as n-byte strings, so that dimension is never cut.
   */
  foldChars?: boolean;
  /** string arrays in Zarr v3: the fixed length in code points (ops/strings.ts measures it). */
  stringLength?: number;
  /** Set when float source values are stored packed into `dtype` (an integer type). */
  packing?: ArrayPacking;
}

export interface WritePlan {
  zarrFormat: 2 | 3;
  /** Root group attributes. */
  attrs: Attrs;
  attrTypes?: Record<string, DType>;
  arrays: ArrayPlan[];
}
