import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { shardsFor, withShards } from "../../src/plan/shards.js";
import type { WritePlan } from "../../src/plan/write-plan.js";

const t2m = {
  name: "t2m",
  dims: ["time", "lat", "lon"],
  shape: [87600, 721, 1440],
  chunks: [24, 180, 360],
};

describe("shardsFor", () => {
  it("gives named dimensions their length and the others one shard, in whole chunks", () => {
    expect(shardsFor(t2m, { time: 720 })).toEqual([720, 900, 1440]);
    expect(shardsFor(t2m, { time: 240, lat: 360 })).toEqual([240, 360, 1440]);
  });

  it("leaves arrays without a named dimension, or whose shard is one chunk, unsharded", () => {
    expect(
      shardsFor({ ...t2m, name: "lat", dims: ["lat"], shape: [721], chunks: [721] }, { time: 720 }),
    ).toBeUndefined();
    // The time coordinate is chunked whole: one chunk spans it, so the named length does not apply.
    expect(
      shardsFor({ name: "time", dims: ["time"], shape: [87600], chunks: [87600] }, { time: 720 }),
    ).toBeUndefined();
    expect(shardsFor({ ...t2m, shape: [24, 180, 360] }, { time: 24 })).toBeUndefined();
  });

  it("refuses a length that cuts chunks and names multiples that do not", () => {
    let err: unknown;
    try {
      shardsFor(t2m, { time: 100 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      "shards: time:100 does not hold whole chunks of t2m, whose chunks along time are 24 long",
    );
    expect(String((err as ConfigError).hint)).toMatch(/time: ?120.* or .*time: ?96/);
  });
});

describe("withShards", () => {
  const plan = (zarrFormat: 2 | 3): WritePlan => ({
    zarrFormat,
    attrs: {},
    arrays: [
      {
        ...t2m,
        source: "t2m",
        dtype: "float32",
        attrs: {},
        fillValue: null,
        compression: { method: "none" },
      },
    ],
  });
  it("shards the plan's arrays in v3 and refuses v2", () => {
    expect(withShards(plan(3), { time: 48 }).arrays[0].shards).toEqual([48, 900, 1440]);
    expect(withShards(plan(2), undefined)).toEqual(plan(2));
    expect(() => withShards(plan(2), { time: 48 })).toThrow(/shards need Zarr v3/);
  });
});
