/**
 * Packing decisions that need I/O: a variable without a manual or declared range has its data
 * scanned for min/max (one extra read pass over that variable, block by block), then its
 * ArrayPlan becomes the packed one.
 */
import type { ZarrifyConfig } from "../config/schema.js";
import type { Dataset, Variable } from "../dataset/types.js";
import { DTYPE_SIZE } from "../dataset/types.js";
import { InputError } from "../errors.js";
import { hint, opt } from "../hint.js";
import type { Logger } from "../log.js";
import { planBlocks } from "../plan/blocks.js";
import { dataRange } from "../plan/packing.js";
import {
  declaredRange,
  missingValues,
  packArray,
  packableVariables,
  packingFor,
} from "../plan/packing-plan.js";
import type { WritePlan } from "../plan/write-plan.js";

const SCAN_BLOCK_BYTES = 64 * 1024 * 1024;

export async function scanRange(v: Variable): Promise<{ min: number; max: number } | undefined> {
  const blocks = planBlocks({
    shape: v.shape,
    chunks: v.sourceChunks ?? v.shape.map((n) => Math.max(1, n)),
    itemSize: DTYPE_SIZE[v.dtype],
    sourceChunks: v.sourceChunks,
    maxBlockBytes: SCAN_BLOCK_BYTES,
  });
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const missing = missingValues(v);
  for (const b of blocks) {
    const data = await v.read(b.start, b.count);
    if (!(data instanceof Float32Array || data instanceof Float64Array)) return undefined;
    const r = dataRange(data, { missing });
    if (r) {
      min = Math.min(min, r.min);
      max = Math.max(max, r.max);
    }
  }
  return Number.isFinite(min) ? { min, max } : undefined;
}

/**
 * Widens `ranges` by the data range of every variable of `ds` to pack that has no declared range:
 * multi-file convert scans every file, since a range from the first alone would clip the others.
 */
export async function widenScannedRanges(
  ds: Dataset,
  config: ZarrifyConfig,
  ranges: Record<string, { min: number; max: number }>,
): Promise<void> {
  for (const v of packableVariables(ds, ds.variables, config.packing)) {
    if (declaredRange(v, config.packing)) continue;
    const r = await scanRange(v);
    if (!r) continue;
    const seen = ranges[v.name];
    ranges[v.name] = seen ? { min: Math.min(seen.min, r.min), max: Math.max(seen.max, r.max) } : r;
  }
}

/**
 * Replaces the plans of packable variables with packed ones. `regionArchive`: the range computed
 * here from one file will be fixed for files not seen yet, which is worth a warning.
 */
export async function packPlan(
  ds: Dataset,
  plan: WritePlan,
  config: ZarrifyConfig,
  logger: Logger,
  regionArchive = false,
  /** Data ranges already known (multi-file convert scans every file), by variable name. */
  known: Record<string, { min: number; max: number }> = {},
): Promise<WritePlan> {
  const packable = packableVariables(
    ds,
    ds.variables.filter((v) => plan.arrays.some((a) => a.source === v.name)),
    config.packing,
  );
  const byName = new Map(packable.map((v) => [v.name, v]));
  for (const name of Object.keys(config.packing.manualRanges)) {
    if (!byName.has(name) && !plan.arrays.some((a) => a.source === name)) {
      logger.warn(`packing.manualRanges names '${name}', which is not a variable written here`);
    }
  }
  const arrays = [];
  for (const array of plan.arrays) {
    const v = byName.get(array.source);
    if (!v) {
      arrays.push(array);
      continue;
    }
    let range = declaredRange(v, config.packing);
    if (!range) {
      const scanned = known[v.name] ?? (await scanRange(v));
      if (!scanned) {
        logger.warn(`packing: '${v.name}' holds no valid value; left unpacked`);
        arrays.push(array);
        continue;
      }
      range = { ...scanned, source: "data" };
      if (regionArchive) {
        logger.warn(
          `packing: '${v.name}' packs into [${scanned.min}, ${scanned.max}] (+${config.packing.autoBufferFactor * 100}%) computed from ${ds.path} alone; files written later with values outside it are clipped — give the range with packing.manualRanges or valid_min/valid_max`,
        );
      }
    }
    let packing: ReturnType<typeof packingFor>;
    try {
      packing = packingFor(v, config.packing, range);
    } catch (err) {
      throw new InputError(`${ds.path}: cannot pack '${v.name}': ${(err as Error).message}`, {
        path: ds.path,
        hint: hint`exclude it with ${opt("packing.exclude", [v.name])}, or give a range with ${opt("packing.manualRanges", { [v.name]: { min: 0, max: 1 } })}`,
      });
    }
    const p = packing.params;
    logger.info(
      `packing: ${v.name} ${v.dtype} → ${p.dtype}, range [${p.min}, ${p.max}] from ${range.source}, scale ${p.scaleFactor}`,
    );
    arrays.push(packArray(array, packing, v.dtype));
  }
  return { ...plan, arrays };
}

/** Warn about, or ignore, values that were clipped to their packing range. */
export function reportOutOfRange(
  outOfRange: Record<string, number>,
  plan: WritePlan,
  logger: Logger,
): void {
  for (const [name, count] of Object.entries(outOfRange)) {
    const packing = plan.arrays.find((a) => a.name === name)?.packing;
    if (packing?.onExceeded !== "warn") continue;
    logger.warn(
      `packing: ${count} value(s) of '${name}' were outside [${packing.params.min}, ${packing.params.max}] and were clipped to it`,
    );
  }
}
