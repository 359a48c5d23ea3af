/**
 * One unit of engine work: read a block of the source, cut it into output chunks, encode and store
 * each. Runs the same way inline and inside a worker thread.
 */
import type { DataArray, Variable } from "../dataset/types.js";
import { ConversionError } from "../errors.js";
import { hint, opt } from "../hint.js";
import type { Block } from "../plan/blocks.js";
import { packValues } from "../plan/packing.js";
import type { ArrayPlan } from "../plan/write-plan.js";
import { cIndices, product } from "../util/shape.js";
import { extractBox } from "./box.js";

export interface BlockResult {
  chunks: number;
  bytesRead: number;
  bytesWritten: number;
  /** Values outside a packed variable's range (clipped to it). */
  outOfRange: number;
}

/** Where encoded chunks go: the Zarr store, through the array's codecs. */
export interface ChunkSink {
  /** Encode `data` (shape `dataShape`, possibly a partial edge chunk) and store it; returns bytes stored. */
  put(
    array: ArrayPlan,
    chunkCoords: number[],
    data: DataArray,
    dataShape: number[],
  ): Promise<number>;
}

function byteLength(data: DataArray): number {
  return Array.isArray(data) ? data.reduce((n, s) => n + s.length, 0) : data.byteLength;
}

export async function writeBlock(
  variable: Variable,
  array: ArrayPlan,
  block: Block,
  sink: ChunkSink,
): Promise<BlockResult> {
  const raw = await variable.read(block.start, block.count);
  const { data, outOfRange } = array.packing ? pack(raw, array) : { data: raw, outOfRange: 0 };
  const first = block.start.map((s, d) => s / array.chunks[d]);
  const perDim = block.count.map((n, d) => Math.ceil(n / array.chunks[d]));
  const total = product(perDim);
  let bytesWritten = 0;
  for (const index of cIndices(perDim)) {
    const relStart = index.map((i, d) => i * array.chunks[d]);
    const count = relStart.map((s, d) => Math.min(array.chunks[d], block.count[d] - s));
    const whole = total === 1;
    const piece = whole ? data : extractBox(data, block.count, relStart, count);
    bytesWritten += await sink.put(
      array,
      index.map((i, d) => first[d] + i),
      piece,
      whole ? [...block.count] : count,
    );
  }
  return { chunks: total, bytesRead: byteLength(raw), bytesWritten, outOfRange };
}

function pack(raw: DataArray, array: ArrayPlan): { data: DataArray; outOfRange: number } {
  const packing = array.packing;
  if (!packing || !(raw instanceof Float32Array || raw instanceof Float64Array)) {
    throw new ConversionError(`variable '${array.source}': only float data can be packed`);
  }
  const r = packValues(raw, packing.params, undefined, { missing: packing.missing });
  const outOfRange = r.belowMin + r.aboveMax;
  if (outOfRange > 0 && packing.onExceeded === "error") {
    const { min, max } = packing.params;
    throw new ConversionError(
      `variable '${array.source}': ${outOfRange} value(s) outside the packing range [${min}, ${max}] (from ${packing.rangeSource === "data" ? "the data" : packing.rangeSource === "manual" ? "packing.manualRanges" : "its valid_min/valid_max"})`,
      {
        hint: hint`widen the range with ${opt("packing.manualRanges")}, or set ${opt("packing.rangeExceededAction", "warn")} to clip them`,
      },
    );
  }
  return { data: r.packed, outOfRange };
}
