import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { parseRegion, type RegionInput } from "../../src/region/spec.js";

describe("parseRegion: the --region string", () => {
  it("reads dim:start:stop lists", () => {
    expect(parseRegion("time:0:100,lat:10:20")).toEqual({
      time: { start: 0, stop: 100 },
      lat: { start: 10, stop: 20 },
    });
  });

  it("reads open ends as undefined, like Python's slice(None)", () => {
    expect(parseRegion("time:5:,lat::,lon::7")).toEqual({
      time: { start: 5, stop: undefined },
      lat: { start: undefined, stop: undefined },
      lon: { start: undefined, stop: 7 },
    });
  });

  it("tolerates spaces and empty parts", () => {
    expect(parseRegion(" time : 0 : 100 , , lat:1:2,")).toEqual({
      time: { start: 0, stop: 100 },
      lat: { start: 1, stop: 2 },
    });
    expect(parseRegion("")).toEqual({});
  });

  it.each([
    ["time", "cannot read 'time'"],
    ["time:5", "cannot read 'time:5'"],
    ["time:0:10:2", "cannot read 'time:0:10:2'"],
    [":0:10", "cannot read ':0:10'"],
    ["time:a:10", "start 'a' is not a whole number >= 0"],
    ["time:0:ten", "stop 'ten' is not a whole number >= 0"],
    ["time:-1:10", "start '-1' is not a whole number >= 0"],
    ["time:1.5:10", "start '1.5' is not a whole number >= 0"],
    ["time:0x10:100", "start '0x10' is not a whole number >= 0"],
    ["time:1e2:200", "start '1e2' is not a whole number >= 0"],
    ["time:0:99999999999999999999", "is not a whole number >= 0"],
    ["time:10:10", "region for 'time': stop 10 is not after start 10"],
    ["time:10:5", "region for 'time': stop 5 is not after start 10"],
  ])("refuses %j", (text, message) => {
    let err: unknown;
    try {
      parseRegion(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(message);
  });

  it("gives a hint showing the form", () => {
    try {
      parseRegion("time");
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).hint).toContain('region: "time:0:100"');
    }
  });
});

describe("parseRegion: objects", () => {
  it("reads [start, stop] pairs, {start, stop} objects and null", () => {
    expect(
      parseRegion({ time: [0, 100], lat: { start: 10, stop: 20 }, lon: null, level: {} }),
    ).toEqual({
      time: { start: 0, stop: 100 },
      lat: { start: 10, stop: 20 },
      lon: {},
      level: { start: undefined, stop: undefined },
    });
  });

  it("keeps half-open objects", () => {
    expect(parseRegion({ time: { start: 5 }, lat: { stop: 3 } })).toEqual({
      time: { start: 5, stop: undefined },
      lat: { start: undefined, stop: 3 },
    });
  });

  it("does not keep the caller's objects", () => {
    const input = { time: { start: 1, stop: 2 } };
    const out = parseRegion(input);
    out.time.start = 0;
    expect(input.time.start).toBe(1);
  });

  it.each<[RegionInput, string]>([
    [{ time: [-1, 10] }, "region for 'time': -1 is not a whole number >= 0"],
    [{ time: [0, 2.5] }, "region for 'time': 2.5 is not a whole number >= 0"],
    [{ time: { start: Number.NaN } }, "region for 'time': NaN is not a whole number >= 0"],
    [{ lat: { start: 0, stop: 2 ** 53 } }, "is not a whole number >= 0"],
    [{ time: [5, 5] }, "region for 'time': stop 5 is not after start 5"],
    [{ lat: { start: 9, stop: 3 } }, "region for 'lat': stop 3 is not after start 9"],
  ])("refuses %j", (input, message) => {
    expect(() => parseRegion(input)).toThrow(ConfigError);
    expect(() => parseRegion(input)).toThrow(message);
  });
});

describe("parseRegion: mistakes untyped callers can make", () => {
  it("refuses a dimension named twice in the string", () => {
    expect(() => parseRegion("time:0:10,lat:0:5,time:10:20")).toThrow(/region names 'time' twice/);
    // Names that happen to be Object.prototype members are ordinary dimension names.
    expect(parseRegion("constructor:0:1")).toEqual({ constructor: { start: 0, stop: 1 } });
  });

  it.each([
    [{ time: 5 }, "region for 'time': 5 is not [start, stop], {start, stop} or null"],
    [{ time: "0:100" }, "region for 'time': \"0:100\" is not"],
    [{ time: [3] }, "region for 'time': [3] is not"],
    [{ time: [0, 1, 2] }, "region for 'time': [0,1,2] is not"],
  ])("refuses %j instead of taking the whole dimension", (input, message) => {
    expect(() => parseRegion(input as unknown as RegionInput)).toThrow(message);
  });
});
