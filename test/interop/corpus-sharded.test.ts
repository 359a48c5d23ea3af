/**
 * The corpus again, sharded: every file converted to Zarr v3 with shards along every dimension
 * (chunks of a third of each dimension, shards of two chunks, so shards hold several inner
 * chunks, edge shards are partly padding and some inner chunks are absent), then opened by
 * today's xarray + zarr-python 3 (the sid chroot) and compared with its view of the source, all
 * archives in one Python process (compare_batch.py).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convertToZarr } from "../../src/ops/convert.js";
import { openDataset } from "../../src/readers/index.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { repoRoot, tempDir } from "../helpers/paths.js";
import { sidPython, skipSid } from "../helpers/sid.js";
import { REFERENCE_CANNOT_READ, sources, UNDEFINED_IN_SOURCE } from "./corpus-sources.js";
import { OUT_OF_SCOPE } from "./out-of-scope.js";

const BATCH = join(repoRoot, "test/interop/compare_batch.py");
const tmp = tempDir("zarrify-corpus-sharded-");

/** Chunk and shard lengths per dimension; string-length dimensions of char data stay whole. */
async function layoutFor(source: string, group?: string) {
  const ds = await openDataset(source, { group });
  try {
    const textDims = new Set(
      ds.variables.filter((v) => v.dtype === "char" && v.dims.length > 0).map((v) => v.dims.at(-1)),
    );
    const chunking: Record<string, number> = {};
    const shards: Record<string, number> = {};
    for (const d of ds.dims) {
      if (textDims.has(d.name) || d.size < 2) continue;
      chunking[d.name] = Math.ceil(d.size / 3);
      shards[d.name] = 2 * chunking[d.name];
    }
    return { chunking, shards };
  } finally {
    await ds.close();
  }
}

describe.skipIf(skipSid)("the corpus, sharded", () => {
  it("converts every file to sharded Zarr v3 that opens in today's xarray exactly like the source", async () => {
    const jobs: { name: string; argv: string[] }[] = [];
    let sharded = 0;
    for (const [file, source] of sources) {
      if (REFERENCE_CANNOT_READ.has(file)) continue;
      const options = OUT_OF_SCOPE[file]?.options ?? {};
      const out = join(tmp, `${file}.zarr`);
      const layout = await layoutFor(source, options.group);
      await convertToZarr(source, out, { ...options, ...layout, zarrFormat: 3 });
      const md = await readArchiveMetadata(new FsStore(out));
      if ([...md.arrays.values()].some((m) => m.shards)) sharded++;
      const drop = [...(options.dropVariables ?? []), ...(UNDEFINED_IN_SOURCE[file] ?? [])];
      const argv = [source, out, ...(drop.length > 0 ? ["--drop-variables", drop.join(",")] : [])];
      jobs.push({ name: file, argv });
    }
    // Most files have a dimension long enough to shard; a few are scalars or text only.
    expect(sharded).toBeGreaterThan(sources.length * 0.8);
    const jobFile = join(tmp, "jobs.json");
    writeFileSync(jobFile, JSON.stringify(jobs));
    const { stdout } = await sidPython([BATCH, jobFile]);
    const results = JSON.parse(stdout) as {
      name: string;
      result: { ok: boolean; differences: string[]; error?: string };
    }[];
    expect(results).toHaveLength(jobs.length);
    const failed = results
      .filter((r) => !r.result.ok || r.result.differences.length > 0)
      .map((r) => `${r.name}: ${r.result.error ?? r.result.differences.join("; ")}`);
    expect(failed).toEqual([]);
  }, 900_000);
});
