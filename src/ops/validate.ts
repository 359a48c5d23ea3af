/**
 * `validate`: what an archive holds, and which time steps are not written yet. Reads every chunk
 * of the time-dependent arrays once (absent chunks are not even fetched beyond a miss), so it
 * costs one pass over the archive; memory is one chunk at a time.
 *
 * A step is written when a completed write recorded it (`.zarrify/written/`, the marker every
 * zarrify write puts last, after its data) and the data backs the record: every chunk of every
 * time-dependent array at that step exists. Values cannot tell: a never-written cell of an array
 * without a fill value reads like data, and a satellite day with no data is written but all
 * missing. So the report keeps apart:
 *   missing   not written: never, or only partly (data without a record: a writer died or is
 *             still running), or recorded but chunks are gone (damaged);
 *   empty     written, but every value of every time-dependent array is missing there.
 * Archives without any record (made by other tools, or by zarrify before 0.2) are judged by data
 * presence alone, and the report says so (`basis: "data"`).
 */
import { formatDate } from "../dataset/cftime/date.js";
import type { DataArray } from "../dataset/types.js";
import { InputError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import { readTemplateInfo, readWrittenRuns } from "../region/state.js";
import { timeAxisOf } from "../region/time-axis.js";
import { archiveForm, isMissingValue } from "../region/values.js";
import { type ArchiveMetadata, detectFormat, readArchiveMetadata } from "../zarr/archive.js";
import { decodeChunk } from "../zarr/array.js";
import { type ArrayMeta, arrayChunkKey, storedChunk } from "../zarr/metadata.js";
import { strides } from "../zarr/nd.js";
import { type ChunkPart, forEachChunkIn, readBox } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import { archiveStore } from "./archive-store.js";

/**
 * Readers that do not use the consolidated metadata (zarr-python opening one array, and zarrify's
 * own append, which re-reads the hierarchy) read each array's own document: one that does not
 * parse, or is gone, leaves an archive that opens in xarray but breaks there.
 */
async function checkOwnDocuments(store: Store, md: ArchiveMetadata, archive: string) {
  const own = await readArchiveMetadata(store, { consolidated: false });
  for (const path of md.arrays.keys()) {
    if (own.arrays.has(path)) continue;
    const doc = md.format === 2 ? ".zarray" : "zarr.json";
    throw new InputError(
      `${archive}: array '${path}' is in the consolidated metadata, but its own ${doc} is missing or not an array's`,
      {
        path: archive,
        hint: "the archive is damaged: restore the file from a copy, or recreate the archive",
      },
    );
  }
}

export interface StepRange {
  /** Archive step indexes [start, stop). */
  start: number;
  stop: number;
  first: string;
  last: string;
}

export interface VariableReport {
  name: string;
  dims: string[];
  dtype: string;
  shape: number[];
  /** Over all non-missing values, unpacked; null when there is none. */
  min: number | null;
  max: number | null;
  /** Steps at which this variable has no value at all. */
  stepsWithoutData: number;
  /** Stored objects: chunks, or shards when the array is sharded. */
  chunksPresent: number;
  chunksTotal: number;
  /** Chunk shape, and the shard shape when the array is sharded (chunksPresent counts shards). */
  chunks: number[];
  shards?: number[];
}

export interface ValidateReport {
  archive: string;
  zarrFormat: 2 | 3;
  /** Made by create-template. */
  template: boolean;
  /**
   * What "written" rests on: zarrify's records of completed writes, checked against the chunks
   * ("records"), or, for archives without records, whether any value is present ("data").
   */
  basis: "records" | "data";
  timeDim: string | null;
  start: string | null;
  end: string | null;
  steps: number;
  freq: string | null;
  variables: VariableReport[];
  /** Steps not (completely) written: never, partly, or recorded but with chunks gone. */
  missingSteps: number;
  missing: StepRange[];
  /** Of `missing`: steps holding data that no completed write recorded (a writer died or runs). */
  partial: StepRange[];
  /** Of `missing`: steps a write recorded whose chunks are gone. */
  damaged: StepRange[];
  /** Written steps at which every value of every time-dependent variable is missing. */
  emptySteps: number;
  empty: StepRange[];
  complete: boolean;
}

export interface ValidateOptions {
  logger?: Logger;
  store?: Store;
}

function findTime(
  md: ArchiveMetadata,
  timeDim?: string,
): { dim: string; meta: ArrayMeta } | undefined {
  for (const [name, meta] of md.arrays) {
    if (meta.dimensionNames.length !== 1 || meta.dimensionNames[0] !== name) continue;
    if (
      timeDim !== undefined ? name === timeDim : /\bsince\b/.test(String(meta.attrs.units ?? ""))
    ) {
      return { dim: name, meta };
    }
  }
  return undefined;
}

/** Scans one array chunk by chunk: which steps have data, and the value range. */
async function scanArray(
  store: Store,
  meta: ArrayMeta,
  timeAxis: number,
  hasData: Uint8Array,
  absent: Uint8Array,
): Promise<Pick<VariableReport, "min" | "max" | "chunksPresent" | "chunksTotal">> {
  const form = archiveForm(meta);
  const cell = storedChunk(meta);
  const inner = strides(cell);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let present = 0;
  const numeric = meta.dtype !== "string" && meta.dtype !== "char";
  // What a never-written cell of a v3 array reads as (netCDF's default fill for integers without
  // _FillValue): no value, for the data check and for min/max, though xarray does not mask it.
  const unwritten =
    meta.zarrFormat === 3 &&
    (typeof meta.fillValue === "number" || typeof meta.fillValue === "bigint")
      ? Number(meta.fillValue)
      : undefined;
  // Every chunk of the array, with the part of it inside the array (edge chunks are padded).
  const parts: ChunkPart[] = [];
  forEachChunkIn(
    cell,
    meta.shape.map(() => 0),
    meta.shape,
    (p) => parts.push(p),
  );
  const total = parts.length;
  const BATCH = 8;
  for (let b = 0; b < parts.length; b += BATCH) {
    const batch = parts.slice(b, b + BATCH);
    const raws = await Promise.all(batch.map((p) => store.get(arrayChunkKey(meta, p.index))));
    batch.forEach(({ index, count: extent }, j) => {
      const raw = raws[j];
      const t0 = timeAxis < 0 ? 0 : index[timeAxis] * cell[timeAxis];
      if (raw === undefined) {
        if (timeAxis >= 0) absent.fill(1, t0, t0 + extent[timeAxis]);
        return;
      }
      present++;
      const data: DataArray = decodeChunk(meta, raw);
      const pos = extent.map(() => 0);
      const n = extent.reduce((a, c) => a * c, 1);
      for (let e = 0; e < n; e++) {
        let flat = 0;
        for (let d = 0; d < pos.length; d++) flat += pos[d] * inner[d];
        const v = data[flat];
        let valid: boolean;
        if (!numeric) valid = v !== "" && v !== 0;
        else {
          const x = Number(v);
          valid = !isMissingValue(x, form.fill) && x !== unwritten;
          if (valid) {
            const phys = x * form.scale + form.offset;
            if (phys < min) min = phys;
            if (phys > max) max = phys;
          }
        }
        if (valid && timeAxis >= 0) hasData[t0 + pos[timeAxis]] = 1;
        for (let d = pos.length - 1; d >= 0; d--) {
          if (++pos[d] < extent[d]) break;
          pos[d] = 0;
        }
      }
    });
  }
  return {
    min: Number.isFinite(min) ? min : null,
    max: Number.isFinite(max) ? max : null,
    chunksPresent: present,
    chunksTotal: total,
  };
}

function ranges(mask: Uint8Array, dateOf: (i: number) => string): StepRange[] {
  const out: StepRange[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    let j = i;
    while (j + 1 < mask.length && mask[j + 1]) j++;
    out.push({ start: i, stop: j + 1, first: dateOf(i), last: dateOf(j) });
    i = j;
  }
  return out;
}

export async function validateArchive(
  archive: string,
  options: ValidateOptions = {},
): Promise<ValidateReport> {
  const logger = options.logger ?? silentLogger;
  // A local path or s3://; a caller that passes its own store names the archive as it likes.
  const store = options.store ?? archiveStore(archive, { objectStores: true });
  const format = await detectFormat(store);
  if (format === undefined) {
    throw new InputError(`${archive}: not a Zarr archive (no zarr.json or .zgroup)`, {
      path: archive,
      hint: "check the path; validate takes the archive directory",
    });
  }
  const md = await readArchiveMetadata(store);
  if (md.consolidated) await checkOwnDocuments(store, md, archive);
  const info = await readTemplateInfo(store, archive);
  const time = findTime(md, info?.timeDim);
  let dates: string[] = [];
  if (time) {
    const values = await readBox(store, time.meta, [0], [time.meta.shape[0]]);
    try {
      dates = timeAxisOf(values, time.meta.attrs, `${archive}: '${time.dim}'`).dates.map(
        formatDate,
      );
    } catch {
      dates = Array.from(values as ArrayLike<number>, (v) => String(v));
    }
  }
  const steps = time ? time.meta.shape[0] : 0;
  const anyData = new Uint8Array(steps);
  const absent = new Uint8Array(steps);
  const variables: VariableReport[] = [];
  for (const [name, meta] of md.arrays) {
    if (time && name === time.dim) continue;
    const timeAxis = time ? meta.dimensionNames.indexOf(time.dim) : -1;
    logger.info(`validate: scanning ${name}`);
    const has = new Uint8Array(steps);
    const scan = await scanArray(store, meta, timeAxis, has, absent);
    let without = 0;
    if (timeAxis >= 0) {
      for (let i = 0; i < steps; i++) {
        if (has[i]) anyData[i] = 1;
        else without++;
      }
    }
    variables.push({
      name,
      dims: meta.dimensionNames,
      dtype: meta.dtype,
      shape: meta.shape,
      ...scan,
      stepsWithoutData: without,
      chunks: meta.chunks,
      ...(meta.shards ? { shards: meta.shards } : {}),
    });
  }
  const timeDependent = variables.some((v) => time && v.dims.includes(time.dim));
  const written = await readWrittenRuns(store, time?.dim);
  const basis = info !== undefined || written.markers > 0 ? "records" : "data";
  const recorded = new Uint8Array(steps);
  for (const [a, b] of written.runs) recorded.fill(1, Math.max(0, a), Math.min(steps, b));
  const masks = {
    missing: new Uint8Array(steps),
    partial: new Uint8Array(steps),
    damaged: new Uint8Array(steps),
    empty: new Uint8Array(steps),
  };
  if (timeDependent) {
    for (let i = 0; i < steps; i++) {
      const isWritten =
        basis === "records" ? recorded[i] === 1 && absent[i] === 0 : anyData[i] === 1;
      if (!isWritten) {
        masks.missing[i] = 1;
        if (basis === "records" && recorded[i]) masks.damaged[i] = 1;
        else if (basis === "records" && anyData[i]) masks.partial[i] = 1;
      } else if (!anyData[i]) masks.empty[i] = 1;
    }
  }
  const count = (m: Uint8Array) => m.reduce((a, x) => a + x, 0);
  const dateOf = (i: number) => dates[i] ?? String(i);
  const missingSteps = count(masks.missing);
  if (basis === "data" && timeDependent) {
    logger.info(
      "validate: no zarrify write records in this archive; steps are judged by whether any value is present",
    );
  }
  return {
    archive,
    zarrFormat: format,
    template: info !== undefined,
    basis,
    timeDim: time?.dim ?? null,
    start: dates[0] ?? null,
    end: dates[dates.length - 1] ?? null,
    steps,
    freq: info?.freq ?? null,
    variables,
    missingSteps,
    missing: ranges(masks.missing, dateOf),
    partial: ranges(masks.partial, dateOf),
    damaged: ranges(masks.damaged, dateOf),
    emptySteps: count(masks.empty),
    empty: ranges(masks.empty, dateOf),
    complete: missingSteps === 0,
  };
}

function fmt(v: number | null): string {
  if (v === null) return "-";
  return Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toFixed(3);
}

/** The human-readable report. */
export function formatValidateReport(r: ValidateReport, maxRanges = 20): string {
  const lines = [
    `archive:   ${r.archive} (Zarr v${r.zarrFormat}${r.template ? ", zarrify template" : ""})`,
  ];
  if (r.timeDim) {
    lines.push(
      `time:      ${r.start} .. ${r.end}, ${r.steps} steps along '${r.timeDim}'${r.freq ? ` (${r.freq})` : ""}`,
    );
  } else {
    lines.push("time:      no time coordinate found");
  }
  lines.push("variables:");
  const width = Math.max(...r.variables.map((v) => v.name.length), 4);
  for (const v of r.variables) {
    const missing = v.stepsWithoutData > 0 ? `, ${v.stepsWithoutData} steps without data` : "";
    lines.push(
      `  ${v.name.padEnd(width)}  (${v.dims.join(", ")}) ${v.dtype}  min=${fmt(v.min)} max=${fmt(v.max)}  ${v.shards ? "shards" : "chunks"} ${v.chunksPresent}/${v.chunksTotal}${missing}`,
    );
  }
  const listRanges = (rs: StepRange[]) => {
    for (const m of rs.slice(0, maxRanges)) {
      const n = m.stop - m.start;
      lines.push(
        n === 1
          ? `  ${m.first} (step ${m.start})`
          : `  ${m.first} .. ${m.last} (${n} steps, ${m.start}..${m.stop - 1})`,
      );
    }
    if (rs.length > maxRanges) {
      lines.push(`  ... and ${rs.length - maxRanges} more ranges (--json lists all)`);
    }
  };
  if (r.basis === "data" && r.timeDim) {
    lines.push(
      "note:      no zarrify write records here; a step counts as written when any value is present",
    );
  }
  if (r.emptySteps > 0) {
    lines.push(`written but empty: ${r.emptySteps} steps hold only missing values:`);
    listRanges(r.empty);
  }
  if (r.missingSteps === 0) {
    lines.push(
      r.timeDim ? `complete:  every one of the ${r.steps} steps is written` : "complete:  yes",
    );
  } else {
    lines.push(`INCOMPLETE: ${r.missingSteps} of ${r.steps} steps are not written:`);
    listRanges(r.missing);
    const partial = r.partial.reduce((a, m) => a + m.stop - m.start, 0);
    const damaged = r.damaged.reduce((a, m) => a + m.stop - m.start, 0);
    if (partial > 0) {
      lines.push(
        `  of these, ${partial} hold data that no completed write recorded (a writer died or is still running): re-run their write-region`,
      );
    }
    if (damaged > 0) {
      lines.push(
        `  of these, ${damaged} were recorded as written but chunks are gone: re-run the write-region of their files`,
      );
    }
  }
  return lines.join("\n");
}
