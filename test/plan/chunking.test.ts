import { describe, expect, it } from "vitest";
import { ConfigError, ConversionError } from "../../src/errors.js";
import {
  type AccessPattern,
  type ChunkRecommendationRequest,
  integerRoot,
  recommendAll,
  recommendChunks,
  timeChunkFor,
} from "../../src/plan/chunking.js";

const MIB = 1024 * 1024;
const TXY = ["time", "lat", "lon"] as const;

function rec(
  shape: number[],
  pattern: AccessPattern,
  extra: Partial<ChunkRecommendationRequest> = {},
) {
  return recommendChunks({
    dims: TXY,
    shape,
    itemSize: 4,
    timeDim: "time",
    pattern,
    targetChunkSizeMb: 50,
    ...extra,
  });
}

describe("recommendChunks: the pinned worked examples (float32, 50 MB)", () => {
  it("1000×180×360 temporal → [100, 180, 360]", () => {
    const r = rec([1000, 180, 360], "temporal");
    expect(r.chunks).toEqual([100, 180, 360]);
    expect(r.chunkBytes).toBe(100 * 180 * 360 * 4);
    expect(r.chunkMb).toBeCloseTo((100 * 180 * 360 * 4) / MIB, 12);
    expect(r.pattern).toBe("temporal");
    expect(r.warnings).toEqual([]);
  });

  it("365×720×1440 spatial → [7, 720, 1368]", () => {
    const r = rec([365, 720, 1440], "spatial");
    expect(r.chunks).toEqual([7, 720, 1368]);
    expect(r.warnings).toEqual([]);
  });

  it("1825×360×720 balanced → [50, 360, 512] (an exact square root: 262144 = 512²)", () => {
    const r = rec([1825, 360, 720], "balanced");
    expect(r.chunks).toEqual([50, 360, 512]);
    expect(r.chunkBytes).toBe(50 * 360 * 512 * 4);
    expect(r.warnings).toEqual([]);
  });
});

describe("time chunk per pattern", () => {
  it.each([
    // temporal: min(100, max(10, nt // 10))
    ["temporal", 2000, 100],
    ["temporal", 1000, 100],
    ["temporal", 999, 99],
    ["temporal", 250, 25],
    ["temporal", 50, 10],
    ["temporal", 7, 7], // capped by nt
    // spatial: min(20, max(5, nt // 50))
    ["spatial", 5000, 20],
    ["spatial", 365, 7],
    ["spatial", 100, 5],
    ["spatial", 3, 3],
    // balanced: min(50, max(10, nt // 20))
    ["balanced", 5000, 50],
    ["balanced", 400, 20],
    ["balanced", 100, 10],
    ["balanced", 4, 4],
    // an empty (length-0) time dimension still gets a chunk of 1
    ["temporal", 0, 1],
    ["spatial", 1, 1],
  ] as [AccessPattern, number, number][])("%s, nt=%d → %d", (pattern, nt, expected) => {
    expect(timeChunkFor(pattern, nt)).toBe(expected);
    // A tiny target makes the array bigger than it, so the rule applies (a small one stays whole).
    expect(rec([nt, 10, 10], pattern, { targetChunkSizeMb: 1e-4 }).chunks[0]).toBe(expected);
  });
});

describe("spatial chunks", () => {
  it("use the square root of target elements / time chunk, capped per dimension", () => {
    // 13107200 / 100 = 131072 → floor(sqrt) = 362; lat is capped at 10, and lon does not get the
    // room that leaves (no redistribution).
    expect(rec([1000, 10, 100000], "temporal").chunks).toEqual([100, 10, 362]);
  });

  it("use the n-th root for more spatial dims (exact cube: 262144 = 64³)", () => {
    const r = recommendChunks({
      dims: ["time", "level", "lat", "lon"],
      shape: [1825, 100, 1000, 1000],
      itemSize: 4,
      timeDim: "time",
      pattern: "balanced",
      targetChunkSizeMb: 50,
    });
    expect(r.chunks).toEqual([50, 64, 64, 64]);
  });

  it("follow the item size (float64 halves the target elements)", () => {
    // 6553600 / 50 = 131072 → 362
    expect(rec([1825, 360, 720], "balanced", { itemSize: 8 }).chunks).toEqual([50, 360, 362]);
  });

  it.each([
    ["temporal", 10, 100],
    ["spatial", 50, 20],
    ["balanced", 30, 50],
  ] as [AccessPattern, number, number][])(
    "%s: never below the pattern minimum (%d) when the target is tiny",
    (pattern, minimum, timeChunk) => {
      const r = rec([5000, 1000, 1000], pattern, { targetChunkSizeMb: 0.001 });
      expect(r.chunks).toEqual([timeChunk, minimum, minimum]);
    },
  );

  it("the minimum is still capped by the dimension's length", () => {
    expect(rec([5000, 20, 1000], "spatial", { targetChunkSizeMb: 0.001 }).chunks).toEqual([
      20, 20, 50,
    ]);
  });

  it("finds the time dimension wherever it is", () => {
    const r = recommendChunks({
      dims: ["lat", "lon", "t"],
      shape: [180, 360, 1000],
      itemSize: 4,
      timeDim: "t",
      pattern: "temporal",
      targetChunkSizeMb: 50,
    });
    expect(r.chunks).toEqual([180, 360, 100]);
  });
});

describe("variables without a time dimension, 0-d and empty", () => {
  const noTime = { itemSize: 4, pattern: "balanced" as const, targetChunkSizeMb: 50 };

  it("treat every dim as spatial with a time chunk of 1", () => {
    // sqrt(13107200) = 3620.4 → 3620
    const r = recommendChunks({ ...noTime, dims: ["y", "x"], shape: [10000, 10000] });
    expect(r.chunks).toEqual([3620, 3620]);
    const named = recommendChunks({
      ...noTime,
      dims: ["y", "x"],
      shape: [10000, 10000],
      timeDim: "time",
    });
    expect(named.chunks).toEqual([3620, 3620]);
  });

  it("a 1-D variable gets all the target elements, capped by its length", () => {
    const big = recommendChunks({ ...noTime, dims: ["n"], shape: [20_000_000] });
    expect(big.chunks).toEqual([13107200]);
    const lat = recommendChunks({ ...noTime, dims: ["lat"], shape: [180] });
    expect(lat.chunks).toEqual([180]);
    expect(lat.warnings).toEqual([]); // the whole array: being small is not advice-worthy
  });

  it("a time-only variable is chunked by the time rule", () => {
    const r = recommendChunks({ ...noTime, dims: ["time"], shape: [20_000_000], timeDim: "time" });
    expect(r.chunks).toEqual([50]);
  });

  it("0-d → no chunks, one element", () => {
    const r = recommendChunks({ ...noTime, dims: [], shape: [] });
    expect(r.chunks).toEqual([]);
    expect(r.chunkBytes).toBe(4);
    expect(r.warnings).toEqual([]);
  });

  it("length-0 dims get chunk 1", () => {
    expect(rec([0, 0, 360], "temporal").chunks).toEqual([1, 1, 360]);
  });
});

describe("warnings", () => {
  it("a chunk below 1 MB names its size and pattern", () => {
    // target elements 26214 → sqrt 161 → 161² · 4 B = 0.0989 MB
    const r = recommendChunks({
      dims: ["y", "x"],
      shape: [10000, 10000],
      itemSize: 4,
      pattern: "temporal",
      targetChunkSizeMb: 0.1,
    });
    expect(r.chunks).toEqual([161, 161]);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/target chunk size of 0\.1 MB is outside .*1–100 MB/);
    expect(r.warnings[1]).toMatch(/^temporal chunks of 0\.0989 MB are below 1 MB/);
  });

  it("a chunk above 100 MB names its size and pattern", () => {
    const r = rec([10000, 4000, 4000], "spatial", { targetChunkSizeMb: 200 });
    // 52428800 / 20 = 2621440 → 1619; 20 · 1619² · 4 B = 200 MB
    expect(r.chunks).toEqual([20, 1619, 1619]);
    expect(r.warnings.some((w) => /^spatial chunks of 200 MB are above 100 MB/.test(w))).toBe(true);
    expect(r.warnings.some((w) => /target chunk size of 200 MB/.test(w))).toBe(true);
  });

  it("the pattern minimum can force a chunk above 100 MB even at a sane target", () => {
    const r = recommendChunks({
      dims: ["time", "a", "b", "c", "d", "e"],
      shape: [1000, 60, 60, 60, 60, 60],
      itemSize: 8,
      timeDim: "time",
      pattern: "spatial",
      targetChunkSizeMb: 1,
    });
    expect(r.chunks).toEqual([20, 50, 50, 50, 50, 50]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^spatial chunks of 47700 MB are above 100 MB/);
  });

  it("a target inside 1–100 MB with a fitting chunk warns nothing", () => {
    expect(rec([1000, 180, 360], "balanced", { targetChunkSizeMb: 2 }).warnings).toEqual([]);
    // Flooring the root makes a 1 MB target give a chunk just under 1 MB: that is still reported.
    const floored = rec([1000, 180, 360], "balanced", { targetChunkSizeMb: 1 });
    expect(floored.chunkMb).toBeLessThan(1);
    expect(floored.warnings).toHaveLength(1);
    expect(rec([1000, 1800, 3600], "balanced", { targetChunkSizeMb: 100 }).warnings).toEqual([]);
  });
});

describe("recommendAll", () => {
  it("gives each pattern's recommendation", () => {
    const req = {
      dims: TXY,
      shape: [365, 720, 1440],
      itemSize: 4,
      timeDim: "time",
      targetChunkSizeMb: 50,
    };
    const all = recommendAll(req);
    expect(Object.keys(all).sort()).toEqual(["balanced", "spatial", "temporal"]);
    for (const pattern of ["temporal", "spatial", "balanced"] as const) {
      expect(all[pattern]).toEqual(recommendChunks({ ...req, pattern }));
      expect(all[pattern].pattern).toBe(pattern);
    }
    expect(all.spatial.chunks).toEqual([7, 720, 1368]);
    expect(all.temporal.chunks).toEqual([36, 603, 603]);
    expect(all.balanced.chunks).toEqual([18, 720, 853]);
  });
});

describe("input checks", () => {
  it("rejects a non-positive or non-finite target with ConfigError", () => {
    for (const t of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => rec([10, 10, 10], "temporal", { targetChunkSizeMb: t })).toThrow(ConfigError);
    }
  });

  it("rejects mismatched dims/shape, bad lengths and item sizes", () => {
    expect(() => rec([10, 10], "temporal")).toThrow(ConversionError);
    expect(() => rec([10, -1, 10], "temporal")).toThrow(ConversionError);
    expect(() => rec([10, 1.5, 10], "temporal")).toThrow(ConversionError);
    expect(() => rec([10, 10, 10], "temporal", { itemSize: 0 })).toThrow(ConversionError);
  });
});

describe("integerRoot", () => {
  it("is exact at perfect powers where ** is not", () => {
    expect(integerRoot(262144, 2)).toBe(512);
    expect(integerRoot(262144, 3)).toBe(64);
    expect(integerRoot(1e6, 3)).toBe(100);
    expect(integerRoot(3 ** 20, 5)).toBe(81);
    expect(integerRoot(2 ** 50, 5)).toBe(1024);
    expect(integerRoot(7, 1)).toBe(7);
    expect(integerRoot(7.9, 1)).toBe(7);
    expect(integerRoot(0, 3)).toBe(0);
    expect(integerRoot(0.5, 2)).toBe(0);
  });

  it("is floor(x^(1/n)) over many values, just below and at powers", () => {
    for (let n = 2; n <= 5; n++) {
      for (let r = 1; r < 400; r += 7) {
        expect(integerRoot(r ** n, n)).toBe(r);
        expect(integerRoot(r ** n - 0.5, n)).toBe(r - 1);
        expect(integerRoot(r ** n + 0.5, n)).toBe(r);
      }
    }
  });
});

describe("small-chunk advice", () => {
  it("says to lengthen the time chunk when the chunks already hold whole maps", () => {
    const rec = recommendChunks({
      dims: ["time", "lat", "lon"],
      shape: [10000, 30, 60],
      itemSize: 4,
      timeDim: "time",
      pattern: "temporal",
      targetChunkSizeMb: 50,
    });
    expect(rec.chunks).toEqual([100, 30, 60]);
    expect(rec.warnings.join(" ")).toMatch(/already holds whole maps.*chunking/);
    expect(rec.warnings.join(" ")).not.toMatch(/raise the target/);
  });
  it("says to raise the target when the maps are cut", () => {
    const rec = recommendChunks({
      dims: ["time", "lat", "lon"],
      shape: [10000, 721, 1440],
      itemSize: 4,
      timeDim: "time",
      pattern: "temporal",
      targetChunkSizeMb: 0.5,
    });
    expect(rec.warnings.join(" ")).toMatch(/raise the target chunk size/);
  });
});

describe("an array no larger than the target", () => {
  it("stays whole, one chunk, for every pattern, without a small-chunk warning", () => {
    // xarray-data_eraint_uvz.nc's z: int16 2×3×241×480 = 1.32 MB, no time dimension. The seed's
    // formula gives 71×71 maps (0.06 MB, 28 chunks) and then warns about them.
    const req = {
      dims: ["month", "level", "latitude", "longitude"],
      shape: [2, 3, 241, 480],
      itemSize: 2,
      targetChunkSizeMb: 50,
    };
    for (const r of Object.values(recommendAll(req))) {
      expect(r.chunks).toEqual([2, 3, 241, 480]);
      expect(r.chunkBytes).toBe(2 * 3 * 241 * 480 * 2);
      expect(r.warnings).toEqual([]);
    }
  });

  it("with a time dimension too: the whole series is one chunk", () => {
    expect(rec([1000, 10, 10], "temporal").chunks).toEqual([1000, 10, 10]);
    expect(rec([1000, 10, 10], "spatial").warnings).toEqual([]);
  });

  it("exactly the target size is still whole; one element more is cut", () => {
    const target = 1; // MiB: 262144 float32
    expect(rec([4, 256, 256], "balanced", { targetChunkSizeMb: target }).chunks).toEqual([
      4, 256, 256,
    ]);
    const cut = rec([5, 256, 256], "balanced", { targetChunkSizeMb: target });
    expect(cut.chunks).not.toEqual([5, 256, 256]);
  });

  it("keeps the warning about a target outside 1–100 MB", () => {
    const r = rec([10, 10, 10], "balanced", { targetChunkSizeMb: 500 });
    expect(r.chunks).toEqual([10, 10, 10]);
    expect(r.warnings).toEqual(["target chunk size of 500 MB is outside the recommended 1–100 MB"]);
  });
});
