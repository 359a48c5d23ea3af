/**
 * The readable analyze report: one section per part of the report, tables aligned in plain
 * text. `--json` prints the report itself instead; nothing here adds information to it.
 */
import { ACCESS_PATTERNS } from "../plan/chunking.js";
import { SHARD_TARGET_MB } from "../plan/shard-advice.js";
import { formatBytes, formatNumber } from "./format.js";
import type { AnalyzeReport } from "./report.js";

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

function ms(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(2);
}

/** What the shard columns mean, or why there are none. */
function shardNote(r: AnalyzeReport): string[] {
  if (r.zarrFormat !== 3) {
    return [
      "  shards: none proposed: sharding needs Zarr v3, and this analysis is for Zarr v2",
      "  (zarr_format: 3 in the config, or ZARRIFY_ZARR_FORMAT=3, shows the shards shards: auto would give)",
    ];
  }
  return [
    `  shards (auto): what shards: auto (Zarr v3) lays over these chunks: whole chunks, across space first, then`,
    `  along time, to about ${SHARD_TARGET_MB} MB uncompressed; one object per shard instead of one per chunk, and each`,
    "  writer holds a whole shard in memory (docs/analyze.md#shards)",
  ];
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
    const sharded = ACCESS_PATTERNS.some((p) => a.patterns[p].sharding);
    const head = ["pattern", "chunks", "chunk MB", "chunks total"];
    if (sharded) head.push("shards (auto)", "shard MB", "shards total");
    if (withEstimate) head.push("time series: chunks (MB)", "map: chunks (MB)");
    if (withEstimate && sharded) head.push("shards read: series, map");
    const prow = [head];
    for (const p of ACCESS_PATTERNS) {
      const pa = a.patterns[p];
      const row = [p, chunkText(pa.chunks), formatNumber(pa.chunkMb), String(pa.totalChunks)];
      const sh = pa.sharding;
      if (sh) {
        row.push(
          sh.shards ? chunkText(sh.shards) : "none",
          sh.shards ? formatNumber(sh.shardMb) : "-",
          sh.shards ? String(sh.totalShards) : "-",
        );
      }
      if (pa.estimate) {
        const ts = pa.estimate.timeSeries;
        row.push(
          ts ? `${ts.chunks} (${formatNumber(ts.mb)})` : "-",
          `${pa.estimate.map.chunks} (${formatNumber(pa.estimate.map.mb)})`,
        );
      }
      if (sh?.estimate) {
        row.push(
          sh.shards ? `${sh.estimate.timeSeries ?? "-"}, ${sh.estimate.map}` : "- (unsharded)",
        );
      }
      prow.push(row);
    }
    lines.push(...table(prow, "    "));
    for (const p of ACCESS_PATTERNS) {
      for (const w of a.patterns[p].warnings) lines.push(`    warning: ${w}`);
    }
  }
  if (r.recommendations.length > 0) lines.push(...shardNote(r));

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
