/**
 * Intelligent chunking (SPEC §5): the chunk shape recommended for an access pattern, from the
 * archive's full dimensions, the element size and a target chunk size. These are the seed's
 * formulas, kept exactly so recommendations match the Python tool users are migrating from:
 *
 *   target elements = floor(targetChunkSizeMb · 2^20 / itemSize)
 *   temporal: time chunk = min(100, max(10, nt // 10)), spatial dims at least 10
 *   spatial:  time chunk = min(20,  max(5,  nt // 50)), spatial dims at least 50
 *   balanced: time chunk = min(50,  max(10, nt // 20)), spatial dims at least 30
 *   each other dim = floor((target elements / time chunk)^(1/n_spatial)), at least the pattern's
 *   minimum, then capped by the dimension's length. Room a capped dimension leaves is not handed
 *   to the others (the seed does not, and a smaller chunk is harmless).
 *
 * "MB" is MiB (2^20 bytes), as in the seed (`1024 * 1024`): 50 MB float32 is 13,107,200 elements,
 * which is what makes the pinned examples (e.g. 1825×360×720 balanced → [50, 360, 512]) come out.
 * A variable without the time dimension treats every dimension as spatial with a time chunk of 1.
 *
 * One departure from the seed: an array no larger than the target stays whole, one chunk. The
 * formulas aim at a chunk of about the target size; for a small array they would cut it into
 * chunks far below it (a 1.3 MB int16 4-D variable into 28 chunks of 0.06 MB) and then warn about
 * their own advice. Every access pattern reads such an array in one request.
 */
import { ConfigError, ConversionError } from "../errors.js";
import { hint, message, opt } from "../hint.js";

export type AccessPattern = "temporal" | "spatial" | "balanced";

export const ACCESS_PATTERNS: readonly AccessPattern[] = ["temporal", "spatial", "balanced"];

export interface ChunkRecommendationRequest {
  dims: readonly string[];
  shape: readonly number[];
  /** Bytes per element of the stored (output) dtype. */
  itemSize: number;
  /** Name of the time dimension; absent, or not among `dims`, means the variable has none. */
  timeDim?: string;
  pattern: AccessPattern;
  targetChunkSizeMb: number;
}

export interface ChunkRecommendation {
  pattern: AccessPattern;
  /** One length per dimension, in `dims` order. */
  chunks: number[];
  chunkBytes: number;
  /** chunkBytes in MiB. */
  chunkMb: number;
  /** Human-readable advice: chunk or target size outside 1–100 MB. */
  warnings: string[];
}

const MIB = 1024 * 1024;
/** Chunks outside this band (MiB) are slow to read: too many objects, or too much per read. */
const MIN_GOOD_MB = 1;
const MAX_GOOD_MB = 100;

interface PatternRule {
  /** nt is divided by this for the time chunk… */
  divisor: number;
  /** …which is then kept within [low, high]. */
  low: number;
  high: number;
  /** Smallest chunk length of every non-time dimension. */
  spatialMin: number;
}

const RULES: Record<AccessPattern, PatternRule> = {
  temporal: { divisor: 10, low: 10, high: 100, spatialMin: 10 },
  spatial: { divisor: 50, low: 5, high: 20, spatialMin: 50 },
  balanced: { divisor: 20, low: 10, high: 50, spatialMin: 30 },
};

/**
 * floor(x^(1/n)) for x >= 0, n >= 1. `**` alone is off by one at exact powers
 * (262144 ** 0.5 may give 511.99…), so the estimate is corrected against integer powers.
 */
export function integerRoot(x: number, n: number): number {
  if (!(x > 0)) return 0;
  if (n === 1) return Math.floor(x);
  let r = Math.floor(x ** (1 / n));
  while ((r + 1) ** n <= x) r++;
  while (r > 0 && r ** n > x) r--;
  return r;
}

/** Time chunk length for a time dimension of length nt (>= 1 even when nt is 0). */
export function timeChunkFor(pattern: AccessPattern, nt: number): number {
  const rule = RULES[pattern];
  const seed = Math.min(rule.high, Math.max(rule.low, Math.floor(nt / rule.divisor)));
  return Math.max(1, Math.min(seed, nt));
}

function checkRequest(req: Omit<ChunkRecommendationRequest, "pattern">): void {
  if (req.dims.length !== req.shape.length) {
    throw new ConversionError(
      `chunk recommendation: ${req.dims.length} dimension names (${req.dims.join(", ")}) for a shape of rank ${req.shape.length}`,
    );
  }
  for (const [i, n] of req.shape.entries()) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ConversionError(
        `chunk recommendation: dimension '${req.dims[i]}' has length ${n}; expected a non-negative integer`,
      );
    }
  }
  if (!Number.isFinite(req.itemSize) || req.itemSize <= 0) {
    throw new ConversionError(`chunk recommendation: item size ${req.itemSize} is not positive`);
  }
  if (!Number.isFinite(req.targetChunkSizeMb) || req.targetChunkSizeMb <= 0) {
    throw new ConfigError(
      `target chunk size must be a positive number of MB, got ${req.targetChunkSizeMb}`,
      { hint: hint`e.g. ${opt("targetChunkSizeMb", 50)}` },
    );
  }
}

/** Three significant digits, without trailing zeros: 0.4, 12.5, 137. */
function formatMb(mb: number): string {
  return String(Number(mb.toPrecision(3)));
}

function sizeWarnings(
  pattern: AccessPattern,
  chunks: readonly number[],
  shape: readonly number[],
  chunkMb: number,
  targetMb: number,
  timeIndex: number,
): string[] {
  const warnings: string[] = [];
  if (targetMb < MIN_GOOD_MB || targetMb > MAX_GOOD_MB) {
    warnings.push(
      `target chunk size of ${formatMb(targetMb)} MB is outside the recommended ${MIN_GOOD_MB}–${MAX_GOOD_MB} MB`,
    );
  }
  // A chunk that already holds the whole array cannot grow: its smallness is the array's, not advice.
  const wholeArray = chunks.every((c, d) => c >= shape[d]);
  // Whole maps already: only a longer time chunk than the pattern's rule gives makes them bigger.
  const wholeMaps = chunks.every((c, d) => d === timeIndex || c >= shape[d]);
  if (chunkMb < MIN_GOOD_MB && !wholeArray) {
    const advice = wholeMaps
      ? message`each chunk already holds whole maps; give a longer time chunk by hand (${opt("chunking")} <time dim>:N)`
      : "raise the target chunk size";
    warnings.push(
      `${pattern} chunks of ${formatMb(chunkMb)} MB are below ${MIN_GOOD_MB} MB: many small reads and many objects in the store; ${advice}`,
    );
  } else if (chunkMb > MAX_GOOD_MB) {
    warnings.push(
      `${pattern} chunks of ${formatMb(chunkMb)} MB are above ${MAX_GOOD_MB} MB: every read fetches and decompresses more than it needs and each worker holds more memory; lower the target chunk size`,
    );
  }
  return warnings;
}

/** One chunk holding the whole array (length-0 dimensions get chunk 1, as zarr needs). */
function wholeArray(req: ChunkRecommendationRequest, timeIndex: number): ChunkRecommendation {
  const chunks = req.shape.map((n) => Math.max(1, n));
  const chunkBytes = chunks.reduce((a, b) => a * b, req.itemSize);
  const chunkMb = chunkBytes / MIB;
  return {
    pattern: req.pattern,
    chunks,
    chunkBytes,
    chunkMb,
    warnings: sizeWarnings(
      req.pattern,
      chunks,
      req.shape,
      chunkMb,
      req.targetChunkSizeMb,
      timeIndex,
    ),
  };
}

/** The chunk shape recommended for one access pattern. */
export function recommendChunks(req: ChunkRecommendationRequest): ChunkRecommendation {
  checkRequest(req);
  const { dims, shape, pattern } = req;
  const rule = RULES[pattern];
  const timeIndex = req.timeDim === undefined ? -1 : dims.indexOf(req.timeDim);
  const arrayBytes = shape.reduce((a, n) => a * n, req.itemSize);
  if (arrayBytes <= req.targetChunkSizeMb * MIB) return wholeArray(req, timeIndex);
  const targetElements = Math.floor((req.targetChunkSizeMb * MIB) / req.itemSize);
  const timeChunk = timeIndex < 0 ? 1 : timeChunkFor(pattern, shape[timeIndex]);
  const nSpatial = timeIndex < 0 ? dims.length : dims.length - 1;
  const spatialSeed = nSpatial === 0 ? 0 : integerRoot(targetElements / timeChunk, nSpatial);
  const spatialChunk = Math.max(rule.spatialMin, spatialSeed);

  const chunks = shape.map((n, d) =>
    d === timeIndex ? timeChunk : Math.max(1, Math.min(spatialChunk, n)),
  );
  const chunkBytes = chunks.reduce((a, b) => a * b, req.itemSize);
  const chunkMb = chunkBytes / MIB;
  return {
    pattern,
    chunks,
    chunkBytes,
    chunkMb,
    warnings: sizeWarnings(pattern, chunks, shape, chunkMb, req.targetChunkSizeMb, timeIndex),
  };
}

/** The recommendation for every access pattern, for `analyze`. */
export function recommendAll(
  req: Omit<ChunkRecommendationRequest, "pattern">,
): Record<AccessPattern, ChunkRecommendation> {
  return {
    temporal: recommendChunks({ ...req, pattern: "temporal" }),
    spatial: recommendChunks({ ...req, pattern: "spatial" }),
    balanced: recommendChunks({ ...req, pattern: "balanced" }),
  };
}

/**
 * The recommendation for one array with the dimensions the user chunked by hand kept as asked
 * (capped by the dimension's length): what convert and create-template use.
 */
export function chunksWithOverrides(
  req: ChunkRecommendationRequest,
  byDim: Readonly<Record<string, number>>,
): ChunkRecommendation {
  const rec = recommendChunks(req);
  const chunks = rec.chunks.map((c, d) => {
    const asked = byDim[req.dims[d]];
    return asked === undefined ? c : Math.max(1, Math.min(asked, Math.max(1, req.shape[d])));
  });
  return { ...rec, chunks };
}
