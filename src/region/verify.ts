/**
 * Reading a region back: its file's values in the archive's form block by block (also the dry
 * pass that refuses out-of-range packing before anything is written), and the cells whose
 * missing/present state differs from what was meant (`retriesOnMissing`).
 */
import type { ZarrifyConfig } from "../config/schema.js";
import { DTYPE_SIZE } from "../dataset/types.js";
import { RegionError } from "../errors.js";
import { DEFAULT_MAX_BLOCK_MB } from "../plan/blocks.js";
import { storedChunk } from "../zarr/metadata.js";
import { readBox } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import { regionBlocks } from "./blocks.js";
import type { RegionRun } from "./locate.js";
import type { RegionSpec } from "./spec.js";
import type { Layout } from "./state.js";
import { boxFor, type Target } from "./targets.js";
import { isMissingValue, toArchive } from "./values.js";

/** Calls fn for each block of each target and run with the file's values in the archive's form. */
export async function forEachBlock(
  targets: Target[],
  runs: RegionRun[],
  info: Layout,
  spec: RegionSpec,
  fn: (
    t: Target,
    start: number[],
    count: number[],
    data: ReturnType<typeof toArchive>,
  ) => Promise<void>,
): Promise<void> {
  for (const t of targets) {
    for (const run of runs) {
      const box = boxFor(t, info, spec, run);
      const blocks = regionBlocks(
        storedChunk(t.meta),
        box.start,
        box.count,
        DTYPE_SIZE[t.meta.dtype],
        DEFAULT_MAX_BLOCK_MB * 1024 * 1024,
      );
      for (const b of blocks) {
        const from = b.start.map((s, d) => box.source[d] + s - box.start[d]);
        const raw = await t.variable.read(from, b.count);
        await fn(t, b.start, b.count, toArchive(raw, t.src, t.dst, `${t.variable.name}`));
      }
    }
  }
}

/** Cells whose missing/present state differs between what was meant and what the archive holds. */
export async function missingMismatches(
  store: Store,
  targets: Target[],
  runs: RegionRun[],
  info: Layout,
  spec: RegionSpec,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await forEachBlock(targets, runs, info, spec, async (t, start, count, meant) => {
    const stored = await readBox(store, t.meta, start, count);
    let bad = 0;
    for (let i = 0; i < stored.length; i++) {
      const want = isMissingValue(Number(meant.data[i]), t.dst.fill);
      const got = isMissingValue(Number(stored[i]), t.dst.fill);
      if (want !== got) bad++;
    }
    if (bad > 0) out.set(t.name, (out.get(t.name) ?? 0) + bad);
  });
  return out;
}

export function checkTargets(targets: Target[], config: ZarrifyConfig): Target[] {
  const vars = config.missingCheckVars;
  if (vars === "none" || config.retriesOnMissing === 0) return [];
  const numeric = targets.filter((t) => t.meta.dtype !== "string" && t.meta.dtype !== "char");
  if (vars === "all") return numeric;
  const unknown = vars.filter((v) => !targets.some((t) => t.name === v));
  if (unknown.length > 0) {
    throw new RegionError(
      `missingCheckVars names variable(s) the template does not write: ${unknown.join(", ")}`,
      {
        hint: `choose among ${targets.map((t) => t.name).join(", ")}, or use "all"`,
      },
    );
  }
  return numeric.filter((t) => vars.includes(t.name));
}
