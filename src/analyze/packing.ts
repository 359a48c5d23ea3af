/**
 * Packing advice: for each float data variable, the range its values span and what 8- and 16-bit
 * packing of that range saves, with the step it costs. The range comes from the config or the
 * variable's attributes when they give one, else from its data: read whole up to a budget,
 * beyond it sampled in evenly spaced source-chunk-aligned runs along the time dimension (the
 * first dimension when there is none).
 */
import type { PackingConfig } from "../config/schema.js";
import { type Dataset, DTYPE_SIZE, type Variable } from "../dataset/types.js";
import { ConfigError } from "../errors.js";
import { planBlocks } from "../plan/blocks.js";
import {
  dataRange,
  PACKED_FILL,
  type PackingParams,
  packedMax,
  widenRange,
} from "../plan/packing.js";
import {
  declaredRange,
  missingValues,
  packableVariables,
  packingFor,
} from "../plan/packing-plan.js";
import { product } from "../util/shape.js";
import type { PackingAdvice, PackingOption } from "./report.js";
import { bytesOf, MIB } from "./sizes.js";

/**
 * Min/max of a whole variable. The op passes the scan a conversion packs with
 * (ops/packing.ts), so a range from the data is the range convert would find.
 */
export type RangeScan = (v: Variable) => Promise<{ min: number; max: number } | undefined>;

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
  scanWhole: RangeScan,
): Promise<Pick<PackingAdvice, "range" | "rangeSource" | "sampled">> {
  const declared = declaredRange(v, config);
  if (declared) {
    return { range: { min: declared.min, max: declared.max }, rangeSource: declared.source };
  }
  if (bytesOf(v) <= scanBytes) {
    const range = (await scanWhole(v)) ?? null;
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

export async function adviseOnPacking(
  ds: Dataset,
  config: PackingConfig,
  timeDim: string | undefined,
  scanBytes: number,
  scanWhole: RangeScan,
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
      Object.assign(advice, await findRange(v, enabled, timeDim, scanBytes, scanWhole));
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
export function paramsOf(o: PackingOption): PackingParams {
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
