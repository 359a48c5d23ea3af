import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import {
  CONFIG_KEYS,
  type ConfigInput,
  mergeConfigInputs,
  resolveConfig,
  validateConfigInput,
} from "../../src/config/schema.js";
import { ConfigError } from "../../src/errors.js";
import { closest } from "../../src/suggest.js";

/** Inputs written as a config file or JSON would have them, untyped. */
const resolve = (cli: unknown, more: { env?: unknown; file?: unknown } = {}) =>
  resolveConfig({
    cli: cli as ConfigInput,
    env: more.env as ConfigInput,
    file: more.file as ConfigInput,
  });

describe("defaults", () => {
  it("fills every default", () => {
    expect(resolveConfig()).toEqual({
      packing: {
        enabled: false,
        bits: 16,
        manualRanges: {},
        autoBufferFactor: 0.01,
        checkRangeExceeded: true,
        rangeExceededAction: "warn",
        exclude: [],
      },
      zarrFormat: 3,
      targetChunkSizeMb: 50,
      accessPattern: "balanced",
      intelligentChunking: false,
      retriesOnMissing: 0,
      missingCheckVars: "all",
      jobs: availableParallelism(),
      appendDim: "time",
      onOverlap: "skip",
    });
  });

  it("turns packing on with the packing defaults when given as true or as an object", () => {
    expect(resolve({ packing: true }).packing).toMatchObject({ enabled: true, bits: 16 });
    expect(resolve({ packing: { bits: 8 } }).packing).toMatchObject({ enabled: true, bits: 8 });
    expect(resolve({ packing: { enabled: false, bits: 8 } }).packing.enabled).toBe(false);
  });

  it("resolves its own output to itself", () => {
    const once = resolve({
      packing: { manual_ranges: { t2m: { min: 180, max: 340 } } },
      shards: { time: 720 },
    });
    expect(resolveConfig({ cli: once })).toEqual(once);
  });
});

describe("spellings", () => {
  it("accepts snake_case, kebab-case and camelCase keys, nested ones too", () => {
    const snake = resolve({
      target_chunk_size_mb: 25,
      retries_on_missing: 3,
      missing_check_vars: ["t2m"],
      time_dim: "valid_time",
      zarr_format: 2,
      access_pattern: "temporal",
      intelligent_chunking: true,
      drop_variables: ["x"],
      append_dim: "step",
      on_overlap: "error",
      packing: {
        manual_ranges: { t2m: { min: 180, max: 340 } },
        auto_buffer_factor: 0.05,
        check_range_exceeded: false,
        range_exceeded_action: "error",
      },
    });
    expect(snake).toMatchObject({
      targetChunkSizeMb: 25,
      retriesOnMissing: 3,
      missingCheckVars: ["t2m"],
      timeDim: "valid_time",
      zarrFormat: 2,
      accessPattern: "temporal",
      intelligentChunking: true,
      dropVariables: ["x"],
      appendDim: "step",
      onOverlap: "error",
      packing: {
        enabled: true,
        manualRanges: { t2m: { min: 180, max: 340 } },
        autoBufferFactor: 0.05,
        checkRangeExceeded: false,
        rangeExceededAction: "error",
      },
    });
    expect(resolve({ "target-chunk-size-mb": 10 }).targetChunkSizeMb).toBe(10);
  });

  it("never renames dimension, variable or attribute names", () => {
    const c = resolve({
      chunking: { valid_time: 10, grid_x: 5 },
      attrs: { source_file: "a.nc" },
      packing: { manual_ranges: { sea_ice: { min: 0, max: 1 } } },
    });
    expect(c.chunking).toEqual({ valid_time: 10, grid_x: 5 });
    expect(c.attrs).toEqual({ source_file: "a.nc" });
    expect(Object.keys(c.packing.manualRanges)).toEqual(["sea_ice"]);
  });

  it("takes the seed's forms: chunking object, compression object, PackingConfig", () => {
    const c = resolve({
      chunking: { time: 100, lat: 50, lon: 100 },
      compression: { method: "blosc:zstd:2", clevel: 2, shuffle: "shuffle" },
      packing: { enabled: true, bits: 16 },
      retries_on_missing: 3,
      missing_check_vars: "all",
    });
    expect(c.chunking).toEqual({ time: 100, lat: 50, lon: 100 });
    expect(c.compression).toEqual({ method: "blosc:zstd:2", clevel: 2, shuffle: "shuffle" });
    expect(c.packing).toMatchObject({ enabled: true, bits: 16 });
  });

  it("reads strings for records and lists", () => {
    const c = resolve({
      chunking: "time:10,lat:5",
      shards: "time:720",
      variables: "t2m, u10",
      drop_variables: "x",
      missing_check_vars: "t2m,u10",
      packing: { exclude: "lat_bnds,lon_bnds" },
    });
    expect(c.chunking).toEqual({ time: 10, lat: 5 });
    expect(c.shards).toEqual({ time: 720 });
    expect(c.variables).toEqual(["t2m", "u10"]);
    expect(c.dropVariables).toEqual(["x"]);
    expect(c.missingCheckVars).toEqual(["t2m", "u10"]);
    expect(c.packing.exclude).toEqual(["lat_bnds", "lon_bnds"]);
    expect(resolve({ missing_check_vars: null }).missingCheckVars).toBe("none");
    expect(resolve({ missing_check_vars: "none" }).missingCheckVars).toBe("none");
  });
});

describe("unknown and doubled keys", () => {
  it.each([
    [{ chunk_size: 5 }, /^options: unknown option 'chunk_size'; did you mean 'chunking'\?$/],
    [{ target_chunk_size: 5 }, /did you mean 'target_chunk_size_mb'\?/],
    [{ targetChunkSize: 5 }, /did you mean 'targetChunkSizeMb'\?/],
    [{ zarrFromat: 2 }, /did you mean 'zarrFormat'\?/],
    [{ xyzzy: 1 }, /unknown option 'xyzzy'; valid options: chunking, compression, packing,/],
    [{ packing: { bitz: 8 } }, /unknown packing option 'bitz'; did you mean 'bits'\?/],
    [
      { packing: { manual_range: {} } },
      /unknown packing option 'manual_range'; did you mean 'manual_ranges'\?/,
    ],
    [
      { compression: { method: "zstd", level: 3 } },
      /unknown compression key 'level'; did you mean 'clevel'\?/,
    ],
    [
      { packing: { manualRanges: { t: { minimum: 0, max: 1 } } } },
      /unknown range key 'minimum'; did you mean 'min'\?/,
    ],
    [
      { zarr_format: 2, zarrFormat: 3 },
      /'zarr_format' and 'zarrFormat' are the same option; give it once/,
    ],
  ])("%j → %s", (input, message) => {
    expect(() => resolve(input)).toThrow(ConfigError);
    expect(() => resolve(input)).toThrow(message);
  });

  it("suggests only plausible typos", () => {
    expect(closest("chunk_size", CONFIG_KEYS)).toBe("chunking");
    expect(closest("completely_different", CONFIG_KEYS)).toBeUndefined();
  });
});

describe("value errors", () => {
  it.each([
    [{ chunking: { time: 0 } }, "'chunking.time' must be a positive integer"],
    [{ chunking: { time: 2.5 } }, "'chunking.time' must be a positive integer"],
    [{ chunking: { time: "10" } }, "'chunking.time' must be a positive integer"],
    [{ chunking: "time:0" }, "'time:0': the length must be a positive integer"],
    [{ chunking: [1, 2] }, "'chunking' must be a mapping, not array"],
    [{ compression: 5 }, "'compression' must be a string such as 'blosc:zstd:3' or an object"],
    [{ compression: "  " }, "'compression' cannot be empty"],
    [{ compression: { clevel: 3 } }, "'compression.method' is required"],
    [{ packing: "yes" }, "'packing' must be true, false or a packing object"],
    [{ packing: { bits: 12 } }, "'packing.bits' must be 8, 16 or 32"],
    [{ packing: { enabled: "on" } }, "'packing.enabled' must be true or false, not string"],
    [
      { packing: { manualRanges: { t: { min: 5, max: 1 } } } },
      "'packing.manualRanges.t' min must be less than max",
    ],
    [{ packing: { manualRanges: { t: { min: 5 } } } }, "'packing.manualRanges.t.max' is required"],
    [
      { packing: { manualRanges: { t: { min: "a", max: 1 } } } },
      "'packing.manualRanges.t.min' min must be a number",
    ],
    [{ packing: { autoBufferFactor: -0.1 } }, "'packing.autoBufferFactor' must be at least 0"],
    [{ packing: { autoBufferFactor: 2 } }, "'packing.autoBufferFactor' must be at most 1"],
    [
      { packing: { checkRangeExceeded: 1 } },
      "'packing.checkRangeExceeded' must be true or false, not number",
    ],
    [
      { packing: { rangeExceededAction: "panic" } },
      "'packing.rangeExceededAction' must be one of warn, error, ignore, not 'panic'",
    ],
    [{ packing: { exclude: [1] } }, "'packing.exclude.0' must be a string, not number"],
    [{ variables: [""] }, "'variables.0' cannot be empty"],
    [{ chunking: { "": 5 } }, "'chunking' has an empty name"],
    [{ variables: 5 }, "'variables' must be a list of names (or one comma-separated string)"],
    [{ drop_variables: {} }, "'dropVariables' must be a list of names"],
    [{ attrs: "title" }, "'attrs' must be a mapping, not string"],
    [
      { attrs: { flag: true } },
      "'attrs.flag' must be a string, a number, or a list of strings or of numbers",
    ],
    [{ time_dim: "" }, "'timeDim' cannot be empty"],
    [{ zarr_format: 4 }, "'zarrFormat' must be 2 or 3"],
    [{ zarr_format: "3" }, "'zarrFormat' must be 2 or 3"],
    [{ group: 7 }, "'group' must be a string, not number"],
    [{ target_chunk_size_mb: 0 }, "'targetChunkSizeMb' must be greater than 0"],
    [{ target_chunk_size_mb: "big" }, "'targetChunkSizeMb' must be a number"],
    [
      { access_pattern: "random" },
      "'accessPattern' must be one of temporal, spatial, balanced, not 'random'",
    ],
    [{ intelligent_chunking: "yes" }, "'intelligentChunking' must be true or false, not string"],
    [{ retries_on_missing: -1 }, "'retriesOnMissing' must be 0 or more"],
    [{ retries_on_missing: 1.5 }, "'retriesOnMissing' must be a whole number"],
    [
      { missing_check_vars: 3 },
      '\'missingCheckVars\' must be "all", "none" or a list of variable names',
    ],
    [{ missing_check_vars: ["a", 3] }, "'missingCheckVars.1' must be a string, not number"],
    [{ jobs: 0 }, "'jobs' must be a positive integer"],
    [{ shards: { time: -1 } }, "'shards.time' must be a positive integer"],
    [{ append_dim: "" }, "'appendDim' cannot be empty"],
    [{ on_overlap: "merge" }, "'onOverlap' must be one of skip, error, overwrite, not 'merge'"],
  ])("%j → %s", (input, message) => {
    expect(() => resolve(input)).toThrow(ConfigError);
    expect(() => resolve(input)).toThrow(message);
  });

  it("checks options against each other after merging", () => {
    expect(() => resolve({ shards: { time: 720 } }, { file: { zarr_format: 2 } })).toThrow(
      /^configuration: 'shards' needs zarrFormat 3/,
    );
  });

  it("says which layer a bad value came from", () => {
    expect(() => resolve({}, { file: { jobs: 0 } })).toThrow(/^config file: 'jobs'/);
    expect(() => resolve({}, { env: { jobs: 0 } })).toThrow(/^environment: 'jobs'/);
    expect(() => resolve({ jobs: 0 })).toThrow(/^options: 'jobs'/);
    expect(() => validateConfigInput([1, 2], { name: "x.yaml" })).toThrow(
      /^x.yaml: expected a mapping of option names to values/,
    );
  });
});

describe("precedence and merging", () => {
  it("CLI > environment > file > defaults, option by option", () => {
    const c = resolve(
      { zarr_format: 2 },
      {
        env: { zarr_format: 3, target_chunk_size_mb: 25, jobs: 3 },
        file: { zarr_format: 3, target_chunk_size_mb: 10, access_pattern: "spatial", jobs: 1 },
      },
    );
    expect(c.zarrFormat).toBe(2);
    expect(c.targetChunkSizeMb).toBe(25);
    expect(c.accessPattern).toBe("spatial");
    expect(c.jobs).toBe(3);
    expect(c.onOverlap).toBe("skip");
  });

  it("merges packing field by field and manual ranges variable by variable", () => {
    const c = resolve(
      { packing: { bits: 8 } },
      {
        env: { packing: { manualRanges: { u10: { min: -50, max: 50 } } } },
        file: {
          packing: {
            enabled: true,
            manual_ranges: { t2m: { min: 180, max: 340 }, u10: { min: -80, max: 80 } },
            exclude: ["sst"],
          },
        },
      },
    );
    expect(c.packing).toEqual({
      enabled: true,
      bits: 8,
      manualRanges: { t2m: { min: 180, max: 340 }, u10: { min: -50, max: 50 } },
      autoBufferFactor: 0.01,
      checkRangeExceeded: true,
      rangeExceededAction: "warn",
      exclude: ["sst"],
    });
  });

  it("lets packing: false switch off a packing object from below, keeping its settings", () => {
    const c = resolve({ packing: false }, { file: { packing: { bits: 8 } } });
    expect(c.packing).toMatchObject({ enabled: false, bits: 8 });
    expect(resolve({ packing: true }, { file: { packing: { bits: 8 } } }).packing).toMatchObject({
      enabled: true,
      bits: 8,
    });
  });

  it("merges chunking, shards and attrs key by key; replaces compression and lists whole", () => {
    const c = resolve(
      { chunking: "time:10", attrs: { title: "cli" }, compression: "zstd:3", variables: ["a"] },
      {
        file: {
          chunking: { time: 100, lat: 50 },
          shards: { time: 720 },
          attrs: { title: "file", institution: "x" },
          compression: { method: "blosc", clevel: 5 },
          variables: ["b", "c"],
        },
      },
    );
    expect(c.chunking).toEqual({ time: 10, lat: 50 });
    expect(c.shards).toEqual({ time: 720 });
    expect(c.attrs).toEqual({ title: "cli", institution: "x" });
    expect(c.compression).toBe("zstd:3");
    expect(c.variables).toEqual(["a"]);
  });

  it("ignores undefined values in higher layers", () => {
    expect(mergeConfigInputs({ jobs: 4 }, { jobs: undefined }, undefined)).toEqual({ jobs: 4 });
  });
});
