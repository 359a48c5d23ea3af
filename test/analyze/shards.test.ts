/**
 * analyze's shard advice: beside each pattern's chunks, the shards `shards: auto` would give them
 * (Zarr v3 only), in the report, its text, and the config --interactive writes.
 */
import { describe, expect, it } from "vitest";
import { recommend } from "../../src/analyze/chunking.js";
import { configFromAnswers, configYaml, defaultAnswers } from "../../src/analyze/config-answers.js";
import type { AnalyzeReport, AnalyzeVariable } from "../../src/analyze/report.js";
import { formatAnalyzeReport } from "../../src/analyze/text.js";
import { parseConfigText } from "../../src/config/file.js";
import { resolveConfig } from "../../src/config/schema.js";
import { ACCESS_PATTERNS } from "../../src/plan/chunking.js";
import { proposeShards } from "../../src/plan/shard-advice.js";

const t2m: AnalyzeVariable = {
  name: "t2m",
  dims: ["time", "latitude", "longitude"],
  shape: [87600, 721, 1440],
  dtype: "float32",
  bytes: 87600 * 721 * 1440 * 4,
  mb: (87600 * 721 * 1440 * 4) / 2 ** 20,
  role: "data",
  layout: "chunked",
  sourceChunks: [1, 721, 1440],
  sourceFilters: [],
  packedInSource: false,
};

function report(zarrFormat: 2 | 3, withEstimates = false): AnalyzeReport {
  return {
    file: "era5.nc",
    format: "hdf5",
    group: "/",
    sizeBytes: 1,
    dataBytes: t2m.bytes,
    dimensions: [],
    time: null,
    variables: [t2m],
    targetChunkSizeMb: 50,
    zarrFormat,
    recommendations: recommend([t2m], "time", 50, withEstimates, zarrFormat),
    packing: [],
    compression: {
      sourceFilters: [],
      sourceRatio: null,
      sample: null,
      trials: [],
      suggested: "blosc:zstd:3",
      advice: [],
    },
    notes: [],
  };
}

describe("shard advice in the analyze report", () => {
  it("gives each pattern the shards proposed for its chunks, with both object counts", () => {
    const [a] = report(3, true).recommendations;
    for (const p of ACCESS_PATTERNS) {
      const pa = a.patterns[p];
      const chunks = a.dims.map((d) => pa.chunks[d]);
      const proposal = proposeShards({
        dims: a.dims,
        shape: a.shape,
        itemSize: 4,
        chunks,
        timeDim: "time",
        pattern: p,
      });
      expect(pa.sharding?.shards, p).toEqual(
        Object.fromEntries(a.dims.map((d, i) => [d, proposal.shards?.[i]])),
      );
      expect(pa.sharding?.totalShards).toBe(proposal.objects);
      expect(pa.totalChunks).toBe(proposal.unshardedObjects);
      expect(pa.sharding?.chunksPerShard).toBe(proposal.chunksPerShard);
      expect(pa.sharding?.shardMb).toBeCloseTo(proposal.shardMb, 9);
    }
    // Map chunks span the map: a map read touches one shard, a series one per 60 steps.
    expect(a.patterns.spatial.sharding?.shards).toEqual({
      time: 60,
      latitude: 721,
      longitude: 1618,
    });
    expect(a.patterns.spatial.sharding?.estimate).toEqual({ timeSeries: 1460, map: 1 });
    // Time-series chunks are small maps: their shard grows across the map.
    expect(a.patterns.temporal.sharding?.shards).toEqual({
      time: 100,
      latitude: 362,
      longitude: 1448,
    });
    expect(a.patterns.temporal.sharding?.estimate).toEqual({ timeSeries: 876, map: 2 });
  });

  it("prints the shard columns for Zarr v3, and says why there are none for v2", () => {
    const v3 = formatAnalyzeReport(report(3));
    expect(v3).toMatch(/chunks total +shards \(auto\) +shard MB +shards total/);
    expect(v3).toMatch(
      /^ +spatial +time:20,latitude:721,longitude:809 .* time:60,latitude:721,longitude:1618 +238 +1460$/m,
    );
    expect(v3).toMatch(/shards: auto \(Zarr v3\)/);
    const v2 = formatAnalyzeReport(report(2));
    expect(v2).not.toMatch(/shards \(auto\)/);
    expect(v2).toMatch(/sharding needs Zarr v3, and this analysis is for Zarr v2/);
    expect(report(2).recommendations[0].patterns.balanced.sharding).toBeUndefined();
  });

  it("writes shards: auto into a v3 config from --interactive, never into a v2 one", () => {
    const r = report(3);
    const d = defaultAnswers(r);
    expect(d.shards).toBe(true);
    expect(configFromAnswers(r, d).shards).toBe("auto");
    const v3 = resolveConfig({ file: parseConfigText(configYaml(r, d), "x.yaml") });
    expect(v3.shards).toBe("auto");
    expect(configFromAnswers(r, { ...d, shards: false }).shards).toBeUndefined();
    const v2 = configYaml(r, { ...d, zarrFormat: 2 });
    expect(v2).not.toMatch(/shards/);
    expect(resolveConfig({ file: parseConfigText(v2, "x.yaml") }).zarrFormat).toBe(2);
  });
});
