/**
 * `--shards auto` / `shards: "auto"`: the archive gets the shards plan/shard-advice.ts proposes
 * for the chunks chosen, through the CLI and the library, from a flag, a config file or the
 * environment; Zarr v2 is refused in one line.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import { createTemplate } from "../../src/ops/template.js";
import { proposeShards } from "../../src/plan/shard-advice.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { runCli } from "../helpers/cli.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { tempDir } from "../helpers/paths.js";
import { fsReader } from "../helpers/zarrita.js";

const dir = tempDir("zarrify-shard-auto-");
const small = join(dir, "small.nc");
const map = join(dir, "map.nc");

beforeAll(() => {
  writeGrid(small, { times: 8, y: 6, x: 10 });
  // One step on the 0.25° grid: a template file for ten years of hourly data.
  writeGrid(map, { times: 1, y: 721, x: 1440 });
});

async function shardsOf(archive: string): Promise<Record<string, number[] | undefined>> {
  const md = await readArchiveMetadata(new FsStore(archive));
  return Object.fromEntries([...md.arrays].map(([name, a]) => [name, a.shards]));
}

async function t2mValues(archive: string): Promise<number[]> {
  const store = await zarr.withConsolidatedMetadata(fsReader(archive), { format: "v3" });
  const root = await zarr.open(store, { kind: "group" });
  const arr = await zarr.open(root.resolve("t2m"), { kind: "array" });
  return Array.from((await zarr.get(arr)).data as Float32Array);
}

describe("shards auto", () => {
  it("convert --shards auto writes the proposed shards, and the values of the unsharded archive", async () => {
    const chunking = ["--chunking", "time:2,lat:3,lon:5"];
    const sharded = join(dir, "auto.zarr");
    const plain = join(dir, "plain.zarr");
    const r = runCli(["convert", small, sharded, ...chunking, "--shards", "auto", "--no-progress"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(runCli(["convert", small, plain, ...chunking, "--no-progress"]).code).toBe(0);
    const proposal = proposeShards({
      dims: ["time", "lat", "lon"],
      shape: [8, 6, 10],
      itemSize: 4,
      chunks: [2, 3, 5],
      timeDim: "time",
      pattern: "balanced",
    });
    // The whole array is far below the target: one shard of all 16 chunks.
    expect(proposal.shards).toEqual([8, 6, 10]);
    // The time coordinate is chunked by --chunking too: its 4 chunks go in one shard as well.
    expect(await shardsOf(sharded)).toEqual({ t2m: proposal.shards, time: [8] });
    expect(await t2mValues(sharded)).toEqual(await t2mValues(plain));
  });

  it("create-template with shards auto from a config file, and from ZARRIFY_SHARDS", async () => {
    // Ten years of hourly 0.25° data in the kind of chunks: 120 chunks per shard.
    const args = [
      "--global-start",
      "2000-01-01T00:00",
      "--global-end",
      "2009-12-28T23:00",
      "--freq",
      "1h",
      "--chunking",
      "time:10,lat:180,lon:360",
      "--no-progress",
    ];
    const config = join(dir, "auto.yaml");
    writeFileSync(config, "zarr_format: 3\nshards: auto\n");
    const fromFile = join(dir, "template-file.zarr");
    const a = runCli(["create-template", map, fromFile, ...args, "--config", config]);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    const fromEnv = join(dir, "template-env.zarr");
    const b = runCli(["create-template", map, fromEnv, ...args], { ZARRIFY_SHARDS: "auto" });
    expect(b.code).toBe(0);
    for (const archive of [fromFile, fromEnv]) {
      const md = await readArchiveMetadata(new FsStore(archive));
      const t2m = md.arrays.get("t2m");
      expect(t2m?.shape).toEqual([87600, 721, 1440]);
      expect(t2m?.shards).toEqual([60, 900, 1440]);
      expect(md.arrays.get("time")?.shards).toBeUndefined();
    }
  }, 60_000);

  it("intelligent chunking with shards auto shards the recommended chunks (library)", async () => {
    const archive = join(dir, "spatial.zarr");
    await createTemplate({
      templateDataset: map,
      outputPath: archive,
      globalStart: "2000-01-01T00:00",
      globalEnd: "2009-12-28T23:00",
      freq: "1h",
      intelligentChunking: true,
      accessPattern: "spatial",
      shards: "auto",
    });
    const t2m = (await readArchiveMetadata(new FsStore(archive))).arrays.get("t2m");
    // Map chunks are near-whole maps: the shard takes the whole map, then three chunks of time.
    expect(t2m?.chunks).toEqual([20, 721, 809]);
    expect(t2m?.shards).toEqual([60, 721, 1618]);
  }, 60_000);

  it("refuses auto with Zarr v2 in one line", () => {
    const r = runCli([
      "convert",
      small,
      join(dir, "v2.zarr"),
      "--zarr-format",
      "2",
      "--shards",
      "auto",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: configuration: 'shards' is "auto", which needs zarrFormat 3/);
    expect(r.stderr).toMatch(/hint: set --zarr-format 3, or leave out --shards/);
  });
});
