/**
 * The model of a region fill and the runner that plays a generated scenario against the real
 * library and store.
 *
 * What is generated (arbitraries below): the archive layout (Zarr v2, v3, v3 sharded; time chunks
 * of 1-6 steps, shards of k chunks; a 3 x 4 grid in one or two spatial chunks, edge chunks padded),
 * 8-30 daily steps, disjoint files with random boundaries covering a random subset of the steps,
 * some files written twice, the order files are taken in, 2-6 concurrent writers, per-operation
 * delays, and per write attempt a kill (at which store operation, before or after it lands, a
 * throwing or a hung writer).
 *
 * What the model says: a file's write is complete once its completion record lands (the write's
 * last act). A complete file's steps hold its values, cell for cell; a step no file covers holds
 * the fill value (NaN); a killed write that is re-run ends complete; a killed write left alone
 * leaves each of its cells either its value or NaN, and its steps not written in validate's eyes
 * (unless another complete write of the same file covers them). Nothing else changes: the
 * coordinates stay the template's. validate's missing steps are exactly the steps of no complete
 * file, none of them damaged, and only killed files' steps may be partial.
 */
import { mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { resolveConfig } from "../../src/config/schema.js";
import { createLogger } from "../../src/log.js";
import { writeRegion } from "../../src/ops/region.js";
import { createTemplate } from "../../src/ops/template.js";
import { validateArchive } from "../../src/ops/validate.js";
import { writeFiles } from "../../src/ops/write-files.js";
import { markerKey } from "../../src/region/state.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { readBox } from "../../src/zarr/read.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import type { Store } from "../../src/zarr/store/types.js";
import { type FaultPlan, FaultyStore, Killed } from "./faulty-store.js";
import { CELLS, cellValue, endDate, NLAT, NLON, START, writeSteps } from "./files.js";

export type Format = "v2" | "v3" | "v3-sharded";

export interface Layout {
  format: Format;
  steps: number;
  chunkT: number;
  /** Shard length along time, in chunks (sharded only). */
  shardK: number;
  latChunk: number;
  lonChunk: number;
}

export interface Kill {
  /** The store operation it dies at; "record": its first completion record. */
  killAt: number | "record";
  mode: "before" | "after";
  hang: boolean;
}

export interface Scenario {
  layout: Layout;
  /** Consecutive segments from step 0 (the last one cut at the archive's end); kept ones are files. */
  segments: { len: number; keep: boolean }[];
  /** Per file, the group it is written with by one writer (0: alone, by write-region). */
  groups: number[];
  /** Files written a second time, alone (indices modulo the number of files). */
  twice: number[];
  /** Sort keys of the jobs: the order writers take them in. */
  order: number[];
  writers: number;
  maxDelayMs: number;
  /** Per job, the kills of its attempts in turn (missing: none). */
  kills: Kill[][];
  seed: number;
}

export interface FileSpec {
  first: number;
  count: number;
}

export function filesOf(s: Scenario): FileSpec[] {
  const files: FileSpec[] = [];
  let at = 0;
  for (const seg of s.segments) {
    if (at >= s.layout.steps) break;
    const count = Math.min(seg.len, s.layout.steps - at);
    if (seg.keep) files.push({ first: at, count });
    at += count;
  }
  return files;
}

/**
 * Each job is the files one writer takes together: one file (write-region), or the files of a
 * group (what `run` does: writeFiles); then the files written a second time, alone. Sorted by the
 * generated keys, ties by position.
 */
export function jobsOf(
  s: Pick<Scenario, "groups" | "twice" | "order">,
  nFiles: number,
): number[][] {
  if (nFiles === 0) return [];
  const jobs: number[][] = [];
  const groups = new Map<number, number[]>();
  for (let f = 0; f < nFiles; f++) {
    const g = s.groups[f] ?? 0;
    let job = g === 0 ? undefined : groups.get(g);
    if (job === undefined) {
      job = [];
      jobs.push(job);
      if (g !== 0) groups.set(g, job);
    }
    job.push(f);
  }
  // Half the duplicates are of grouped files: a group's blind put beside a merge of one of its
  // files alone is where the first bug lived (docs/model-tests.md).
  const grouped = [...groups.values()].flat();
  for (const i of s.twice) {
    jobs.push([
      grouped.length > 0 && i % 2 === 0 ? grouped[(i >> 1) % grouped.length] : i % nFiles,
    ]);
  }
  return jobs
    .map((files, i) => ({ files, i, key: s.order[i] ?? 0 }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((j) => j.files);
}

export const layoutArb = (format: Format): fc.Arbitrary<Layout> =>
  fc.record({
    format: fc.constant(format),
    steps: fc.integer({ min: 8, max: 30 }),
    chunkT: fc.integer({ min: 1, max: 6 }),
    shardK: fc.integer({ min: 1, max: 4 }),
    // One or two spatial chunks; a 2-row chunk of the 3 rows pads its edge chunk.
    latChunk: fc.constantFrom(NLAT, 2),
    lonChunk: fc.constantFrom(NLON, 2),
  });

const killArb: fc.Arbitrary<Kill> = fc.record({
  // A write-region makes about 11-30 store operations here; later ones mean no kill. Dying at the
  // record (its data all stored) is the one case where validate must go by the record alone.
  killAt: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 32 }) },
    { weight: 1, arbitrary: fc.constant("record" as const) },
  ),
  mode: fc.constantFrom("before" as const, "after" as const),
  hang: fc.boolean(),
});

export const scenarioArb = (format: Format): fc.Arbitrary<Scenario> =>
  fc.record({
    layout: layoutArb(format),
    segments: fc.array(fc.record({ len: fc.integer({ min: 1, max: 7 }), keep: fc.boolean() }), {
      minLength: 1,
      maxLength: 30,
    }),
    groups: fc.array(fc.constantFrom(0, 0, 0, 1, 2), { maxLength: 30 }),
    twice: fc.array(fc.nat(), { maxLength: 4 }),
    order: fc.array(fc.nat({ max: 100 }), { maxLength: 40 }),
    writers: fc.integer({ min: 2, max: 6 }),
    maxDelayMs: fc.integer({ min: 0, max: 4 }),
    kills: fc.array(fc.array(killArb, { maxLength: 2 }), { maxLength: 40 }),
    seed: fc.integer(),
  });

export const quiet = createLogger("error", () => {});

export function templateOptions(l: Layout) {
  return {
    zarrFormat: l.format === "v2" ? (2 as const) : (3 as const),
    chunking: { time: l.chunkT, lat: l.latChunk, lon: l.lonChunk },
    ...(l.format === "v3-sharded" ? { shards: { time: l.chunkT * l.shardK } } : {}),
  };
}

/** Files on disk and the template, as every property starts. */
export async function prepare(
  dir: string,
  s: Scenario,
  /** Where the archive goes (an s3:// URL); default a directory in `dir`. */
  location?: string,
): Promise<{ archive: string; paths: string[] }> {
  mkdirSync(dir, { recursive: true });
  const files = filesOf(s);
  const paths = files.map((f, i) => {
    const p = join(dir, `f${i}_${f.first}-${f.first + f.count}.nc`);
    writeSteps(p, f.first, f.count);
    return p;
  });
  const template = join(dir, "template.nc");
  writeSteps(template, 0, 1);
  const archive = location ?? join(dir, "archive.zarr");
  await createTemplate({
    templateDataset: template,
    outputPath: archive,
    globalStart: START,
    globalEnd: endDate(s.layout.steps),
    freq: "1D",
    logger: quiet,
    ...templateOptions(s.layout),
  });
  return { archive, paths };
}

/** The coordinates as the template wrote them, to check that no write changed them. */
export async function coordinates(store: Store): Promise<Record<string, number[]>> {
  const md = await readArchiveMetadata(store);
  const out: Record<string, number[]> = {};
  for (const [name, meta] of md.arrays) {
    if (name === "t2m") continue;
    const v = await readBox(
      store,
      meta,
      meta.shape.map(() => 0),
      meta.shape,
    );
    out[name] = Array.from(v as ArrayLike<number>, Number);
  }
  return out;
}

export interface Outcome {
  /** Files whose completion record landed. */
  complete: Set<number>;
  /** Files with a killed attempt not followed by a complete one. */
  unfinished: Set<number>;
  attempts: number;
  kills: number;
}

/**
 * Plays the jobs on `s.writers` concurrent writers, each attempt of a job through its own
 * FaultyStore: a writeRegion for one file, a writeFiles (as `run` calls it) for a group. `rerun`:
 * a killed attempt is followed by the job's next one, on the files not complete yet (as `run
 * --resume` skips the recorded ones), the last attempt never killed; otherwise a killed job stays
 * killed.
 */
export async function play(
  s: Scenario,
  archive: string,
  paths: string[],
  rerun: boolean,
  options: { real?: Store; broken?: Pick<FaultPlan, "ignoreConditions"> } = {},
): Promise<Outcome> {
  const real = options.real ?? new FsStore(archive);
  const queue = jobsOf(s, paths.length).map((files, job) => ({ files, job }));
  const records = paths.map((p) => markerKey(resolve(p)));
  const out: Outcome = { complete: new Set(), unfinished: new Set(), attempts: 0, kills: 0 };
  const killed = new Set<number>();
  const lane = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const { files, job } = next;
      const kills = s.kills[job] ?? [];
      const attempts = rerun ? kills.length + 1 : 1;
      for (let a = 0; a < attempts; a++) {
        const kill = kills[a];
        const plan: FaultPlan = {
          maxDelayMs: s.maxDelayMs,
          seed: (s.seed ^ (job * 7919 + a * 104729)) >>> 0,
          killAt: typeof kill?.killAt === "number" ? kill.killAt : undefined,
          killAtRecord: kill?.killAt === "record",
          killMode: kill?.mode ?? "before",
          hang: kill?.hang ?? false,
          ...options.broken,
        };
        const store = new FaultyStore(real, plan);
        out.attempts++;
        const todo = a === 0 ? files : files.filter((f) => !out.complete.has(f));
        const write = writeJob(
          todo.map((f) => paths[f]),
          archive,
          store,
        );
        let error: unknown;
        await Promise.race([write.catch((e) => (error = e ?? "rejected")), store.died]);
        await store.drained();
        for (const f of todo) if (store.recordsLanded.has(records[f])) out.complete.add(f);
        if (!store.killed) {
          // A writer that was not killed must have finished, and finished well.
          await write;
          break;
        }
        if (error !== undefined && !isKill(error)) throw error;
        out.kills++;
        for (const f of todo) killed.add(f);
      }
    }
  };
  await Promise.all(Array.from({ length: s.writers }, lane));
  for (const f of killed) if (!out.complete.has(f)) out.unfinished.add(f);
  return out;
}

/** One file by writeRegion; several by writeFiles, as `run` writes them (failures reported, not thrown). */
async function writeJob(paths: string[], archive: string, store: Store): Promise<void> {
  if (paths.length === 1) {
    await writeRegion(paths[0], archive, { store, logger: quiet });
    return;
  }
  const failed: unknown[] = [];
  await writeFiles(
    paths.map((path) => ({ path })),
    archive,
    {
      config: resolveConfig({}),
      store,
      logger: quiet,
      internal: { verb: "run" },
      onFailed: (_input, err) => failed.push(err),
    },
  );
  if (failed.length > 0) throw failed[0];
}

/** A Killed, or an error caused by one (a layer that wraps what the store threw). */
function isKill(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof Killed) return true;
  return false;
}

function stepsOf(files: FileSpec[], which: Iterable<number>): Set<number> {
  const steps = new Set<number>();
  for (const f of which) for (let t = 0; t < files[f].count; t++) steps.add(files[f].first + t);
  return steps;
}

/** Every difference between the archive and the model, as lines (none: they agree). */
export async function differences(
  s: Scenario,
  store: Store,
  archive: string,
  before: Record<string, number[]>,
  o: Pick<Outcome, "complete" | "unfinished">,
  options: { leftoversAllowed?: boolean } = {},
): Promise<string[]> {
  const files = filesOf(s);
  const N = s.layout.steps;
  const done = stepsOf(files, o.complete);
  const maybe = stepsOf(files, o.unfinished);
  const diffs: string[] = [];
  const md = await readArchiveMetadata(store);
  const meta = md.arrays.get("t2m");
  if (!meta) return ["no t2m in the archive"];
  const got = (await readBox(store, meta, [0, 0, 0], [N, NLAT, NLON])) as Float32Array;
  for (let t = 0; t < N; t++) {
    for (let c = 0; c < CELLS; c++) {
      const v = got[t * CELLS + c];
      const want = cellValue(t, c);
      const ok = done.has(t)
        ? v === want
        : maybe.has(t)
          ? v === want || Number.isNaN(v)
          : Number.isNaN(v);
      if (!ok) {
        const should = done.has(t) ? want : maybe.has(t) ? `${want} or NaN` : "NaN";
        diffs.push(`t2m[${t}, cell ${c}] = ${v}, model: ${should}`);
      }
      if (diffs.length > 20) return diffs;
    }
  }
  const after = await coordinates(store);
  for (const name of Object.keys(before)) {
    if (JSON.stringify(after[name]) !== JSON.stringify(before[name])) {
      diffs.push(`${name} changed: ${after[name]} (template: ${before[name]})`);
    }
  }
  const report = await validateArchive(archive, { store });
  const missing = new Set<number>();
  for (const r of report.missing) for (let t = r.start; t < r.stop; t++) missing.add(t);
  const wantMissing = [...Array(N).keys()].filter((t) => !done.has(t));
  const gotMissing = [...missing].sort((a, b) => a - b);
  if (JSON.stringify(gotMissing) !== JSON.stringify(wantMissing)) {
    diffs.push(
      `validate missing ${JSON.stringify(gotMissing)}, model ${JSON.stringify(wantMissing)}`,
    );
  }
  if (report.damaged.length > 0) diffs.push(`validate damaged ${JSON.stringify(report.damaged)}`);
  for (const r of report.partial) {
    for (let t = r.start; t < r.stop; t++) {
      if (!maybe.has(t)) diffs.push(`validate partial step ${t}, which no killed file covers`);
    }
  }
  if (report.complete !== (wantMissing.length === 0))
    diffs.push(`validate complete ${report.complete}`);
  // In this process every lock is given back and every temp file renamed or removed: a writer's
  // FsStore operations run to their end. Killed processes may leave both (and must not matter).
  const left = store instanceof FsStore ? leftovers(store.root) : [];
  if (left.length > 0 && !options.leftoversAllowed) {
    diffs.push(`left in the archive: ${left.join(", ")}`);
  }
  return diffs;
}

/** Lock and temp files under the archive, relative to it. */
export function leftovers(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/\.zarrify-(lock|tmp)$/.test(e.name))
        out.push(join(dir, e.name).slice(root.length + 1));
    }
  };
  walk(root);
  return out;
}
