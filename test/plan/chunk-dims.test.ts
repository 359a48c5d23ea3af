import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { refuseUnknownChunkDims } from "../../src/plan/chunk-dims.js";

const dims = ["time", "latitude", "longitude"];

describe("refuseUnknownChunkDims", () => {
  it("accepts names of the input's dimensions, and no chunking at all", () => {
    expect(() => refuseUnknownChunkDims({ time: 10, latitude: 5 }, dims, "a.nc")).not.toThrow();
    expect(() => refuseUnknownChunkDims(undefined, dims, "a.nc")).not.toThrow();
  });

  it("refuses a misspelt name, listing the dimensions and the likely one", () => {
    let err: unknown;
    try {
      refuseUnknownChunkDims({ tiem: 10 }, dims, "a.nc");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.message).toBe(
      "chunking: a.nc has no dimension 'tiem' (did you mean 'time'?); its dimensions are time, latitude, longitude",
    );
    expect(e.hint).toContain("chunking: { time: 10 }");
    expect(e.hintFor("cli")).toContain("--chunking time:10");
  });

  it("names every unknown dimension, with the long name an abbreviation stands for", () => {
    expect(() => refuseUnknownChunkDims({ lat: 50, lon: 100, x: 3 }, dims, "a.nc")).toThrow(
      "no dimension 'lat' (did you mean 'latitude'?), 'lon' (did you mean 'longitude'?), 'x'",
    );
  });
});
