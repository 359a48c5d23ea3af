import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { recommendChunks } from "../../src/plan/chunking.js";
import {
  proposeShards,
  SHARD_MAX_MB,
  SHARD_TARGET_MB,
  type ShardRequest,
} from "../../src/plan/shard-advice.js";
import { withShards } from "../../src/plan/shards.js";
import type { ArrayPlan, WritePlan } from "../../src/plan/write-plan.js";

const MIB = 1024 * 1024;

// Ten years of hourly 0.25° data: the case.
const era5 = {
  dims: ["time", "latitude", "longitude"],
  shape: [87600, 721, 1440],
  itemSize: 4,
  timeDim: "time",
  pattern: "balanced",
} as const;

const req = (chunks: number[], extra: Partial<ShardRequest> = {}): ShardRequest => ({
  ...era5,
  chunks,
  ...extra,
});

describe("proposeShards", () => {
  it("gives the issue's 10-year template at least 1/50 of the unsharded objects", () => {
    // 10×180×360 chunks (the "millions of objects"): whole maps, then 6 chunks of time.
    const p = proposeShards(req([10, 180, 360]));
    expect(p.shards).toEqual([60, 900, 1440]);
    expect(p.chunksPerShard).toBe(120);
    expect(p.unshardedObjects).toBe(8760 * 5 * 4);
    expect(p.objects).toBe(1460);
    expect(p.unshardedObjects / p.objects).toBeGreaterThanOrEqual(50);
    expect(p.shardBytes).toBe(60 * 721 * 1440 * 4);

    // 24-step chunks: 3 × 95 MiB of whole maps (285 MiB) is nearer 256 MiB than 2 × 95.
    const q = proposeShards(req([24, 180, 360]));
    expect(q.shards).toEqual([72, 900, 1440]);
    expect(q.chunksPerShard).toBe(60);
    expect(q.unshardedObjects / q.objects).toBeGreaterThanOrEqual(50);
  });

  it("grows across space first, then along time: shards follow the pattern's chunks", () => {
    const rec = (pattern: "temporal" | "spatial" | "balanced") =>
      recommendChunks({ ...era5, pattern, targetChunkSizeMb: 50 }).chunks;
    // Map chunks are whole maps already: the shard grows along time.
    expect(rec("spatial")).toEqual([20, 721, 809]);
    expect(proposeShards(req(rec("spatial"), { pattern: "spatial" })).shards).toEqual([
      60, 721, 1618,
    ]);
    // Time-series chunks are small in space: the shard grows across it (whole rows of them).
    expect(rec("temporal")).toEqual([100, 362, 362]);
    expect(proposeShards(req(rec("temporal"), { pattern: "temporal" })).shards).toEqual([
      100, 362, 1448,
    ]);
    // Balanced: whole maps of 6 chunks (198 MiB); doubling time (396 MiB) is further from 256.
    expect(rec("balanced")).toEqual([50, 512, 512]);
    const b = proposeShards(req(rec("balanced")));
    expect(b.shards).toEqual([50, 1024, 1536]);
    expect(b.objects).toBe(1752);
    expect(b.unshardedObjects).toBe(1752 * 6);
  });

  it("stays near the target and never above the maximum", () => {
    for (const chunks of [
      [1, 721, 1440],
      [7, 100, 100],
      [10, 180, 360],
      [3, 721, 1440],
    ]) {
      const p = proposeShards(req(chunks));
      expect(p.shardMb).toBeLessThanOrEqual(SHARD_MAX_MB);
      expect(p.shardMb).toBeGreaterThan(SHARD_TARGET_MB / Math.SQRT2);
      expect(p.shardMb).toBeLessThan(SHARD_TARGET_MB * Math.SQRT2);
    }
    const capped = proposeShards(req([1, 721, 1440], { targetShardMb: 4096, maxShardMb: 100 }));
    expect(capped.shardBytes).toBeLessThanOrEqual(100 * MIB);
    expect(capped.shards).toEqual([25, 721, 1440]);
  });

  it("leaves arrays of one chunk, or of chunks near the target, unsharded", () => {
    const one = proposeShards({ ...req([721, 1440]), dims: ["lat", "lon"], shape: [721, 1440] });
    expect(one).toMatchObject({ shards: undefined, chunksPerShard: 1, objects: 1 });
    // 200 MiB chunks: two would be 400 MiB, further from 256 than one.
    const big = proposeShards(req([50, 721, 1440]));
    expect(big.shards).toBeUndefined();
    expect(big.objects).toBe(big.unshardedObjects);
    expect(proposeShards(req([10, 180, 360], { shape: [0, 721, 1440] })).objects).toBe(0);
  });

  it("treats every dimension as space without a time dimension, innermost first", () => {
    const p = proposeShards({
      dims: ["y", "x"],
      shape: [20000, 20000],
      itemSize: 4,
      chunks: [1000, 1000],
      pattern: "balanced",
    });
    expect(p.shards).toEqual([3000, 20000]);
    expect(p.chunksPerShard).toBe(60);
  });
});

describe("withShards auto", () => {
  const array = (a: Partial<ArrayPlan> & Pick<ArrayPlan, "name" | "dims" | "shape" | "chunks">) =>
    ({
      source: a.name,
      dtype: "float32",
      attrs: {},
      fillValue: null,
      compression: { method: "none" },
      ...a,
    }) as ArrayPlan;
  const plan = (zarrFormat: 2 | 3): WritePlan => ({
    zarrFormat,
    attrs: {},
    arrays: [
      array({
        name: "t2m",
        dims: ["time", "lat", "lon"],
        shape: era5.shape.slice(),
        chunks: [10, 180, 360],
      }),
      array({ name: "time", dims: ["time"], shape: [87600], chunks: [87600], dtype: "int64" }),
      array({ name: "lat", dims: ["lat"], shape: [721], chunks: [721] }),
    ],
  });

  it("shards each array by the proposal for its chunks and leaves one-chunk arrays alone", () => {
    const out = withShards(plan(3), "auto", { pattern: "balanced", timeDim: "time" });
    expect(out.arrays.map((a) => a.shards)).toEqual([[60, 900, 1440], undefined, undefined]);
  });

  it("refuses auto for Zarr v2", () => {
    expect(() => withShards(plan(2), "auto", { pattern: "balanced", timeDim: "time" })).toThrow(
      ConfigError,
    );
    expect(() => withShards(plan(2), "auto")).toThrow(/^shards: auto needs Zarr v3/);
  });
});
