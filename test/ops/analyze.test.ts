/**
 * `analyze` on two real files, through the library and the built CLI (`npm run build` first).
 * Ground truth for dimensions, variables, times and data ranges comes from netCDF4-python; the
 * chunk sizes are re-derived here from the SPEC §5 formulas. Wording is not tested, structure is.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configYaml, defaultAnswers } from "../../src/analyze/config-answers.js";
import type { AnalyzeReport } from "../../src/analyze/report.js";
import { formatAnalyzeReport } from "../../src/analyze/text.js";
import { loadConfigFile, parseConfigText } from "../../src/config/file.js";
import { resolveConfig } from "../../src/config/schema.js";
import { InputError } from "../../src/errors.js";
import { analyzeFile } from "../../src/ops/analyze.js";
import type { AccessPattern } from "../../src/plan/chunking.js";
import { parseCompression } from "../../src/zarr/compression.js";
import { runCli } from "../helpers/cli.js";
import { cliBin, python, real, realDir, tempDir } from "../helpers/paths.js";

/** NetCDF-4: chunked (7300, 6, 5), deflate(7) + shuffle, noleap daily time. */
const NC4 = real("xclim-testdata_tas.sresb1.giss_model_e_r.run1.atm.da.nc");
/** CDF-1: record variables UWND/VWND (TIME unlimited, 132 months) on 73×144. */
const NC3 = real("ferret-datasets_monthly_navy_winds.cdf");
/** CDF-1, 300 monthly steps on 2×2: small enough to convert three times in a blink. */
const SMALL = real("xclim-testdata_tas_Amon_HadGEM2-ES_rcp85_r1i1p1_200512-203011.nc");

const PATTERNS: AccessPattern[] = ["temporal", "spatial", "balanced"];
const MIB = 2 ** 20;

interface Truth {
  dims: Record<string, [number, boolean]>;
  vars: Record<
    string,
    { dtype: string; shape: number[]; dims: string[]; min?: number; max?: number }
  >;
  time: [string, string];
}

const TRUTH_SCRIPT = `
import json, sys
import netCDF4
out = {}
for path in sys.argv[1:]:
    with netCDF4.Dataset(path) as ds:
        info = {"dims": {n: [len(d), d.isunlimited()] for n, d in ds.dimensions.items()}, "vars": {}}
        for name, v in ds.variables.items():
            e = {"dtype": str(v.dtype), "shape": list(v.shape), "dims": list(v.dimensions)}
            if v.dtype.kind == "f" and v.ndim == 3:
                data = v[:]
                e["min"] = float(data.min()); e["max"] = float(data.max())
            info["vars"][name] = e
        t = ds.variables.get("time") or ds.variables.get("TIME")
        dates = netCDF4.num2date(t[[0, -1]], t.units, getattr(t, "calendar", "standard"))
        info["time"] = [d.isoformat() for d in dates]
        out[path] = info
print(json.dumps(out))
`;

function pythonTruth(paths: string[]): Record<string, Truth> {
  const r = spawnSync(python, ["-c", TRUTH_SCRIPT, ...paths], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`netCDF4-python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** SPEC §5, written out again: time chunk and spatial chunk per pattern. */
function expectedChunks(
  pattern: AccessPattern,
  dims: string[],
  shape: number[],
  itemSize: number,
  timeDim: string,
): number[] {
  const rule = {
    temporal: [10, 10, 100, 10],
    spatial: [50, 5, 20, 50],
    balanced: [20, 10, 50, 30],
  }[pattern];
  const [divisor, low, high, spatialMin] = rule;
  // An array no larger than the target stays whole (the planner's one departure from the seed).
  if (shape.reduce((a, n) => a * n, itemSize) <= 50 * MIB) return [...shape];
  const nt = shape[dims.indexOf(timeDim)];
  const tc = Math.min(nt, Math.min(high, Math.max(low, Math.floor(nt / divisor))));
  const target = Math.floor((50 * MIB) / itemSize);
  const nSpatial = dims.length - 1;
  let side = Math.floor((target / tc) ** (1 / nSpatial));
  while ((side + 1) ** nSpatial <= target / tc) side++;
  return dims.map((d, i) => (d === timeDim ? tc : Math.min(shape[i], Math.max(spatialMin, side))));
}

function checkStructure(r: AnalyzeReport, file: string, truth: Truth): void {
  expect(r.file).toBe(file);
  expect(r.sizeBytes).toBe(statSync(file).size);
  expect(r.dimensions.map((d) => [d.name, [d.size, d.unlimited]])).toEqual(
    Object.entries(truth.dims),
  );
  expect(r.variables.map((v) => v.name).sort()).toEqual(Object.keys(truth.vars).sort());
  for (const v of r.variables) {
    const t = truth.vars[v.name];
    expect(v.dtype, v.name).toBe(t.dtype);
    expect(v.shape, v.name).toEqual(t.shape);
    expect(v.dims, v.name).toEqual(t.dims);
  }
  expect(r.dataBytes).toBe(r.variables.reduce((n, v) => n + v.bytes, 0));
}

/** Recommendations match the formulas; estimates match the chunks. */
function checkRecommendations(r: AnalyzeReport, names: string[], timeDim: string): void {
  expect(r.recommendations[0].variables).toEqual(names);
  for (const a of r.recommendations) {
    const itemSize = a.dtype === "float64" ? 8 : 4;
    expect(a.timeDim).toBe(timeDim);
    const t = a.dims.indexOf(timeDim);
    for (const p of PATTERNS) {
      const pa = a.patterns[p];
      const chunks = expectedChunks(p, a.dims, a.shape, itemSize, timeDim);
      expect(
        a.dims.map((d) => pa.chunks[d]),
        p,
      ).toEqual(chunks);
      const bytes = chunks.reduce((x, y) => x * y, itemSize);
      expect(pa.chunkBytes).toBe(bytes);
      expect(pa.chunkMb).toBeCloseTo(bytes / MIB, 12);
      const grid = a.shape.map((n, d) => Math.ceil(n / chunks[d]));
      expect(pa.totalChunks).toBe(grid.reduce((x, y) => x * y, 1));
      // Chunks below 1 MB are warned about, unless the chunk is the whole array.
      const whole = chunks.every((c, d) => c >= a.shape[d]);
      expect(pa.warnings.length > 0).toBe(pa.chunkMb < 1 && !whole);
      const est = pa.estimate;
      if (!est) throw new Error("estimates missing");
      expect(est.timeSeries?.chunks).toBe(Math.ceil(a.shape[t] / chunks[t]));
      expect(est.timeSeries?.mb).toBeCloseTo(((est.timeSeries?.chunks ?? 0) * bytes) / MIB, 9);
      expect(est.map.chunks).toBe(grid.reduce((x, y, d) => (d === t ? x : x * y), 1));
      expect(est.map.mb).toBeCloseTo((est.map.chunks * bytes) / MIB, 9);
    }
  }
}

/** Packing advice for exactly the float data variables, with consistent sizes and steps. */
function checkPacking(r: AnalyzeReport, truth: Truth, expected: string[]): void {
  expect(r.packing.map((p) => p.variable).sort()).toEqual([...expected].sort());
  const coordinates = r.variables.filter((v) => v.role === "coordinate").map((v) => v.name);
  for (const p of r.packing) expect(coordinates).not.toContain(p.variable);
  for (const p of r.packing) {
    const t = truth.vars[p.variable];
    expect(p.rangeSource).toBe("data");
    // The range the data really have (netCDF4-python masks missing values the same way).
    expect(p.range?.min).toBe(t.min);
    expect(p.range?.max).toBe(t.max);
    const n = t.shape.reduce((a, b) => a * b, 1);
    expect(p.bytes).toBe(n * 4);
    expect(p.options.map((o) => o.bits)).toEqual([8, 16]);
    const packed = p.packedRange;
    if (!packed || !p.range) throw new Error("no packed range");
    expect(packed.min).toBeLessThan(p.range.min);
    expect(packed.max).toBeGreaterThan(p.range.max);
    for (const o of p.options) {
      expect(o.dtype).toBe(o.bits === 8 ? "int8" : "int16");
      expect(o.packedBytes).toBe((n * o.bits) / 8);
      expect(o.savedBytes).toBe(p.bytes - o.packedBytes);
      expect(o.savedPercent).toBeCloseTo(o.bits === 8 ? 75 : 50, 9);
      // The step spreads the packed range over 2^bits - 2 steps (a float32 step rounds up a hair).
      const step = (packed.max - packed.min) / (2 ** o.bits - 2);
      expect(o.scaleFactor).toBeGreaterThanOrEqual(step);
      expect(o.scaleFactor / step).toBeLessThan(1 + 1e-5);
    }
  }
}

function checkCompression(r: AnalyzeReport, variable: string): void {
  const c = r.compression;
  expect(c.sample?.variable).toBe(variable);
  expect(c.sample?.bytes).toBeGreaterThan(0);
  expect(c.sample?.bytes).toBeLessThanOrEqual(4 * MIB);
  expect(c.trials.filter((t) => !t.packed).length).toBeGreaterThanOrEqual(3);
  for (const t of c.trials) {
    expect(t.ratio).toBeGreaterThan(0);
    expect(() => parseCompression(t.codec)).not.toThrow();
  }
  expect(c.trials.some((t) => t.packed === "int16")).toBe(true);
  expect(() => parseCompression(c.suggested)).not.toThrow();
  expect(c.advice.length).toBeGreaterThanOrEqual(2);
}

let truth: Record<string, Truth>;
beforeAll(() => {
  truth = pythonTruth([NC4, NC3]);
});

describe("analyzeFile on a NetCDF-4 file (chunked, deflate + shuffle)", () => {
  let r: AnalyzeReport;
  beforeAll(async () => {
    r = await analyzeFile(NC4, { testPerformance: true });
  });

  it("describes dimensions, variables and the source layout", () => {
    checkStructure(r, NC4, truth[NC4]);
    expect(r.format).toBe("hdf5");
    const tas = r.variables.find((v) => v.name === "tas");
    expect(tas).toMatchObject({
      role: "data",
      layout: "chunked",
      sourceChunks: [7300, 6, 5],
      bytes: 7300 * 6 * 5 * 4,
    });
    expect(tas?.sourceFilters).toEqual(expect.arrayContaining(["shuffle", "deflate(7)"]));
    // Dimension coordinates, bounds and the `coordinates`-named scalar are coordinates.
    for (const name of ["lat", "lon", "time", "lat_bnds", "lon_bnds", "time_bnds", "height"]) {
      expect(r.variables.find((v) => v.name === name)?.role, name).toBe("coordinate");
    }
  });

  it("decodes the time axis", () => {
    expect(r.time).toMatchObject({
      dim: "time",
      steps: 7300,
      calendar: "noleap",
      first: truth[NC4].time[0],
      last: truth[NC4].time[1],
      freq: "1D",
    });
  });

  it("recommends chunks per the SPEC formulas, with read estimates", () => {
    expect(r.targetChunkSizeMb).toBe(50);
    checkRecommendations(r, ["tas"], "time");
    expect(r.recommendations).toHaveLength(1);
  });

  it("advises packing for the float data variable only", () => {
    checkPacking(r, truth[NC4], ["tas"]);
  });

  it("derives compression advice from the data and the source filters", () => {
    checkCompression(r, "tas");
    expect(r.compression.sourceFilters).toEqual(expect.arrayContaining(["shuffle", "deflate(7)"]));
    expect(r.compression.sourceRatio).toBeCloseTo(r.dataBytes / r.sizeBytes, 12);
  });

  it("prints every section in the readable report", () => {
    const text = formatAnalyzeReport(r);
    const sections = text.split("\n").filter((l) => /^[a-z][^:]*:/.test(l));
    expect(sections.map((l) => l.slice(0, l.indexOf(":")))).toEqual([
      "file",
      "dimensions",
      "time",
      "variables",
      "chunking recommendations (target 50 MB per chunk)",
      "packing (float data variables as scaled integers; lossy)",
      "compression",
    ]);
    for (const p of PATTERNS) expect(text).toMatch(new RegExp(`^ +${p} +time:`, "m"));
  });
});

describe("analyzeFile on a NetCDF-3 file with a time dimension", () => {
  let r: AnalyzeReport;
  let scratch: string;
  beforeAll(async () => {
    scratch = tempDir("zarrify-analyze-scratch-");
    // 1 MB of a 5.3 MB variable: the first 24 of 132 steps are converted.
    r = await analyzeFile(NC3, { runTests: true, sampleMb: 1, repeats: 2, scratchDir: scratch });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("describes dimensions, record variables and time", () => {
    checkStructure(r, NC3, truth[NC3]);
    expect(r.format).toBe("netcdf3-classic");
    for (const name of ["UWND", "VWND"]) {
      expect(r.variables.find((v) => v.name === name)).toMatchObject({
        role: "data",
        layout: "records",
        sourceFilters: [],
      });
    }
    expect(r.time).toMatchObject({
      dim: "TIME",
      steps: 132,
      first: truth[NC3].time[0],
      last: truth[NC3].time[1],
    });
  });

  it("groups variables of one shape under one recommendation", () => {
    checkRecommendations(r, ["UWND", "VWND"], "TIME");
    expect(r.recommendations).toHaveLength(1);
  });

  it("advises packing for both wind components, and nothing for coordinates", () => {
    checkPacking(r, truth[NC3], ["UWND", "VWND"]);
    checkCompression(r, "UWND");
    expect(r.compression.sourceFilters).toEqual([]);
  });

  it("measures real reads on a sample converted with each recommendation", () => {
    const m = r.measured;
    if (!m) throw new Error("no measurements");
    expect(m.variable).toBe("UWND");
    const stepBytes = 73 * 144 * 4;
    const steps = Math.floor(MIB / stepBytes);
    expect(m.sampledSteps).toBe(steps);
    expect(m.totalSteps).toBe(132);
    expect(m.sampleShape).toEqual([steps, 73, 144]);
    expect(m.repeats).toBe(2);
    expect(m.source.mapMs).toBeGreaterThan(0);
    expect(m.source.timeSeriesMs).toBeGreaterThan(0);
    for (const p of PATTERNS) {
      const mp = m.patterns[p];
      const rec = r.recommendations[0].patterns[p].chunks;
      expect(mp.chunks).toEqual({ ...rec, TIME: Math.min(rec.TIME, steps) });
      expect(mp.archiveBytes).toBeGreaterThan(0);
      expect(mp.timeSeries?.chunks).toBe(Math.ceil(steps / mp.chunks.TIME));
      expect(mp.timeSeries?.ms).toBeGreaterThan(0);
      expect(mp.map.chunks).toBe(1);
      expect(mp.map.ms).toBeGreaterThan(0);
    }
    expect(m.notes.length).toBe(1);
    expect(readdirSync(scratch)).toEqual([]);
    expect(formatAnalyzeReport(r)).toMatch(/^measured reads/m);
  });

  it("builds a config from answers that loads and resolves", () => {
    const answers = { ...defaultAnswers(r), packing: { bits: 8 as const, fixRanges: true } };
    const config = resolveConfig({ file: parseConfigText(configYaml(r, answers), "x.yaml") });
    expect(config.intelligentChunking).toBe(true);
    expect(config.packing).toMatchObject({ enabled: true, bits: 8 });
    for (const p of r.packing) {
      const fixed = config.packing.manualRanges[p.variable];
      expect(fixed.min).toBeLessThanOrEqual(p.packedRange?.min ?? Number.NaN);
      expect(fixed.max).toBeGreaterThanOrEqual(p.packedRange?.max ?? Number.NaN);
    }
  });

  it("samples the steps of a variable too big to scan for its range", async () => {
    const sampled = await analyzeFile(NC3, { scanMb: 1 });
    const steps = Math.floor(MIB / (73 * 144 * 4));
    for (const p of sampled.packing) {
      const t = truth[NC3].vars[p.variable];
      expect(p.rangeSource).toBe("data-sample");
      expect(p.sampled).toEqual({ dim: "TIME", read: steps, of: 132 });
      expect(p.notes.length).toBe(1);
      expect(p.range?.min).toBeGreaterThanOrEqual(t.min ?? Number.NaN);
      expect(p.range?.max).toBeLessThanOrEqual(t.max ?? Number.NaN);
      expect(p.options.map((o) => o.bits)).toEqual([8, 16]);
    }
  });

  it("names an unreadable input", async () => {
    await expect(analyzeFile(join(scratch, "absent.nc"))).rejects.toBeInstanceOf(InputError);
  });
});

describe("analyzeFile on a variable smaller than the target chunk", () => {
  it("keeps xarray-data_eraint_uvz.nc's 1.3 MB variables whole, without warning about them", async () => {
    const r = await analyzeFile(real("xarray-data_eraint_uvz.nc"));
    const zuv = r.recommendations.find((a) => a.variables.includes("z"));
    expect(zuv?.variables).toEqual(["z", "u", "v"]);
    for (const p of PATTERNS) {
      const pa = zuv?.patterns[p];
      expect(pa?.chunks).toEqual({ month: 2, level: 3, latitude: 241, longitude: 480 });
      expect(pa?.totalChunks).toBe(1);
      expect(pa?.warnings).toEqual([]);
    }
    expect(formatAnalyzeReport(r)).not.toMatch(/warning/);
  });
});

/** The built CLI with `input` piped to stdin. */
function runCliWithInput(args: string[], input: string) {
  if (!existsSync(cliBin)) throw new Error(`${cliBin} missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [cliBin, ...args], {
    input,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe("zarrify analyze (built CLI)", () => {
  it("--json --test-performance prints the library's report", async () => {
    const cli = runCli(["analyze", NC3, "--json", "--test-performance"]);
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    const fromCli = JSON.parse(cli.stdout) as AnalyzeReport;
    const lib = await analyzeFile(NC3, { testPerformance: true });
    expect(fromCli.dimensions).toEqual(lib.dimensions);
    expect(fromCli.variables).toEqual(lib.variables);
    expect(fromCli.recommendations).toEqual(lib.recommendations);
    expect(fromCli.packing).toEqual(lib.packing);
    checkRecommendations(fromCli, ["UWND", "VWND"], "TIME");
  });

  it("--target-chunk-size-mb changes the recommendations", () => {
    const cli = runCli(["analyze", NC3, "--json", "--target-chunk-size-mb", "0.1"]);
    expect(cli.code).toBe(0);
    const r = JSON.parse(cli.stdout) as AnalyzeReport;
    expect(r.targetChunkSizeMb).toBe(0.1);
    for (const p of PATTERNS) {
      expect(r.recommendations[0].patterns[p].chunkMb).toBeLessThan(0.25);
    }
  });

  it("prints a readable report", () => {
    const cli = runCli(["analyze", NC4]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^file: .*hdf5/m);
    expect(cli.stdout).toMatch(/^chunking recommendations/m);
    expect(cli.stdout).not.toMatch(/^measured reads/m);
  });

  it("--run-tests measures positive read times", () => {
    const cli = runCli(["analyze", SMALL, "--run-tests", "--json"]);
    expect(cli.code).toBe(0);
    const m = (JSON.parse(cli.stdout) as AnalyzeReport).measured;
    if (!m) throw new Error("no measurements");
    expect(m.sampledSteps).toBe(300);
    expect(m.sampleShape).toEqual([300, 2, 2]);
    for (const p of PATTERNS) {
      expect(m.patterns[p].timeSeries?.ms).toBeGreaterThan(0);
      expect(m.patterns[p].map.ms).toBeGreaterThan(0);
      expect(m.patterns[p].timeSeries?.chunks).toBe(Math.ceil(300 / m.patterns[p].chunks.time));
    }
  });

  it("--interactive builds a config from piped answers and writes it", async () => {
    const dir = tempDir();
    const out = join(dir, "zarrify.yaml");
    // pattern, MB, compression (invalid, then valid), pack, bits, fix ranges, format, path
    const answers = ["temporal", "25", "blosc:snappy", "blosc:lz4", "y", "8", "y", "2", out];
    const cli = runCliWithInput(["analyze", NC3, "--interactive"], `${answers.join("\n")}\n`);
    expect(cli.code).toBe(0);
    expect(cli.stderr).toMatch(/^chunking recommendations/m);
    expect(readFileSync(out, "utf8").trimEnd()).toBe(cli.stdout.trimEnd());
    const config = resolveConfig({ file: await loadConfigFile(out) });
    expect(config).toMatchObject({
      intelligentChunking: true,
      accessPattern: "temporal",
      targetChunkSizeMb: 25,
      compression: "blosc:lz4",
      zarrFormat: 2,
      timeDim: "TIME",
      packing: { enabled: true, bits: 8 },
    });
    expect(Object.keys(config.packing.manualRanges).sort()).toEqual(["UWND", "VWND"]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("--interactive takes the defaults when stdin ends", () => {
    const cli = runCliWithInput(["analyze", NC3, "--interactive"], "");
    expect(cli.code).toBe(0);
    const config = resolveConfig({ file: parseConfigText(cli.stdout, "stdout", "yaml") });
    expect(config).toMatchObject({
      intelligentChunking: true,
      accessPattern: "balanced",
      targetChunkSizeMb: 50,
      zarrFormat: 3,
      shards: "auto",
      packing: { enabled: false },
    });
  });

  it("fails with exit code 3 on a file that is not NetCDF", () => {
    const cli = runCli(["analyze", join(realDir, "README.md")]);
    expect(cli.code).toBe(3);
    expect(cli.stderr).toMatch(/not a NetCDF or HDF5 file/);
  });
});
