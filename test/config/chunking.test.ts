import { describe, expect, it } from "vitest";
import { parseChunking, parseKeyValueInts, parseShards } from "../../src/config/chunking.js";
import { ConfigError } from "../../src/errors.js";

describe("parseChunking", () => {
  it("reads dim:length pairs for any dimension names", () => {
    expect(parseChunking("time:100,lat:50,lon:100")).toEqual({ time: 100, lat: 50, lon: 100 });
    expect(parseChunking(" time : 24 , latitude:180 ")).toEqual({ time: 24, latitude: 180 });
    expect(parseChunking("recNum:7")).toEqual({ recNum: 7 });
  });

  it("ignores empty entries and splits at the last colon", () => {
    expect(parseChunking("time:10,")).toEqual({ time: 10 });
    expect(parseChunking("time:10,,lat:5")).toEqual({ time: 10, lat: 5 });
    expect(parseChunking("a:b:3")).toEqual({ "a:b": 3 });
  });

  it.each([
    ["time100,lat:5", /chunking: 'time100' is not dim:length/],
    ["time=10", /'time=10' is not dim:length \(write time:10\)/],
    ["time:0", /'time:0': the length must be a positive integer, got '0'/],
    ["time:-5", /'time:-5': the length must be a positive integer, got '-5'/],
    ["time:1.5", /'time:1.5': the length must be a positive integer, got '1.5'/],
    ["time:abc", /'time:abc'.*got 'abc'/],
    ["time:", /'time:'.*got ''/],
    ["time:99999999999999999999", /positive integer/],
    [":10", /':10' has no dimension name/],
    ["time:10,lat:5,time:20", /dimension 'time' is given twice \(in 'time:20'\)/],
    ["", /expected dim:length pairs/],
    [" , ", /expected dim:length pairs/],
  ])("'%s' → ConfigError %s", (spec, message) => {
    expect(() => parseChunking(spec)).toThrow(ConfigError);
    expect(() => parseChunking(spec)).toThrow(message);
  });

  it("names the option it parses for", () => {
    expect(() => parseShards("time")).toThrow(/^shards: 'time'/);
    expect(() => parseKeyValueInts("x", "ZARRIFY_CHUNKING")).toThrow(/^ZARRIFY_CHUNKING: 'x'/);
    expect(parseShards("time:720")).toEqual({ time: 720 });
  });
});
