/**
 * Compression advice: how compressed the source is, and how the configured codec and a few
 * alternatives (and int16 packing first, when packing is possible) compress one slab of the
 * largest data variable. The slab is at most 4 MB of whole maps around the middle time step, so
 * the trials cost one small read whatever the file's size.
 */
import type { ZarrifyConfig } from "../config/schema.js";
import { type Dataset, DTYPE_SIZE, type NumericArray, type Variable } from "../dataset/types.js";
import { DEFAULT_COMPRESSION } from "../plan/new-archive.js";
import { outputChunks } from "../plan/output-chunks.js";
import { packValues } from "../plan/packing.js";
import { missingValues } from "../plan/packing-plan.js";
import { product } from "../util/shape.js";
import { numericToBytes } from "../zarr/codecs/bytes.js";
import { compressBytes } from "../zarr/codecs/registry.js";
import { formatCompression, parseCompression } from "../zarr/compression.js";
import { formatBytes, formatNumber, sig } from "./format.js";
import { paramsOf } from "./packing.js";
import type { AnalyzeReport, CompressionAdvice } from "./report.js";
import { MIB } from "./sizes.js";

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

export async function adviseOnCompression(
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
