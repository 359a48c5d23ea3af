/**
 * `analyze`: what a NetCDF file holds and how to store it as Zarr (SPEC §4, §5). Dimensions,
 * time axis, variables with their source layout, the chunking recommended for each access
 * pattern, packing and compression advice derived from the data; optionally the chunk reads each
 * layout costs (estimated) and real read times on scratch archives (measured).
 *
 * Reads are bounded: packing ranges scan a variable whole only up to `scanMb`, otherwise evenly
 * spaced source-chunk-aligned slabs; compression is tried on one slab of at most 4 MB; the
 * measured tests convert at most `sampleMb` of one variable (its first time steps).
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseConfigText } from "../config/load.js";
import {
  type ConfigInput,
  type PackingConfig,
  resolveConfig,
  type ZarrifyConfig,
} from "../config/schema.js";
import { decodeTimes, formatDate, inferFrequency, normalizeCalendar } from "../dataset/cftime.js";
import {
  auxiliaryNames,
  findTimeDim,
  isDimensionCoordinate,
  isTimeLike,
} from "../dataset/coords.js";
import {
  type Dataset,
  DTYPE_SIZE,
  type DType,
  NETCDF_DEFAULT_FILL,
  type NumericArray,
  type SourceFormat,
  type Variable,
} from "../dataset/types.js";
import { finishArchive, writePlanMetadata } from "../engine/metadata.js";
import { executePlan } from "../engine/run.js";
import { ConfigError, ConversionError, ZarrifyError } from "../errors.js";
import { message, opt } from "../hint.js";
import { localPath } from "../location.js";
import { type Logger, silentLogger } from "../log.js";
import { DEFAULT_MAX_BLOCK_MB, planBlocks } from "../plan/blocks.js";
import { ACCESS_PATTERNS, type AccessPattern, recommendAll } from "../plan/chunking.js";
import { DEFAULT_COMPRESSION } from "../plan/new-archive.js";
import { outputChunks } from "../plan/output-chunks.js";
import {
  dataRange,
  PACKED_FILL,
  type PackBits,
  type PackedDType,
  type PackingParams,
  packedMax,
  packValues,
  widenRange,
} from "../plan/packing.js";
import {
  declaredRange,
  missingValues,
  packableVariables,
  packingFor,
} from "../plan/packing-plan.js";
import { openDataset } from "../readers/index.js";
import { product } from "../util/shape.js";
import { readArchiveMetadata } from "../zarr/archive.js";
import { numericToBytes } from "../zarr/codecs/bytes.js";
import { compressBytes } from "../zarr/codecs/registry.js";
import { formatCompression, parseCompression } from "../zarr/compression.js";
import { readBox } from "../zarr/read.js";
import { FsStore } from "../zarr/store/fs.js";
import { planForDataset } from "./convert.js";
import { scanRange } from "./packing.js";

const MIB = 1024 * 1024;
/** Per variable, for packing ranges: larger variables are sampled. */
const DEFAULT_SCAN_MB = 64;
/** The largest part of a variable --run-tests converts. */
const DEFAULT_SAMPLE_MB = 256;

// ---------------------------------------------------------------------------------------------
// The report

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

export interface PatternAdvice {
  chunks: Record<string, number>;
  chunkBytes: number;
  chunkMb: number;
  /** Chunks in the whole array: objects in the store. */
  totalChunks: number;
  warnings: string[];
  /** With testPerformance: one time series at one grid point, and one map at one time. */
  estimate?: { timeSeries: AccessEstimate | null; map: AccessEstimate };
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
  /** Largest first. */
  recommendations: ChunkAdvice[];
  packing: PackingAdvice[];
  compression: CompressionAdvice;
  measured?: MeasuredPerformance;
  notes: string[];
}

export interface AnalyzeRunOptions {
  /** Add the chunk reads each recommendation costs for a time series and a map. */
  testPerformance?: boolean;
  /** Convert a sample with each recommendation and time real reads (implies testPerformance). */
  runTests?: boolean;
  /** Largest part of the sample variable runTests converts, in MB (default 256). */
  sampleMb?: number;
  /** Largest variable scanned whole for a packing range, in MB; larger ones are sampled (default 64). */
  scanMb?: number;
  /** Reads per measurement; the median is reported (default 3). */
  repeats?: number;
  /** Parent of the scratch directory runTests makes and removes (default: the OS temp dir). */
  scratchDir?: string;
  logger?: Logger;
}

export type AnalyzeOptions = ConfigInput & AnalyzeRunOptions;

// ---------------------------------------------------------------------------------------------
// Small helpers

function bytesOf(v: Variable): number {
  return product(v.shape) * DTYPE_SIZE[v.dtype];
}

function isNumeric(dtype: DType): boolean {
  return dtype !== "char" && dtype !== "string";
}

function byDim(dims: readonly string[], values: readonly number[]): Record<string, number> {
  return Object.fromEntries(dims.map((d, i) => [d, values[i]]));
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

/** Three significant digits, no trailing zeros. */
function sig(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** "4.21 MB", "37.5 KB", "812 B" (MB = 2^20 bytes, as everywhere in zarrify). */
export function formatBytes(bytes: number): string {
  if (bytes >= MIB) return `${sig(bytes / MIB)} MB`;
  if (bytes >= 1024) return `${sig(bytes / 1024)} KB`;
  return `${bytes} B`;
}

// ---------------------------------------------------------------------------------------------
// Structure: dimensions, variables, time

function layoutOf(ds: Dataset, v: Variable): SourceLayout {
  if (ds.format === "hdf5") return v.sourceChunks ? "chunked" : "contiguous";
  const first = ds.dims.find((d) => d.name === v.dims[0]);
  return first?.unlimited ? "records" : "contiguous";
}

function describeVariables(ds: Dataset): AnalyzeVariable[] {
  const coords = auxiliaryNames(ds);
  return ds.variables.map((v) => {
    const bytes = bytesOf(v);
    const isCoordinate = isDimensionCoordinate(v) || coords.has(v.name) || isTimeLike(v);
    const integer = isNumeric(v.dtype) && !v.dtype.startsWith("float");
    return {
      name: v.name,
      dims: [...v.dims],
      shape: [...v.shape],
      dtype: v.dtype,
      bytes,
      mb: bytes / MIB,
      role: isCoordinate ? "coordinate" : "data",
      layout: layoutOf(ds, v),
      sourceChunks: v.sourceChunks ? [...v.sourceChunks] : null,
      sourceFilters: [...(v.sourceFilters ?? [])],
      packedInSource:
        integer && (v.attrs.scale_factor !== undefined || v.attrs.add_offset !== undefined),
    };
  });
}

/** The netCDF default fill as a number, float32 rounded as a float32 variable holds it. */
function defaultFill(dtype: DType): number {
  const fill = NETCDF_DEFAULT_FILL[dtype];
  if (typeof fill === "string") return Number.NaN;
  return dtype === "float32" ? Math.fround(Number(fill)) : Number(fill);
}

async function describeTime(ds: Dataset, timeDim: string | undefined): Promise<AnalyzeTime | null> {
  if (timeDim === undefined) return null;
  const steps = ds.dims.find((d) => d.name === timeDim)?.size ?? 0;
  const coord = ds.variables.find((v) => v.name === timeDim && v.dims.length === 1);
  const units = typeof coord?.attrs.units === "string" ? coord.attrs.units : null;
  const calendarAttr = typeof coord?.attrs.calendar === "string" ? coord.attrs.calendar : null;
  const time: AnalyzeTime = {
    dim: timeDim,
    steps,
    units,
    calendar: calendarAttr,
    first: null,
    last: null,
    freq: null,
  };
  if (!coord || !isNumeric(coord.dtype)) {
    time.note = `no numeric coordinate variable '${timeDim}': dates unknown`;
    return time;
  }
  if (units === null || !/\bsince\b/i.test(units)) {
    time.note = `'${timeDim}' has no CF time units ("<unit> since <date>"): dates unknown`;
    return time;
  }
  if (steps === 0) return time;
  try {
    time.calendar = normalizeCalendar(calendarAttr);
    const raw = (await coord.read([0], [steps])) as NumericArray;
    const declared = missingValues(coord);
    // Without a _FillValue, netCDF-C marks unwritten values with its default fill; mask it too.
    const missing = new Set(declared.length > 0 ? declared : [defaultFill(coord.dtype)]);
    const values: number[] = [];
    for (const x of raw) {
      const n = Number(x);
      if (Number.isFinite(n) && !missing.has(n)) values.push(n);
    }
    if (values.length < raw.length) {
      time.note = `${raw.length - values.length} time value(s) are missing (fill values)`;
    }
    const dates = decodeTimes(values, units, time.calendar);
    if (dates.length > 0) {
      time.first = formatDate(dates[0]);
      time.last = formatDate(dates[dates.length - 1]);
      time.freq = inferFrequency(dates, time.calendar) ?? null;
    }
  } catch (err) {
    if (!(err instanceof ZarrifyError)) throw err;
    time.note = `times cannot be decoded: ${err.message}`;
  }
  return time;
}

// ---------------------------------------------------------------------------------------------
// Chunking recommendations and their cost

/** Chunk reads for one series at one point along `timeIndex`, and for one map at one time. */
export function estimateAccess(
  shape: readonly number[],
  chunks: readonly number[],
  timeIndex: number,
  chunkBytes: number,
): { timeSeries: AccessEstimate | null; map: AccessEstimate } {
  const along = (d: number) => Math.ceil(shape[d] / chunks[d]);
  const est = (n: number): AccessEstimate => ({ chunks: n, mb: (n * chunkBytes) / MIB });
  const mapChunks = product(shape.map((_, d) => (d === timeIndex ? 1 : along(d))));
  return {
    timeSeries: timeIndex < 0 ? null : est(along(timeIndex)),
    map: est(shape.some((n) => n === 0) ? 0 : mapChunks),
  };
}

function recommend(
  variables: AnalyzeVariable[],
  timeDim: string | undefined,
  targetChunkSizeMb: number,
  withEstimates: boolean,
): ChunkAdvice[] {
  const groups = new Map<string, AnalyzeVariable[]>();
  for (const v of variables) {
    if (v.role !== "data" || v.dims.length === 0 || !isNumeric(v.dtype)) continue;
    const key = `${v.dims.join(",")}|${v.shape.join(",")}|${v.dtype}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  const advice: ChunkAdvice[] = [];
  for (const members of groups.values()) {
    const { dims, shape, dtype } = members[0];
    const timeIndex = timeDim === undefined ? -1 : dims.indexOf(timeDim);
    const recs = recommendAll({
      dims,
      shape,
      itemSize: DTYPE_SIZE[dtype],
      timeDim,
      targetChunkSizeMb,
    });
    const patterns = {} as Record<AccessPattern, PatternAdvice>;
    for (const p of ACCESS_PATTERNS) {
      const r = recs[p];
      patterns[p] = {
        chunks: byDim(dims, r.chunks),
        chunkBytes: r.chunkBytes,
        chunkMb: r.chunkMb,
        totalChunks: shape.some((n) => n === 0)
          ? 0
          : product(shape.map((n, d) => Math.ceil(n / r.chunks[d]))),
        warnings: r.warnings,
        ...(withEstimates
          ? { estimate: estimateAccess(shape, r.chunks, timeIndex, r.chunkBytes) }
          : {}),
      };
    }
    advice.push({
      variables: members.map((m) => m.name),
      dims,
      shape,
      dtype,
      timeDim: timeIndex < 0 ? null : (timeDim ?? null),
      patterns,
    });
  }
  const size = (a: ChunkAdvice) => product(a.shape) * DTYPE_SIZE[a.dtype] * a.variables.length;
  return advice.sort((a, b) => size(b) - size(a));
}

// ---------------------------------------------------------------------------------------------
// Packing

/**
 * Evenly spaced runs of steps along a dimension of length n, about `budget` bytes in all. Runs
 * are whole source chunks along it when one fits the budget, so HDF5 decompresses each chunk it
 * touches once; otherwise a few shorter runs (each still decompresses its chunks only once).
 */
export function sampleRuns(
  n: number,
  stepBytes: number,
  sourceChunk: number,
  budget: number,
): { start: number; length: number }[] {
  if (n === 0) return [];
  const unit = Math.max(1, Math.min(n, sourceChunk));
  if (unit * stepBytes <= budget) {
    const units = Math.ceil(n / unit);
    const take = Math.max(1, Math.min(units, Math.floor(budget / (unit * stepBytes))));
    return Array.from({ length: take }, (_, i) => {
      const start = Math.floor((i * units) / take) * unit;
      return { start, length: Math.min(unit, n - start) };
    });
  }
  const take = Math.max(1, Math.min(n, 8, Math.floor(budget / Math.max(1, stepBytes))));
  const length = Math.max(1, Math.floor(budget / take / Math.max(1, stepBytes)));
  return Array.from({ length: take }, (_, i) => {
    const start = Math.floor((i * n) / take);
    return { start, length: Math.min(length, n - start) };
  });
}

/** Min/max over sampleRuns along `dim`, in blocks of at most 64 MB. */
async function sampledRange(
  v: Variable,
  dim: number,
  budget: number,
): Promise<{ range: { min: number; max: number } | undefined; read: number; of: number }> {
  const n = v.shape[dim];
  const runs = sampleRuns(n, bytesOf(v) / Math.max(1, n), v.sourceChunks?.[dim] ?? 1, budget);
  const missing = missingValues(v);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let read = 0;
  for (const run of runs) {
    const subShape = v.shape.map((s, d) => (d === dim ? run.length : s));
    const blocks = planBlocks({
      shape: subShape,
      chunks: v.sourceChunks?.map((c, d) => Math.min(c, subShape[d])) ?? subShape.map(() => 1),
      itemSize: DTYPE_SIZE[v.dtype],
      sourceChunks: v.sourceChunks,
      maxBlockBytes: 64 * MIB,
    });
    for (const b of blocks) {
      const start = b.start.map((s, d) => (d === dim ? s + run.start : s));
      const data = await v.read(start, b.count);
      if (!(data instanceof Float32Array || data instanceof Float64Array)) {
        return { range: undefined, read, of: n };
      }
      const r = dataRange(data, { missing });
      if (r) {
        min = Math.min(min, r.min);
        max = Math.max(max, r.max);
      }
    }
    read += run.length;
  }
  return { range: Number.isFinite(min) ? { min, max } : undefined, read, of: n };
}

async function findRange(
  v: Variable,
  config: PackingConfig,
  timeDim: string | undefined,
  scanBytes: number,
): Promise<Pick<PackingAdvice, "range" | "rangeSource" | "sampled">> {
  const declared = declaredRange(v, config);
  if (declared) {
    return { range: { min: declared.min, max: declared.max }, rangeSource: declared.source };
  }
  if (bytesOf(v) <= scanBytes) {
    const range = (await scanRange(v)) ?? null;
    return { range, rangeSource: range ? "data" : null };
  }
  const dim = Math.max(0, timeDim === undefined ? 0 : v.dims.indexOf(timeDim));
  const s = await sampledRange(v, dim, scanBytes);
  return {
    range: s.range ?? null,
    rangeSource: s.range ? "data-sample" : null,
    sampled: { dim: v.dims[dim], read: s.read, of: s.of },
  };
}

async function adviseOnPacking(
  ds: Dataset,
  config: PackingConfig,
  timeDim: string | undefined,
  scanBytes: number,
): Promise<PackingAdvice[]> {
  const enabled = { ...config, enabled: true };
  const out: PackingAdvice[] = [];
  for (const v of packableVariables(ds, ds.variables, enabled)) {
    const bytes = bytesOf(v);
    const advice: PackingAdvice = {
      variable: v.name,
      dtype: v.dtype,
      bytes,
      range: null,
      rangeSource: null,
      packedRange: null,
      options: [],
      notes: [],
    };
    try {
      Object.assign(advice, await findRange(v, enabled, timeDim, scanBytes));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      advice.notes.push(err.message);
    }
    if (advice.sampled) {
      advice.notes.push(
        `range from ${advice.sampled.read} of ${advice.sampled.of} '${advice.sampled.dim}' steps: values outside it elsewhere would be clipped; give packing.manual_ranges`,
      );
    }
    if (advice.range === null) {
      if (advice.notes.length === 0) advice.notes.push("no valid value to take a range from");
      out.push(advice);
      continue;
    }
    const range = advice.range;
    const source = advice.rangeSource === "data-sample" ? "data" : (advice.rangeSource ?? "data");
    try {
      advice.packedRange =
        source === "data" ? widenRange(range.min, range.max, enabled.autoBufferFactor) : range;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
    }
    for (const bits of [8, 16] as const) {
      try {
        const p = packingFor(v, { ...enabled, bits }, { ...range, source }).params;
        const packedBytes = (product(v.shape) * bits) / 8;
        advice.options.push({
          bits,
          dtype: p.dtype,
          scaleFactor: p.scaleFactor,
          addOffset: p.addOffset,
          packedBytes,
          savedBytes: bytes - packedBytes,
          savedPercent: bytes > 0 ? (100 * (bytes - packedBytes)) / bytes : 0,
        });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        advice.notes.push(`${bits}-bit: ${err.message}`);
      }
    }
    out.push(advice);
  }
  return out;
}

/** Full packing parameters of an option: the range its scale and offset cover. */
function paramsOf(o: PackingOption): PackingParams {
  const h = packedMax(o.bits);
  return {
    bits: o.bits,
    dtype: o.dtype,
    scaleFactor: o.scaleFactor,
    addOffset: o.addOffset,
    fillValue: PACKED_FILL[o.bits],
    min: o.addOffset - h * o.scaleFactor,
    max: o.addOffset + h * o.scaleFactor,
  };
}

// ---------------------------------------------------------------------------------------------
// Compression

const TRIAL_BYTES = 4 * MIB;
/** Below this, ratios say more about block headers than about the data. */
const MIN_TRIAL_BYTES = 64 * 1024;
const ALTERNATIVES = ["blosc:zstd:3:bitshuffle", "blosc:lz4:5:shuffle", "zstd:3"];

/** Whole maps around the middle step, at most TRIAL_BYTES: cut along time first, then outer dims. */
function trialBox(v: Variable, timeDim: string | null): { start: number[]; count: number[] } {
  const count = outputChunks({
    dims: v.dims,
    shape: v.shape,
    itemSize: DTYPE_SIZE[v.dtype],
    byDim: {},
    targetBytes: TRIAL_BYTES,
    cutFirst: timeDim ?? undefined,
  });
  const start = v.shape.map((n, d) => Math.max(0, Math.floor((n - count[d]) / 2)));
  return { start, count };
}

async function adviseOnCompression(
  ds: Dataset,
  report: Pick<
    AnalyzeReport,
    "variables" | "recommendations" | "packing" | "sizeBytes" | "dataBytes"
  >,
  config: ZarrifyConfig,
): Promise<CompressionAdvice> {
  const configured = formatCompression(parseCompression(config.compression ?? DEFAULT_COMPRESSION));
  const sourceFilters = [...new Set(report.variables.flatMap((v) => v.sourceFilters))];
  const advice: CompressionAdvice = {
    sourceFilters,
    sourceRatio: report.sizeBytes > 0 ? report.dataBytes / report.sizeBytes : null,
    sample: null,
    trials: [],
    suggested: configured,
    advice: [],
  };
  const compressed = sourceFilters.some((f) => !/^fletcher32/i.test(f));
  const onDisk = `${formatBytes(report.sizeBytes)} on disk hold ${formatBytes(report.dataBytes)} of values`;
  advice.advice.push(
    compressed
      ? `The source is compressed (${sourceFilters.join(", ")}): ${onDisk}${advice.sourceRatio ? ` (${sig(advice.sourceRatio)}x)` : ""}.`
      : `The source is not compressed: ${onDisk}.`,
  );

  const main = report.recommendations[0];
  const v = main && ds.variables.find((x) => x.name === main.variables[0]);
  if (main && v && product(v.shape) > 0) {
    const box = trialBox(v, main.timeDim);
    const data = (await v.read(box.start, box.count)) as NumericArray;
    const raw = numericToBytes(data);
    advice.sample = { variable: v.name, start: box.start, shape: box.count, bytes: raw.length };
    const itemSize = DTYPE_SIZE[v.dtype];
    for (const codec of [configured, ...ALTERNATIVES.filter((c) => c !== configured)]) {
      const spec = parseCompression(codec);
      const size = compressBytes(spec, raw, itemSize).length;
      advice.trials.push({ codec: formatCompression(spec), ratio: raw.length / Math.max(1, size) });
    }
    const pack = report.packing
      .find((p) => p.variable === v.name)
      ?.options.find((o) => o.bits === 16);
    if (pack && (data instanceof Float32Array || data instanceof Float64Array)) {
      const { packed } = packValues(data, paramsOf(pack), undefined, {
        missing: missingValues(v),
      });
      const size = compressBytes(parseCompression(configured), numericToBytes(packed), 2).length;
      advice.trials.push({
        codec: configured,
        ratio: raw.length / Math.max(1, size),
        packed: "int16",
      });
    }
    const plain = advice.trials.filter((t) => !t.packed);
    const first = plain[0];
    const best = plain.reduce((a, b) => (b.ratio > a.ratio ? b : a), first);
    let line = `On a ${formatBytes(raw.length)} sample of ${v.name}, ${first.codec} compresses ${sig(first.ratio)}x`;
    if (raw.length < MIN_TRIAL_BYTES) {
      line += ` (${plain
        .slice(1)
        .map((t) => `${t.codec} ${sig(t.ratio)}x`)
        .join(", ")}); too little data to choose a codec by.`;
    } else if (best !== first && best.ratio > 1.1 * first.ratio) {
      advice.suggested = best.codec;
      line += `; ${best.codec} does better (${sig(best.ratio)}x): consider --compression ${best.codec}.`;
    } else {
      line += `; the alternatives tried (${plain
        .slice(1)
        .map((t) => `${t.codec} ${sig(t.ratio)}x`)
        .join(", ")}) do not do notably better.`;
    }
    advice.advice.push(line);
    if (best.ratio < 1.25) {
      advice.advice.push(
        "These values barely compress: blosc:lz4 costs much less CPU for about the same size.",
      );
    }
    const packedTrial = advice.trials.find((t) => t.packed);
    if (packedTrial && pack) {
      advice.advice.push(
        `Packed to int16 first (step ${formatNumber(pack.scaleFactor)}), the same sample shrinks ${sig(packedTrial.ratio)}x against its ${v.dtype} size with ${packedTrial.codec}.`,
      );
    }
  }
  const alreadyPacked = report.variables.filter((x) => x.packedInSource).map((x) => x.name);
  if (alreadyPacked.length > 0) {
    advice.advice.push(
      `${alreadyPacked.join(", ")} ${alreadyPacked.length === 1 ? "is" : "are"} already packed integers (scale_factor/add_offset) and ${alreadyPacked.length === 1 ? "is" : "are"} copied as stored; byte shuffle (in the default blosc) suits them.`,
    );
  }
  return advice;
}

// ---------------------------------------------------------------------------------------------
// Measured performance on scratch archives

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

async function measure(
  ds: Dataset,
  advice: ChunkAdvice,
  config: ZarrifyConfig,
  options: AnalyzeRunOptions,
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

  const dir = await mkdtemp(join(options.scratchDir ?? tmpdir(), "zarrify-analyze-"));
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
      const store = new FsStore(join(dir, `${pattern}.zarr`));
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
    await rm(dir, { recursive: true, force: true });
  }
  return measured;
}

// ---------------------------------------------------------------------------------------------
// The op

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
  // Refused before any work: mkdtemp would make a local directory named after the scheme.
  if (scratchDir !== undefined) localPath(scratchDir, "scratch directory");
  const config = resolveConfig({ cli: { jobs: 1, ...configInput } });
  const logger = givenLogger ?? silentLogger;
  const ds = await openDataset(input, { group: config.group });
  try {
    const sizeBytes = (await stat(input)).size;
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
    );
    const packing = await adviseOnPacking(
      ds,
      config.packing,
      timeDim,
      (scanMb ?? DEFAULT_SCAN_MB) * MIB,
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

// ---------------------------------------------------------------------------------------------
// The readable report

function table(rows: string[][], indent = "  "): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    `${indent}${r.map((cell, c) => cell.padEnd(widths[c])).join("  ")}`.trimEnd(),
  );
}

function chunkText(chunks: Record<string, number>): string {
  return Object.entries(chunks)
    .map(([d, c]) => `${d}:${c}`)
    .join(",");
}

function formatNumber(x: number): string {
  if (x === 0) return "0";
  return Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3 ? x.toExponential(2) : sig(x);
}

function ms(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(2);
}

export function formatAnalyzeReport(r: AnalyzeReport): string {
  const lines: string[] = [];
  const group = r.group !== "/" ? `, group ${r.group}` : "";
  lines.push(
    `file:        ${r.file} (${r.format}${group}, ${formatBytes(r.sizeBytes)} on disk, ${formatBytes(r.dataBytes)} of values)`,
  );
  lines.push(
    `dimensions:  ${r.dimensions.map((d) => `${d.name}=${d.size}${d.unlimited ? " (unlimited)" : ""}`).join(", ") || "none"}`,
  );
  if (r.time) {
    const t = r.time;
    const span = t.first ? `${t.first} .. ${t.last}, ` : "";
    const freq = t.freq ? `, every ${t.freq}` : "";
    const cal = t.calendar ? `, calendar ${t.calendar}` : "";
    lines.push(`time:        '${t.dim}': ${span}${t.steps} steps${freq}${cal}`);
    if (t.note) lines.push(`             (${t.note})`);
  } else {
    lines.push("time:        no time dimension found");
  }

  lines.push("", "variables:");
  const rows = [["name", "dims", "dtype", "size", "source layout", "filters", "role"]];
  for (const v of r.variables) {
    const layout = v.layout === "chunked" ? `chunks [${v.sourceChunks?.join(", ")}]` : v.layout;
    rows.push([
      v.name,
      `(${v.dims.join(", ")}) [${v.shape.join(", ")}]`,
      v.dtype,
      formatBytes(v.bytes),
      layout,
      v.sourceFilters.join(",") || "-",
      v.packedInSource ? `${v.role}, packed` : v.role,
    ]);
  }
  lines.push(...table(rows));

  lines.push("", `chunking recommendations (target ${r.targetChunkSizeMb} MB per chunk):`);
  if (r.recommendations.length === 0)
    lines.push("  none: no numeric data variable with dimensions");
  for (const a of r.recommendations) {
    lines.push(
      `  ${a.variables.join(", ")}  (${a.dims.join(", ")}) [${a.shape.join(", ")}] ${a.dtype}`,
    );
    const withEstimate = ACCESS_PATTERNS.some((p) => a.patterns[p].estimate);
    const head = ["pattern", "chunks", "chunk MB", "chunks total"];
    if (withEstimate) head.push("time series: chunks (MB)", "map: chunks (MB)");
    const prow = [head];
    for (const p of ACCESS_PATTERNS) {
      const pa = a.patterns[p];
      const row = [p, chunkText(pa.chunks), formatNumber(pa.chunkMb), String(pa.totalChunks)];
      if (pa.estimate) {
        const ts = pa.estimate.timeSeries;
        row.push(
          ts ? `${ts.chunks} (${formatNumber(ts.mb)})` : "-",
          `${pa.estimate.map.chunks} (${formatNumber(pa.estimate.map.mb)})`,
        );
      }
      prow.push(row);
    }
    lines.push(...table(prow, "    "));
    for (const p of ACCESS_PATTERNS) {
      for (const w of a.patterns[p].warnings) lines.push(`    warning: ${w}`);
    }
  }

  lines.push("", "packing (float data variables as scaled integers; lossy):");
  if (r.packing.length === 0) lines.push("  none: no float data variable to pack");
  for (const p of r.packing) {
    const interval = (x: { min: number; max: number }) =>
      `[${formatNumber(x.min)}, ${formatNumber(x.max)}]`;
    const widened =
      p.packedRange && p.range && p.packedRange !== p.range
        ? `, packed into ${interval(p.packedRange)}`
        : "";
    const range = p.range ? `${interval(p.range)} from ${p.rangeSource}${widened}` : "no range";
    const opts = p.options.map(
      (o) =>
        `${o.bits}-bit: saves ${formatBytes(o.savedBytes)} (${o.savedPercent.toFixed(0)}%), step ${formatNumber(o.scaleFactor)}`,
    );
    lines.push(`  ${p.variable} ${p.dtype}  ${range}${opts.length ? `  ${opts.join("; ")}` : ""}`);
    for (const n of p.notes) lines.push(`    note: ${n}`);
  }

  lines.push("", "compression:");
  for (const a of r.compression.advice) lines.push(`  ${a}`);

  if (r.measured) {
    const m = r.measured;
    const sample =
      m.sampledSteps !== null && m.sampledSteps < (m.totalSteps ?? 0)
        ? `first ${m.sampledSteps} of ${m.totalSteps} steps`
        : "whole variable";
    lines.push(
      "",
      `measured reads (${m.variable} [${m.sampleShape.join(", ")}], ${sample}, ${m.compression}, median of ${m.repeats}):`,
    );
    const mrows = [["layout", "chunks", "archive", "time series ms (chunks)", "map ms (chunks)"]];
    mrows.push([
      "source file",
      "-",
      "-",
      m.source.timeSeriesMs === null ? "-" : ms(m.source.timeSeriesMs),
      ms(m.source.mapMs),
    ]);
    for (const p of ACCESS_PATTERNS) {
      const mp = m.patterns[p];
      mrows.push([
        p,
        chunkText(mp.chunks),
        formatBytes(mp.archiveBytes),
        mp.timeSeries ? `${ms(mp.timeSeries.ms)} (${mp.timeSeries.chunks})` : "-",
        `${ms(mp.map.ms)} (${mp.map.chunks})`,
      ]);
    }
    lines.push(...table(mrows));
    for (const n of m.notes) lines.push(`  note: ${n}`);
  }

  if (r.notes.length > 0) {
    lines.push("", "notes:");
    for (const n of r.notes) lines.push(`  ${n}`);
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Config from answers (analyze --interactive)

export interface ConfigAnswers {
  accessPattern: AccessPattern;
  targetChunkSizeMb: number;
  compression: string;
  /** false: no packing. */
  packing: false | { bits: PackBits; fixRanges: boolean };
  zarrFormat: 2 | 3;
}

/** What --interactive offers before the user changes anything. */
export function defaultAnswers(r: AnalyzeReport): ConfigAnswers {
  return {
    accessPattern: "balanced",
    targetChunkSizeMb: r.targetChunkSizeMb,
    compression: r.compression.suggested,
    packing: false,
    zarrFormat: 3,
  };
}

/** Round min down and max up to about 4 significant digits of the range: readable, still covering. */
function roundOutward(min: number, max: number): { min: number; max: number } {
  const span = max - min;
  if (!(span > 0)) return { min, max };
  const q = 10 ** (Math.floor(Math.log10(span)) - 3);
  const lo = Number((Math.floor(min / q) * q).toPrecision(12));
  const hi = Number((Math.ceil(max / q) * q).toPrecision(12));
  return lo <= min && hi >= max && lo < hi ? { min: lo, max: hi } : { min, max };
}

/** The config file (snake_case keys, as in docs/configuration.md) for these answers. */
export function configFromAnswers(r: AnalyzeReport, a: ConfigAnswers): Record<string, unknown> {
  const config: Record<string, unknown> = {
    intelligent_chunking: true,
    access_pattern: a.accessPattern,
    target_chunk_size_mb: a.targetChunkSizeMb,
    compression: a.compression,
    zarr_format: a.zarrFormat,
  };
  if (r.time) config.time_dim = r.time.dim;
  if (r.group !== "/") config.group = r.group;
  if (a.packing) {
    const packing: Record<string, unknown> = { enabled: true, bits: a.packing.bits };
    if (a.packing.fixRanges) {
      const ranges: Record<string, { min: number; max: number }> = {};
      for (const p of r.packing) {
        const fromData = p.rangeSource === "data" || p.rangeSource === "data-sample";
        if (!fromData || !p.packedRange || p.options.length === 0) continue;
        ranges[p.variable] = roundOutward(p.packedRange.min, p.packedRange.max);
      }
      if (Object.keys(ranges).length > 0) packing.manual_ranges = ranges;
    }
    const unpackable = r.packing.filter((p) => p.options.length === 0).map((p) => p.variable);
    if (unpackable.length > 0) packing.exclude = unpackable;
    config.packing = packing;
  }
  return config;
}

/** The YAML text of the config, checked to load and resolve as a config file would. */
export function configYaml(r: AnalyzeReport, a: ConfigAnswers): string {
  const text = `# zarrify config from \`zarrify analyze ${r.file} --interactive\`\n${stringify(configFromAnswers(r, a))}`;
  resolveConfig({ file: parseConfigText(text, "generated config", "yaml") });
  return text;
}
