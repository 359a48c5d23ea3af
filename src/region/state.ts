/**
 * zarrify's own bookkeeping inside an archive, under the hidden ".zarrify/" prefix that zarr
 * readers never look at:
 *
 *   .zarrify/template.json            written once by create-template: what makes an archive a
 *                                     template (time axis, the arrays regions are written into)
 *   .zarrify/written/<id>.json        one per input file whose write completed (write-region,
 *                                     append, convert), written last, after the data: the
 *                                     durable record of which steps hold written data, which
 *                                     `validate` trusts and `run --resume` skips by
 *
 * Each is a single atomic put, so concurrent writers never contend for them.
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { RegionError } from "../errors.js";
import { hint, verb } from "../hint.js";
import { isRemoteInput } from "../location.js";
import { readIdentity } from "../readers/identity.js";
import { jsonBytes } from "../zarr/archive.js";
import { type Json, parseJson } from "../zarr/json.js";
import type { Store } from "../zarr/store/types.js";

export const TEMPLATE_KEY = ".zarrify/template.json";
const WRITTEN_PREFIX = ".zarrify/written/";

export interface TemplateInfo {
  kind: "zarrify-template";
  version: 1;
  /** The dimension regions are placed along. */
  timeDim: string;
  /** The coordinate variable holding its values (written by the template, never by regions). */
  timeVariable: string;
  units: string;
  calendar: string;
  freq: string;
  start: string;
  end: string;
  steps: number;
  /** Arrays with the time dimension, written by write-region. */
  regionArrays: string[];
  /** zarrify version that created the template. */
  createdBy: string;
  created: string;
}

export interface WrittenMarker {
  /** The absolute path, or a remote input's URL. */
  input: string;
  size: number;
  /** A local file's modification time; a URL's Last-Modified as a time (0 without one). */
  mtimeMs: number;
  /** A remote input's version (`run --resume` compares the ETag, else Last-Modified). */
  etag?: string;
  lastModified?: string;
  /** [start, stop) runs along the time dimension. */
  runs: [number, number][];
  /** That dimension (absent in markers of zarrify 0.1, which only region writes made). */
  dim?: string;
  written: string;
}

const decoder = new TextDecoder();

function encode(doc: object): Uint8Array {
  return jsonBytes(doc as unknown as Json, 2);
}

export async function writeTemplateInfo(store: Store, info: TemplateInfo): Promise<void> {
  await store.set(TEMPLATE_KEY, encode(info));
}

export async function readTemplateInfo(
  store: Store,
  archive: string,
): Promise<TemplateInfo | undefined> {
  const bytes = await store.get(TEMPLATE_KEY);
  if (bytes === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parseJson(decoder.decode(bytes));
  } catch (err) {
    throw new RegionError(`${archive}: ${TEMPLATE_KEY} is not valid JSON`, {
      cause: err,
      hint: hint`the archive's template record is damaged; recreate it with ${verb("create-template")}`,
    });
  }
  const info = doc as Partial<TemplateInfo> | null;
  if (
    info === null ||
    typeof info !== "object" ||
    info.kind !== "zarrify-template" ||
    typeof info.timeDim !== "string" ||
    typeof info.timeVariable !== "string" ||
    typeof info.steps !== "number" ||
    !Array.isArray(info.regionArrays)
  ) {
    throw new RegionError(`${archive}: ${TEMPLATE_KEY} is not a zarrify template record`, {
      hint: hint`recreate the archive with ${verb("create-template")}`,
    });
  }
  if (info.version !== 1) {
    throw new RegionError(
      `${archive}: template record version ${String(info.version)} is not one this zarrify reads (1)`,
      {
        hint: `the template was made by zarrify ${String(info.createdBy)}; use that version or newer`,
      },
    );
  }
  return info as TemplateInfo;
}

/**
 * The key of an input's document under `prefix`: absolute input paths (URLs as written) name it,
 * so a file always finds its own.
 */
export function inputDocumentKey(prefix: string, absoluteInput: string): string {
  return `${prefix}${createHash("sha256").update(absoluteInput).digest("hex").slice(0, 32)}.json`;
}

export function markerKey(absoluteInput: string): string {
  return inputDocumentKey(WRITTEN_PREFIX, absoluteInput);
}

export async function writeMarker(store: Store, marker: WrittenMarker): Promise<void> {
  await store.set(markerKey(marker.input), encode(marker));
}

/** Records that `input`'s write of `runs` completed: call it after the last data chunk. */
export async function recordWritten(
  store: Store,
  input: string,
  dim: string,
  runs: [number, number][],
): Promise<void> {
  const absolute = isRemoteInput(input) ? input : resolve(input);
  const id = await readIdentity(absolute);
  const lastModified = id.lastModified === undefined ? Number.NaN : Date.parse(id.lastModified);
  await writeMarker(store, {
    input: absolute,
    size: id.size,
    mtimeMs: id.mtimeMs ?? (Number.isFinite(lastModified) ? lastModified : 0),
    ...(id.etag !== undefined ? { etag: id.etag } : {}),
    ...(id.lastModified !== undefined ? { lastModified: id.lastModified } : {}),
    runs,
    dim,
    written: new Date().toISOString(),
  });
}

export async function readMarker(
  store: Store,
  absoluteInput: string,
): Promise<WrittenMarker | undefined> {
  const bytes = await store.get(markerKey(absoluteInput));
  if (bytes === undefined) return undefined;
  // A damaged or foreign marker only means the file is written again.
  let doc: Partial<WrittenMarker> | null;
  try {
    doc = parseJson(decoder.decode(bytes)) as Partial<WrittenMarker> | null;
  } catch {
    return undefined;
  }
  const ok =
    doc !== null &&
    typeof doc === "object" &&
    doc.input === absoluteInput &&
    typeof doc.size === "number" &&
    typeof doc.mtimeMs === "number" &&
    Array.isArray(doc.runs);
  return ok ? (doc as WrittenMarker) : undefined;
}

function isRuns(v: unknown): v is [number, number][] {
  return (
    Array.isArray(v) &&
    v.every(
      (r) =>
        Array.isArray(r) &&
        r.length === 2 &&
        Number.isSafeInteger(r[0]) &&
        Number.isSafeInteger(r[1]) &&
        r[0] <= r[1],
    )
  );
}

/**
 * Every completed write's runs along the time dimension, from all markers (one listing, then one
 * get each). A damaged marker records nothing: its steps then count as not written, the safe side.
 */
export async function readWrittenRuns(
  store: Store,
  dim: string | undefined,
): Promise<{ markers: number; runs: [number, number][] }> {
  const keys = (await store.list(WRITTEN_PREFIX)).filter((k) => k.endsWith(".json"));
  const runs: [number, number][] = [];
  let markers = 0;
  for (let i = 0; i < keys.length; i += 16) {
    const docs = await Promise.all(keys.slice(i, i + 16).map((k) => store.get(k)));
    for (const bytes of docs) {
      if (bytes === undefined) continue;
      markers++;
      try {
        const doc = parseJson(decoder.decode(bytes)) as Partial<WrittenMarker> | null;
        if (doc && isRuns(doc.runs) && (doc.dim === undefined || doc.dim === dim)) {
          runs.push(...doc.runs);
        }
      } catch {
        // damaged: ignored (see above)
      }
    }
  }
  return { markers, runs };
}

export async function deleteMarker(store: Store, absoluteInput: string): Promise<void> {
  await store.delete(markerKey(absoluteInput));
}

/** What a region write needs to know of the archive; the template record has it. */
export type Layout = Pick<TemplateInfo, "timeDim" | "timeVariable" | "regionArrays">;
