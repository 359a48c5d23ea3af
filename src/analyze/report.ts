/**
 * What `analyze` reports (SPEC §4, §5): plain data, printed as JSON by `--json` and as text by
 * text.ts, so every field is part of the command's output.
 */
import type { DType, SourceFormat } from "../dataset/types.js";
import type { AccessPattern } from "../plan/chunking.js";
import type { PackedDType } from "../plan/packing.js";

export interface AnalyzeDimension {
  name: string;
  size: number;
  unlimited: boolean;
}

export interface AnalyzeTime {
  dim: string;
  steps: number;
  units: string | null;
  calendar: string | null;
  /** ISO-like dates; null when the time coordinate is absent or cannot be decoded (see note). */
  first: string | null;
  last: string | null;
  /** pandas-style frequency ("1D", "MS"), null when the steps are irregular or unknown. */
  freq: string | null;
  note?: string;
}

/** How the source stores a variable: HDF5 chunks, one block, or NetCDF-3 interleaved records. */
export type SourceLayout = "chunked" | "contiguous" | "records";

export interface AnalyzeVariable {
  name: string;
  dims: string[];
  shape: number[];
  dtype: DType;
  bytes: number;
  mb: number;
  /** Coordinates (dimension coordinates, auxiliary coordinates, bounds, times) are never packed. */
  role: "coordinate" | "data";
  layout: SourceLayout;
  sourceChunks: number[] | null;
  sourceFilters: string[];
  /** An integer variable with scale_factor/add_offset: already packed by its writer. */
  packedInSource: boolean;
}

export interface AccessEstimate {
  /** Chunks a reader fetches and decompresses. */
  chunks: number;
  /** Uncompressed MB those chunks hold (Zarr stores edge chunks at full size). */
  mb: number;
}

/** The shards `shards: auto` gives a pattern's chunks (plan/shard-advice.ts); Zarr v3 only. */
export interface ShardAdvice {
  /** Shard length by dimension, whole chunks; null: the proposal leaves the array unsharded. */
  shards: Record<string, number> | null;
  /** Uncompressed bytes of one shard (of one chunk when unsharded): what a writer holds. */
  shardBytes: number;
  shardMb: number;
  chunksPerShard: number;
  /** Objects in the store with these shards (totalChunks when unsharded). */
  totalShards: number;
  /**
   * With testPerformance: the shards a time series and a map touch. A reader fetches each one's
   * index once, then the same inner chunks as unsharded.
   */
  estimate?: { timeSeries: number | null; map: number };
}

export interface PatternAdvice {
  chunks: Record<string, number>;
  chunkBytes: number;
  chunkMb: number;
  /** Chunks in the whole array: objects in the store. */
  totalChunks: number;
  warnings: string[];
  /** With testPerformance: one time series at one grid point, and one map at one time. */
  estimate?: { timeSeries: AccessEstimate | null; map: AccessEstimate };
  /** Absent when the analysis is for Zarr v2, which has no sharding. */
  sharding?: ShardAdvice;
}

/** Variables sharing dimensions, shape and dtype share one recommendation. */
export interface ChunkAdvice {
  variables: string[];
  dims: string[];
  shape: number[];
  dtype: DType;
  /** The time dimension, when these variables have it. */
  timeDim: string | null;
  patterns: Record<AccessPattern, PatternAdvice>;
}

export type PackingRangeSource = "manual" | "attributes" | "data" | "data-sample";

export interface PackingOption {
  bits: 8 | 16;
  dtype: PackedDType;
  /** The packing step: values are stored to within half of it. */
  scaleFactor: number;
  addOffset: number;
  packedBytes: number;
  savedBytes: number;
  savedPercent: number;
}

export interface PackingAdvice {
  variable: string;
  dtype: DType;
  bytes: number;
  /** The range found (data ranges are widened by packing.autoBufferFactor before packing). */
  range: { min: number; max: number } | null;
  rangeSource: PackingRangeSource | null;
  /** The range values are packed into: a data range widened by packing.autoBufferFactor. */
  packedRange: { min: number; max: number } | null;
  /** Data ranges scanned from a sample: which steps of which dimension were read. */
  sampled?: { dim: string; read: number; of: number };
  /** 8 and 16 bits; empty when the variable cannot be packed (see notes). */
  options: PackingOption[];
  notes: string[];
}

export interface CompressionTrial {
  /** A --compression string; packed trials say so in `packed`. */
  codec: string;
  /** Bytes of the sample as the source dtype / compressed bytes. */
  ratio: number;
  packed?: PackedDType;
}

export interface CompressionAdvice {
  /** Distinct filters of the source's variables, e.g. ["deflate(7)", "shuffle"]. */
  sourceFilters: string[];
  /** Bytes of all values / bytes of the file. */
  sourceRatio: number | null;
  /** The slab the trials compressed. */
  sample: { variable: string; start: number[]; shape: number[]; bytes: number } | null;
  trials: CompressionTrial[];
  /** The codec to use: the configured one unless a trial beat it by over 10 % on at least 64 KB. */
  suggested: string;
  advice: string[];
}

export interface MeasuredRead {
  chunks: number;
  /** Median wall time over `repeats` reads. */
  ms: number;
}

export interface MeasuredPattern {
  chunks: Record<string, number>;
  /** Compressed size of the sample variable's chunks. */
  archiveBytes: number;
  timeSeries: MeasuredRead | null;
  map: MeasuredRead;
}

export interface MeasuredPerformance {
  variable: string;
  dims: string[];
  /** Shape of the sample converted (the first `sampledSteps` time steps when the variable is big). */
  sampleShape: number[];
  sampledSteps: number | null;
  totalSteps: number | null;
  compression: string;
  repeats: number;
  /** The same two reads from the source file, for comparison. */
  source: { timeSeriesMs: number | null; mapMs: number };
  patterns: Record<AccessPattern, MeasuredPattern>;
  notes: string[];
}

export interface AnalyzeReport {
  file: string;
  format: SourceFormat;
  group: string;
  sizeBytes: number;
  /** Uncompressed bytes of every variable's values. */
  dataBytes: number;
  dimensions: AnalyzeDimension[];
  time: AnalyzeTime | null;
  variables: AnalyzeVariable[];
  targetChunkSizeMb: number;
  /** The Zarr format the advice is for (the configuration's); shards only with 3. */
  zarrFormat: 2 | 3;
  /** Largest first. */
  recommendations: ChunkAdvice[];
  packing: PackingAdvice[];
  compression: CompressionAdvice;
  measured?: MeasuredPerformance;
  notes: string[];
}
