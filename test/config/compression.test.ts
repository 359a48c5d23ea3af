/**
 * A bad compression setting fails when the configuration is parsed — library constructor,
 * convertToZarr, config file, environment, CLI flag — as a ConfigError naming where it came
 * from, the bad part and the valid choices, before any file is opened or written.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configFromEnv } from "../../src/config/env.js";
import { parseConfigText } from "../../src/config/file.js";
import { resolveConfig } from "../../src/config/schema.js";
import { ZarrConverter } from "../../src/converter.js";
import { ConfigError } from "../../src/errors.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/paths.js";

function caught(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("compression is validated with the configuration", () => {
  it("new ZarrConverter refuses an unknown blosc cname and lists the cnames", () => {
    const err = caught(() => new ZarrConverter({ compression: "blosc:nosuch:3" }));
    expect(err.message).toBe(
      `options: 'compression' "blosc:nosuch:3" is invalid: unknown blosc cname "nosuch" (valid: zstd, lz4, lz4hc, zlib, blosclz)`,
    );
    expect(err.hint).toMatch(/^Valid forms: none, gzip\[:level 0-9\].*zstd\[:level 1-22\]/);
  });

  it.each([
    ["zstd:99", /zstd level must be an integer from 1 to 22, got 99/],
    ["gzip:10", /gzip level must be an integer from 0 to 9/],
    [
      "blosc:zstd:3:sideways",
      /unknown shuffle "sideways" \(valid: noshuffle, shuffle, bitshuffle\)/,
    ],
    ["brotli", /unknown method "brotli" \(valid: none, gzip, zlib, zstd, lz4, blosc\)/],
    ["lz4:1", /lz4 takes no parameters/],
  ])("new ZarrConverter refuses %j", (compression, pattern) => {
    expect(caught(() => new ZarrConverter({ compression })).message).toMatch(pattern);
  });

  it("checks the object form with the same rules", () => {
    const err = caught(
      () => new ZarrConverter({ compression: { method: "blosc", cname: "lzma" } }),
    );
    expect(err.message).toMatch(/^options: 'compression' \{"method":"blosc","cname":"lzma"\}/);
    expect(err.message).toMatch(/unknown blosc cname "lzma"/);
    expect(
      caught(() => resolveConfig({ cli: { compression: { method: "zstd:3", clevel: 4 } } }))
        .message,
    ).toMatch(/contradicts/);
  });

  it("keeps a valid value as given (it is parsed again where it is used)", () => {
    expect(new ZarrConverter({ compression: " BLOSC:lz4 " }).config.compression).toBe("BLOSC:lz4");
    expect(
      resolveConfig({ cli: { compression: { method: "zstd", clevel: 9 } } }).compression,
    ).toEqual({ method: "zstd", clevel: 9 });
  });

  it("convertToZarr fails before opening the input or creating the output", async () => {
    const out = join(tempDir(), "out.zarr");
    await expect(
      convertToZarr("/nonexistent/input.nc", out, { compression: "zstd:99" }),
    ).rejects.toThrow(/'compression' "zstd:99" is invalid: zstd level/);
    expect(existsSync(out)).toBe(false);
  });

  it("a config file's compression names the file and line", () => {
    const err = caught(() =>
      parseConfigText("zarr_format: 2\ncompression: blosc:zstd:12\n", "era5.yaml"),
    );
    expect(err.message).toMatch(
      /^era5\.yaml:2: 'compression' "blosc:zstd:12" is invalid: blosc level/,
    );
    expect(err.hint).toMatch(/Valid forms/);
  });

  it("ZARRIFY_COMPRESSION is checked when the environment is read, naming the variable", () => {
    const err = caught(() => configFromEnv({ ZARRIFY_COMPRESSION: "gzip:x" }));
    expect(err.message).toBe(
      `environment: ZARRIFY_COMPRESSION "gzip:x" is invalid: level "x" is not an integer`,
    );
    expect(err.hint).toMatch(/Valid forms/);
    // The JSON object form too.
    expect(
      caught(() => configFromEnv({ ZARRIFY_COMPRESSION: '{"method": "blosc", "clevel": 11}' }))
        .message,
    ).toMatch(/ZARRIFY_COMPRESSION .* blosc level must be an integer from 0 to 9, got 11/);
  });

  it("the CLI flag exits 2 with the reason and the valid forms, writing nothing", () => {
    const dir = tempDir();
    const input = join(dir, "in.nc");
    writeFileSync(input, "not read: the options fail first");
    const out = join(dir, "out.zarr");
    const r = runCli(["convert", input, out, "--compression", "blosc:nosuch:3"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /unknown blosc cname "nosuch" \(valid: zstd, lz4, lz4hc, zlib, blosclz\)/,
    );
    expect(r.stderr).toMatch(/hint: Valid forms: /);
    expect(existsSync(out)).toBe(false);
  });
});
