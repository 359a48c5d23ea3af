/**
 * Output chunk shapes. The user names chunk lengths per dimension name; every other dimension
 * keeps its whole length, and a chunk that would still exceed the target size is cut along the
 * time dimension first, then the outermost dimensions, so one chunk is never a giant allocation.
 */

export interface ChunkRequest {
  dims: readonly string[];
  shape: readonly number[];
  itemSize: number;
  /** User chunk lengths by dimension name (may name dims this variable does not have). */
  byDim: Readonly<Record<string, number>>;
  targetBytes: number;
  /** Cut along this dimension first (the time dimension: series are read whole in space). */
  cutFirst?: string;
  /** The last dimension is a string length (NetCDF char arrays): never cut it. */
  wholeLastDim?: boolean;
}

/**
 * A char array's string-length dimension holds the characters of one string: Zarr v3 stores each
 * string as one element (null_terminated_bytes), so its chunk is always the whole length.
 */
export function keepStringsWhole(
  foldChars: boolean | undefined,
  shape: readonly number[],
  chunks: number[],
): number[] {
  if (foldChars && shape.length > 0) {
    chunks[shape.length - 1] = Math.max(1, shape[shape.length - 1]);
  }
  return chunks;
}

export function outputChunks(req: ChunkRequest): number[] {
  const chunks = req.dims.map((dim, i) => {
    const length = req.shape[i];
    const asked = req.byDim[dim];
    // Zarr needs a chunk length >= 1 even for an empty (length-0) dimension.
    return Math.max(1, Math.min(asked ?? length, length));
  });
  const last = req.dims.length - 1;
  if (req.wholeLastDim && last >= 0) chunks[last] = Math.max(1, req.shape[last]);
  const fixed = req.dims.map(
    (dim, d) => req.byDim[dim] !== undefined || (req.wholeLastDim === true && d === last),
  );
  const bytes = () => chunks.reduce((a, b) => a * b, req.itemSize);
  const first = req.cutFirst === undefined ? -1 : req.dims.indexOf(req.cutFirst);
  const order =
    first < 0
      ? req.dims.map((_, d) => d)
      : [first, ...req.dims.map((_, d) => d).filter((d) => d !== first)];
  for (const d of order) {
    if (bytes() <= req.targetBytes) break;
    if (fixed[d]) continue;
    const rest = bytes() / chunks[d];
    chunks[d] = Math.max(1, Math.floor(req.targetBytes / rest));
  }
  return chunks;
}
