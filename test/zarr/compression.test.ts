import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import {
  type CompressionConfig,
  type CompressionSpec,
  formatCompression,
  parseCompression,
} from "../../src/zarr/compression.js";

const blosc = (cname: string, clevel: number, shuffle: string): CompressionSpec =>
  ({ method: "blosc", cname, clevel, shuffle, blocksize: 0 }) as CompressionSpec;

describe("parseCompression strings", () => {
  const valid: [string, CompressionSpec][] = [
    ["none", { method: "none" }],
    ["gzip", { method: "gzip", level: 5 }],
    ["gzip:0", { method: "gzip", level: 0 }],
    ["gzip:9", { method: "gzip", level: 9 }],
    ["zlib", { method: "zlib", level: 5 }],
    ["zlib:1", { method: "zlib", level: 1 }],
    ["zstd", { method: "zstd", level: 3 }],
    ["zstd:1", { method: "zstd", level: 1 }],
    ["zstd:22", { method: "zstd", level: 22 }],
    ["lz4", { method: "lz4" }],
    ["blosc", blosc("zstd", 3, "shuffle")],
    ["blosc:lz4", blosc("lz4", 3, "shuffle")],
    ["blosc:zstd:3", blosc("zstd", 3, "shuffle")],
    ["blosc:zstd:0", blosc("zstd", 0, "shuffle")],
    ["blosc:lz4hc:9:bitshuffle", blosc("lz4hc", 9, "bitshuffle")],
    ["blosc:zlib:1:noshuffle", blosc("zlib", 1, "noshuffle")],
    ["blosc:blosclz:5:shuffle", blosc("blosclz", 5, "shuffle")],
    ["  BLOSC:ZSTD:2  ", blosc("zstd", 2, "shuffle")],
  ];
  for (const [input, spec] of valid) {
    it(`parses ${JSON.stringify(input)}`, () => {
      expect(parseCompression(input)).toEqual(spec);
    });
  }

  it("formats back to a string that parses to the same spec", () => {
    for (const [input] of valid) {
      const spec = parseCompression(input);
      expect(parseCompression(formatCompression(spec))).toEqual(spec);
    }
  });

  const invalid: [string, RegExp][] = [
    ["", /empty/],
    ["gzip:10", /gzip level must be an integer from 0 to 9/],
    ["gzip:-1", /gzip level/],
    ["gzip:x", /not an integer/],
    ["gzip:1:2", /at most one parameter/],
    ["zlib:12", /zlib level/],
    ["zstd:0", /zstd level must be an integer from 1 to 22/],
    ["zstd:23", /zstd level/],
    ["zstd:3.5", /not an integer/],
    ["lz4:1", /lz4 takes no parameters/],
    ["none:1", /none takes no parameters/],
    ["blosc:snappy", /snappy is not supported/],
    ["blosc:foo", /unknown blosc cname "foo"/],
    ["blosc:zstd:10", /blosc level must be an integer from 0 to 9/],
    ["blosc:zstd:3:sideways", /unknown shuffle "sideways"/],
    ["blosc:zstd:3:shuffle:1", /at most three parameters/],
    ["blosc::3", /empty parameter/],
    ["brotli", /unknown method "brotli"/],
    ["zstd:", /not an integer/],
  ];
  for (const [input, pattern] of invalid) {
    it(`rejects ${JSON.stringify(input)} with a ConfigError that lists the valid forms`, () => {
      let caught: unknown;
      try {
        parseCompression(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      const err = caught as ConfigError;
      expect(err.message).toMatch(pattern);
      expect(err.message).toContain(JSON.stringify(input));
      expect(err.hint).toMatch(/blosc\[:cname\[:clevel/);
    });
  }
});

describe("parseCompression config objects", () => {
  it("accepts the seed's CompressionConfig(method='blosc:zstd:2', clevel=2, shuffle='shuffle')", () => {
    expect(parseCompression({ method: "blosc:zstd:2", clevel: 2, shuffle: "shuffle" })).toEqual(
      blosc("zstd", 2, "shuffle"),
    );
  });

  it("fills in what the string left out", () => {
    expect(
      parseCompression({ method: "blosc", cname: "lz4", clevel: 7, shuffle: "bitshuffle" }),
    ).toEqual(blosc("lz4", 7, "bitshuffle"));
    expect(parseCompression({ method: "blosc:zstd", clevel: 1 })).toEqual(
      blosc("zstd", 1, "shuffle"),
    );
    expect(parseCompression({ method: "zstd", clevel: 9 })).toEqual({ method: "zstd", level: 9 });
    expect(parseCompression({ method: "gzip", clevel: 1 })).toEqual({ method: "gzip", level: 1 });
    expect(parseCompression({ method: "zlib", shuffle: "noshuffle" })).toEqual({
      method: "zlib",
      level: 5,
    });
    expect(parseCompression({ method: "none" })).toEqual({ method: "none" });
  });

  const bad: [CompressionConfig, RegExp][] = [
    [{ method: "blosc:zstd:2", clevel: 5 }, /clevel 5 contradicts 2/],
    [
      { method: "blosc:zstd:2:shuffle", shuffle: "bitshuffle" },
      /shuffle "bitshuffle" contradicts "shuffle"/,
    ],
    [{ method: "blosc:zstd", cname: "lz4" }, /cname "lz4" contradicts "zstd"/],
    [{ method: "zstd:3", clevel: 4 }, /contradicts/],
    [{ method: "gzip", shuffle: "shuffle" }, /shuffle applies only to blosc/],
    [{ method: "zstd", cname: "lz4" }, /cname applies only to blosc/],
    [{ method: "lz4", clevel: 3 }, /lz4 takes no level/],
    [{ method: "none", clevel: 1 }, /none takes no level/],
    [{ method: "blosc", clevel: 11 }, /blosc level/],
    [{ method: "blosc", shuffle: "bit" }, /unknown shuffle/],
    [{ method: "zstd", clevel: 2.5 }, /zstd level/],
  ];
  for (const [config, pattern] of bad) {
    it(`rejects ${JSON.stringify(config)}`, () => {
      expect(() => parseCompression(config)).toThrow(ConfigError);
      expect(() => parseCompression(config)).toThrow(pattern);
    });
  }

  it("rejects non-string, non-object input", () => {
    expect(() => parseCompression(42 as unknown as string)).toThrow(ConfigError);
  });
});
