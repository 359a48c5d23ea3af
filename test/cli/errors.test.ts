/**
 * Bad input never crashes: one clear line naming the file and the problem, a non-zero exit code
 * per error class, and no output archive left behind.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { real, tempDir } from "../helpers/paths.js";

const NC3 = real("netcdf-c_ref_nctest_classic.nc");
const NC4 = real("xclim-testdata_tas.sresb1.giss_model_e_r.run1.atm.da.nc");

let dir: string;
beforeAll(() => {
  dir = tempDir();
  writeFileSync(join(dir, "empty.nc"), "");
  writeFileSync(join(dir, "notes.nc"), "these are my notes, not a NetCDF file\n");
  const nc3 = readFileSync(NC3);
  writeFileSync(join(dir, "truncated3.nc"), nc3.subarray(0, Math.floor(nc3.length / 2)));
  const nc4 = readFileSync(NC4);
  writeFileSync(join(dir, "truncated4.nc"), nc4.subarray(0, Math.floor(nc4.length / 2)));
  copyFileSync(NC3, join(dir, "good.nc"));
  writeFileSync(join(dir, "bad.yaml"), "chunking: [1, 2\n");
  writeFileSync(join(dir, "unknown-key.json"), JSON.stringify({ chunk_size: 10 }));
});

/** The error output is one message line plus an optional hint line; never a stack trace. */
function expectOneClearError(stderr: string, ...fragments: (string | RegExp)[]) {
  const lines = stderr.trim().split("\n");
  expect(lines[0]).toMatch(/^zarrify: error: /);
  expect(lines.length).toBeLessThanOrEqual(2);
  if (lines[1]) expect(lines[1]).toMatch(/^ {2}hint: /);
  expect(stderr).not.toMatch(/\n\s+at /);
  for (const f of fragments) expect(stderr).toMatch(f);
}

function leftovers(): string[] {
  return readdirSync(dir).filter((f) => f.includes(".zarr"));
}

describe("convert: bad input", () => {
  const cases: Array<[string, string, (string | RegExp)[]]> = [
    ["empty file", "empty.nc", ["empty.nc", /empty/]],
    ["text file named .nc", "notes.nc", ["notes.nc", /text file/]],
    ["truncated NetCDF-3", "truncated3.nc", ["truncated3.nc", /truncat|past end|extends/i]],
    ["truncated NetCDF-4", "truncated4.nc", ["truncated4.nc"]],
    ["missing path", "does-not-exist.nc", ["does-not-exist.nc", /no such file/]],
  ];
  for (const [name, file, fragments] of cases) {
    it(`${name} → InputError, exit 3, no archive`, () => {
      const r = runCli(["convert", join(dir, file), join(dir, `${file}.zarr`)]);
      expect(r.code).toBe(3);
      expectOneClearError(r.stderr, ...fragments);
      expect(leftovers()).toEqual([]);
    });
  }
});

describe("convert: bad options", () => {
  const good = () => join(dir, "good.nc");
  const out = () => join(dir, "out.zarr");
  const cases: Array<[string, string[], (string | RegExp)[]]> = [
    ["unknown variable", ["--variables", "nosuchvar"], [/nosuchvar/, /--variables/]],
    ["malformed chunking", ["--chunking", "time=10"], [/time=10/]],
    ["unknown time dimension", ["--time-dim", "nosuchdim"], [/nosuchdim/, /--time-dim/]],
    ["non-positive chunk", ["--chunking", "rec:0"], [/rec:0/]],
    ["malformed compression", ["--compression", "blosc:snappy"], [/snappy/]],
    ["bad --attrs JSON", ["--attrs", "{title:"], [/--attrs/]],
    ["invalid YAML config", ["--config", "CONFIG:bad.yaml"], [/bad\.yaml/]],
    ["unknown config key", ["--config", "CONFIG:unknown-key.json"], [/chunk_size/]],
    ["missing config file", ["--config", "CONFIG:nope.yaml"], [/nope\.yaml/]],
  ];
  for (const [name, flags, fragments] of cases) {
    it(`${name} → ConfigError, exit 2, no archive`, () => {
      const args = flags.map((f) => (f.startsWith("CONFIG:") ? join(dir, f.slice(7)) : f));
      const r = runCli(["convert", good(), out(), ...args]);
      expect(r.code).toBe(2);
      expectOneClearError(r.stderr, ...fragments);
      expect(existsSync(out())).toBe(false);
      expect(leftovers()).toEqual([]);
    });
  }

  it("refuses to overwrite an existing archive unless asked", () => {
    const target = join(tempDir(), "exists.zarr");
    expect(runCli(["convert", good(), target]).code).toBe(0);
    const again = runCli(["convert", good(), target]);
    expect(again.code).toBe(2);
    expectOneClearError(again.stderr, /already exists/, /--overwrite/);
    expect(runCli(["convert", good(), target, "--overwrite"]).code).toBe(0);
  });

  it("shows a stack trace only at -vv", () => {
    const r = runCli(["convert", join(dir, "empty.nc"), out(), "-vv"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it("an unknown flag is a usage error", () => {
    const r = runCli(["convert", good(), out(), "--chunkz", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option/);
  });
});
