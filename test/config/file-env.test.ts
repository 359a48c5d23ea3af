import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, ENV_VARS } from "../../src/config/env.js";
import { loadConfigFile, parseConfigText } from "../../src/config/file.js";
import { PACKING_KEYS } from "../../src/config/packing.js";
import { CONFIG_KEYS, resolveConfig } from "../../src/config/schema.js";
import { ConfigError } from "../../src/errors.js";
import { tempDir } from "../helpers/paths.js";

let dir: string;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => {
  dir = tempDir("zarrify-config-");
});

const SEED_YAML = `# the seed's Python example, as a file
chunking:
  time: 100
  lat: 50
  lon: 100
compression:
  method: blosc:zstd:2
  clevel: 2
  shuffle: shuffle
packing:
  enabled: true
  bits: 16
  manual_ranges:
    t2m: {min: 180, max: 340}
retries_on_missing: 3
missing_check_vars: all
target_chunk_size_mb: 25
zarr_format: 2
`;

describe("config files", () => {
  it("reads snake_case YAML", async () => {
    const c = await loadConfigFile(file("seed.yaml", SEED_YAML));
    expect(c).toEqual({
      chunking: { time: 100, lat: 50, lon: 100 },
      compression: { method: "blosc:zstd:2", clevel: 2, shuffle: "shuffle" },
      packing: { enabled: true, bits: 16, manualRanges: { t2m: { min: 180, max: 340 } } },
      retriesOnMissing: 3,
      missingCheckVars: "all",
      targetChunkSizeMb: 25,
      zarrFormat: 2,
    });
  });

  it("reads camelCase JSON, and .yml", async () => {
    const json = await loadConfigFile(
      file("c.json", JSON.stringify({ targetChunkSizeMb: 10, packing: true, variables: ["t2m"] })),
    );
    expect(json).toEqual({ targetChunkSizeMb: 10, packing: { enabled: true }, variables: ["t2m"] });
    expect(await loadConfigFile(file("c.yml", "jobs: 2\n"))).toEqual({ jobs: 2 });
  });

  it("tells JSON from YAML by content when the name has no known extension", async () => {
    expect(await loadConfigFile(file("conf", '{"jobs": 3}'))).toEqual({ jobs: 3 });
    expect(await loadConfigFile(file("conf.txt", "jobs: 4"))).toEqual({ jobs: 4 });
    expect(parseConfigText("jobs: 5", "anything", "yaml")).toEqual({ jobs: 5 });
  });

  it("treats an empty file as no settings", async () => {
    expect(await loadConfigFile(file("empty.yaml", "# nothing yet\n"))).toEqual({});
  });

  it("names a missing file, or a directory", async () => {
    const missing = join(dir, "nope.yaml");
    await expect(loadConfigFile(missing)).rejects.toThrow(ConfigError);
    await expect(loadConfigFile(missing)).rejects.toThrow(`config file ${missing} does not exist`);
    mkdirSync(join(dir, "d.yaml"));
    await expect(loadConfigFile(join(dir, "d.yaml"))).rejects.toThrow(/d\.yaml is a directory/);
  });

  it.each([
    ["bad.yaml", "jobs: 2\nchunking: [1, 2\n", /bad\.yaml:3: not valid YAML: Flow sequence/],
    ["dup.yaml", "jobs: 2\njobs: 3\n", /dup\.yaml:2: not valid YAML: Map keys must be unique/],
    ["bad.json", '{\n  "jobs": 2,\n  "zarr_format" 3\n}', /bad\.json:3: not valid JSON: /],
    ["trailing.json", '{\n  "jobs": 2,\n}', /trailing\.json:3: not valid JSON/],
    ["list.yaml", "- jobs\n- 2\n", /list\.yaml: expected a mapping of option names to values/],
  ])("%s: syntax errors name the file and line", async (name, text, message) => {
    await expect(loadConfigFile(file(name, text))).rejects.toThrow(message);
  });

  it.each([
    [
      "unknown.json",
      '{\n  "jobs": 2,\n  "chunk_size": 5\n}',
      "unknown.json:3: unknown option 'chunk_size'; did you mean 'chunking'?",
    ],
    [
      "bits.yaml",
      "jobs: 2\npacking:\n  enabled: true\n  bits: 12\n",
      "bits.yaml:4: 'packing.bits' must be 8, 16 or 32",
    ],
    [
      "range.yaml",
      "packing:\n  manual_ranges:\n    t2m:\n      min: 5\n      max: 1\n",
      "range.yaml:3: 'packing.manual_ranges.t2m' min must be less than max",
    ],
    [
      "list.yaml",
      "variables:\n  - t2m\n  - 7\n",
      "list.yaml:3: 'variables.1' must be a string, not number",
    ],
    [
      "chunks.yaml",
      "jobs: 1\nchunking: time:0\n",
      "chunks.yaml:2: 'chunking': 'time:0': the length must be a positive integer",
    ],
    ["fmt.json", '{"zarrFormat": 4}', "fmt.json:1: 'zarrFormat' must be 2 or 3"],
  ])("%s: value errors name the file, line and option as written", async (name, text, message) => {
    const promise = loadConfigFile(file(name, text));
    await expect(promise).rejects.toThrow(ConfigError);
    await expect(loadConfigFile(join(dir, name))).rejects.toThrow(message);
  });
});

describe("configFromEnv", () => {
  it("coerces every kind of value", () => {
    expect(
      configFromEnv({
        ZARRIFY_TARGET_CHUNK_SIZE_MB: "25",
        ZARRIFY_COMPRESSION: "zstd:3",
        ZARRIFY_ZARR_FORMAT: "2",
        ZARRIFY_CHUNKING: "time:10,lat:5",
        ZARRIFY_SHARDS: "time:720",
        ZARRIFY_VARIABLES: "t2m,u10",
        ZARRIFY_DROP_VARIABLES: "x",
        ZARRIFY_ATTRS: '{"title": "From env"}',
        ZARRIFY_TIME_DIM: "valid_time",
        ZARRIFY_GROUP: "/grp1",
        ZARRIFY_ACCESS_PATTERN: "temporal",
        ZARRIFY_INTELLIGENT_CHUNKING: "yes",
        ZARRIFY_RETRIES_ON_MISSING: "3",
        ZARRIFY_MISSING_CHECK_VARS: "t2m",
        ZARRIFY_JOBS: "4",
        ZARRIFY_APPEND_DIM: "time",
        ZARRIFY_ON_OVERLAP: "overwrite",
        ZARRIFY_PACKING_BITS: "8",
        ZARRIFY_PACKING_AUTO_BUFFER_FACTOR: "0.05",
        ZARRIFY_PACKING_CHECK_RANGE_EXCEEDED: "0",
        ZARRIFY_PACKING_RANGE_EXCEEDED_ACTION: "error",
        ZARRIFY_PACKING_EXCLUDE: "sst",
        ZARRIFY_PACKING_MANUAL_RANGES: '{"t2m": {"min": 180, "max": 340}}',
      }),
    ).toEqual({
      targetChunkSizeMb: 25,
      compression: "zstd:3",
      zarrFormat: 2,
      chunking: { time: 10, lat: 5 },
      shards: { time: 720 },
      variables: ["t2m", "u10"],
      dropVariables: ["x"],
      attrs: { title: "From env" },
      timeDim: "valid_time",
      group: "/grp1",
      accessPattern: "temporal",
      intelligentChunking: true,
      retriesOnMissing: 3,
      missingCheckVars: ["t2m"],
      jobs: 4,
      appendDim: "time",
      onOverlap: "overwrite",
      packing: {
        bits: 8,
        autoBufferFactor: 0.05,
        checkRangeExceeded: false,
        rangeExceededAction: "error",
        exclude: ["sst"],
        manualRanges: { t2m: { min: 180, max: 340 } },
      },
    });
  });

  it("has a variable for every option and packing field", () => {
    expect(ENV_VARS).toContain("ZARRIFY_TARGET_CHUNK_SIZE_MB");
    expect(ENV_VARS.length).toBe(CONFIG_KEYS.length + PACKING_KEYS.length);
  });

  it("takes a JSON compression object and combines ZARRIFY_PACKING with its field variables", () => {
    expect(
      configFromEnv({ ZARRIFY_COMPRESSION: '{"method": "blosc", "clevel": 5}' }).compression,
    ).toEqual({
      method: "blosc",
      clevel: 5,
    });
    expect(configFromEnv({ ZARRIFY_PACKING: "true", ZARRIFY_PACKING_BITS: "8" }).packing).toEqual({
      enabled: true,
      bits: 8,
    });
    expect(configFromEnv({ ZARRIFY_PACKING_BITS: "8", ZARRIFY_PACKING: "off" }).packing).toEqual({
      enabled: false,
      bits: 8,
    });
    expect(
      configFromEnv({
        ZARRIFY_PACKING: '{"bits": 32, "exclude": ["a"]}',
        ZARRIFY_PACKING_BITS: "8",
      }).packing,
    ).toEqual({ bits: 8, exclude: ["a"] });
  });

  it("ignores empty values and other programs' ZARRIFY_ variables", () => {
    expect(
      configFromEnv({
        ZARRIFY_JOBS: "",
        ZARRIFY_SKIP_PYTHON_INTEROP: "1",
        HOME: "/root",
        PATH: "/bin",
      }),
    ).toEqual({});
  });

  it.each([
    [
      { ZARRIFY_TARGET_CHUNK_SIZE_MB: "big" },
      "environment: ZARRIFY_TARGET_CHUNK_SIZE_MB must be a number, not 'big'",
    ],
    [
      { ZARRIFY_TARGET_CHUNK_SIZE_MB: "-5" },
      "environment: ZARRIFY_TARGET_CHUNK_SIZE_MB must be greater than 0",
    ],
    [{ ZARRIFY_ZARR_FORMAT: "4" }, "environment: ZARRIFY_ZARR_FORMAT must be 2 or 3"],
    [{ ZARRIFY_JOBS: "1.5" }, "environment: ZARRIFY_JOBS must be a positive integer"],
    [
      { ZARRIFY_INTELLIGENT_CHUNKING: "maybe" },
      "environment: ZARRIFY_INTELLIGENT_CHUNKING must be true or false (or 1/0, yes/no, on/off), not 'maybe'",
    ],
    [
      { ZARRIFY_PACKING: "sometimes" },
      "environment: ZARRIFY_PACKING must be true, false or a JSON object, not 'sometimes'",
    ],
    [{ ZARRIFY_ATTRS: "{title: x}" }, "environment: ZARRIFY_ATTRS is not valid JSON"],
    [
      { ZARRIFY_ATTRS: '{"ok": true}' },
      "environment: ZARRIFY_ATTRS ('attrs.ok') must be a string, a number",
    ],
    [
      { ZARRIFY_CHUNKING: "time=10" },
      "environment: ZARRIFY_CHUNKING: 'time=10' is not dim:length (write time:10)",
    ],
    [
      { ZARRIFY_CHUNKING: "time:10,time:20" },
      "environment: ZARRIFY_CHUNKING: dimension 'time' is given twice",
    ],
    [{ ZARRIFY_PACKING_BITS: "12" }, "environment: ZARRIFY_PACKING_BITS must be 8, 16 or 32"],
    [
      { ZARRIFY_PACKING_MANUAL_RANGES: '{"t": {"min": 2, "max": 1}}' },
      "environment: ZARRIFY_PACKING_MANUAL_RANGES ('packing.manualRanges.t') min must be less than max",
    ],
    [
      { ZARRIFY_ACCESS_PATTERN: "diagonal" },
      "environment: ZARRIFY_ACCESS_PATTERN must be one of temporal, spatial, balanced, not 'diagonal'",
    ],
    [
      { ZARRIFY_COMPRESSION: '{"method": "zstd", "level": 3}' },
      "environment: unknown compression key 'level'; did you mean 'clevel'?",
    ],
    [
      { ZARRIFY_TARGET_CHUNK_SIZE: "25" },
      "environment: unknown variable ZARRIFY_TARGET_CHUNK_SIZE; did you mean ZARRIFY_TARGET_CHUNK_SIZE_MB?",
    ],
    [{ ZARRIFY_ZARR_FROMAT: "2" }, "did you mean ZARRIFY_ZARR_FORMAT?"],
  ])("%j → %s", (env, message) => {
    expect(() => configFromEnv(env)).toThrow(ConfigError);
    expect(() => configFromEnv(env)).toThrow(message);
  });
});

describe("resolveConfig over real sources", () => {
  it("CLI > environment > file > defaults", async () => {
    const fileLayer = await loadConfigFile(file("p.yaml", SEED_YAML));
    const env = configFromEnv({
      ZARRIFY_TARGET_CHUNK_SIZE_MB: "40",
      ZARRIFY_ZARR_FORMAT: "3",
      ZARRIFY_JOBS: "2",
    });
    const c = resolveConfig({ cli: { zarrFormat: 2, packing: { bits: 8 } }, env, file: fileLayer });
    expect(c.zarrFormat).toBe(2); // CLI over env over file
    expect(c.targetChunkSizeMb).toBe(40); // env over file
    expect(c.retriesOnMissing).toBe(3); // file over default
    expect(c.jobs).toBe(2);
    expect(c.accessPattern).toBe("balanced"); // default
    expect(c.packing).toMatchObject({
      enabled: true,
      bits: 8,
      manualRanges: { t2m: { min: 180, max: 340 } },
    });
    expect(c.chunking).toEqual({ time: 100, lat: 50, lon: 100 });
  });
});
