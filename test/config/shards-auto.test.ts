import { describe, expect, it } from "vitest";
import { parseShards } from "../../src/config/chunking.js";
import { configFromEnv } from "../../src/config/env.js";
import { parseConfigText } from "../../src/config/file.js";
import { type ConfigInput, resolveConfig } from "../../src/config/schema.js";
import { ConfigError } from "../../src/errors.js";

describe("shards: auto", () => {
  it("is accepted from options, files (any case) and the environment", () => {
    expect(parseShards("auto")).toBe("auto");
    expect(parseShards(" AUTO ")).toBe("auto");
    expect(resolveConfig({ cli: { shards: "auto" } }).shards).toBe("auto");
    expect(resolveConfig({ file: parseConfigText("shards: Auto\n", "x.yaml") }).shards).toBe(
      "auto",
    );
    expect(resolveConfig({ env: configFromEnv({ ZARRIFY_SHARDS: "auto" }) }).shards).toBe("auto");
    expect(resolveConfig({ env: configFromEnv({ ZARRIFY_SHARDS: "time:720" }) }).shards).toEqual({
      time: 720,
    });
  });

  it("replaces lengths from a lower layer whole, and lengths replace it", () => {
    const file = parseConfigText("shards: {time: 720}\n", "x.yaml");
    expect(resolveConfig({ cli: { shards: "auto" }, file }).shards).toBe("auto");
    const auto = parseConfigText("shards: auto\n", "x.yaml");
    expect(resolveConfig({ cli: { shards: { time: 48 } }, file: auto }).shards).toEqual({
      time: 48,
    });
  });

  it("refuses other strings and Zarr v2, naming the option", () => {
    expect(() => parseConfigText("shards: automatic\n", "x.yaml")).toThrow(
      /^x\.yaml:1: 'shards': 'automatic' is not dim:length/,
    );
    expect(() => resolveConfig({ cli: { shards: 5 } as unknown as ConfigInput })).toThrow(
      /'shards' must be "auto" or shard lengths by dimension/,
    );
    let err: unknown;
    try {
      resolveConfig({ cli: { shards: "auto", zarrFormat: 2 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `configuration: 'shards' is "auto", which needs zarrFormat 3 (Zarr v2 has no sharding)`,
    );
    expect(String((err as ConfigError).hint)).toMatch(/zarrFormat.*3.*shards/);
  });
});
