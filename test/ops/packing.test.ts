/**
 * Packing through the whole stack: zarrify writes, Debian xarray decodes, values come back within
 * scale/2 of the source (plus, for xarray 2023.01's float32 decoding of int8/int16, float32
 * rounding), NaN where the source had NaN, for manual, attribute and computed ranges.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { python, repoRoot, tempDir } from "../helpers/paths.js";
import { cliProcess } from "../region/series.js";

const dir = tempDir("zarrify-packing-");
const source = join(dir, "pack.nc");

interface Check {
  dtype: string;
  decoded_dtype: string;
  scale_factor: number;
  add_offset: number;
  fill_value: number | null;
  nan_mismatch: number;
  decoded_max_error: number;
  float64_max_error: number;
  float32_spacing: number;
  packed_min: number;
  packed_max: number;
}

function check(archive: string, variable: string): Check {
  const out = execFileSync(
    python,
    [join(repoRoot, "test/interop/check_packing.py"), source, archive, variable],
    { encoding: "utf8" },
  );
  return JSON.parse(out);
}

function expectWithinHalfStep(c: Check): void {
  expect(c.nan_mismatch).toBe(0);
  // float64 decoding of the stored integers: the packing guarantee itself.
  expect(c.float64_max_error).toBeLessThanOrEqual((c.scale_factor / 2) * (1 + 1e-9));
  // What xr.open_zarr returns: float32 arithmetic may add a couple of float32 steps.
  const slack = c.decoded_dtype === "float32" ? 2 * c.float32_spacing : 1e-9 * c.scale_factor;
  expect(c.decoded_max_error).toBeLessThanOrEqual(c.scale_factor / 2 + slack);
}

async function convert(name: string, ...flags: string[]) {
  const archive = join(dir, name);
  const r = await cliProcess(["convert", source, archive, "--zarr-format", "2", ...flags]);
  return { archive, ...r };
}

beforeAll(() => {
  execFileSync(python, [
    "-c",
    `
import netCDF4, numpy as np
rng = np.random.default_rng(7)
with netCDF4.Dataset(${JSON.stringify(source)}, "w") as d:
    d.createDimension("time", None); d.createDimension("lat", 30); d.createDimension("lon", 40)
    t = d.createVariable("time", "f8", ("time",)); t.units = "days since 2020-01-01"; t[:] = np.arange(12)
    la = d.createVariable("lat", "f4", ("lat",)); la[:] = np.linspace(-80, 80, 30)
    lo = d.createVariable("lon", "f4", ("lon",)); lo[:] = np.linspace(0, 351, 40)
    temp = d.createVariable("temp", "f4", ("time", "lat", "lon"))
    v = rng.uniform(200, 320, (12, 30, 40)).astype("f4"); v[0, :3, :3] = np.nan; v[5, 7, 9] = np.nan
    temp[:] = v
    pres = d.createVariable("pres", "f8", ("time", "lat", "lon"), fill_value=-9999.0)
    pres.valid_min = 500.0; pres.valid_max = 1100.0
    p = rng.uniform(600, 1050, (12, 30, 40)); p[3, 3, 3] = -9999.0
    pres[:] = np.ma.masked_equal(p, -9999.0)
`,
  ]);
});

describe("packing round trip through xarray", () => {
  for (const bits of [8, 16, 32]) {
    it(`${bits} bits, range computed from the data`, async () => {
      const r = await convert(`computed-${bits}.zarr`, "--packing", "--packing-bits", String(bits));
      expect(r.code, r.stderr).toBe(0);
      const temp = check(r.archive, "temp");
      expect(temp.dtype).toBe(`int${bits}`);
      expect(temp.fill_value).toBe(-(2 ** (bits - 1)));
      expectWithinHalfStep(temp);
      // The range is the data's, widened by 1% each side: the integers span just inside ±H.
      const h = 2 ** (bits - 1) - 1;
      expect(temp.packed_max).toBeLessThanOrEqual(h);
      expect(temp.packed_min).toBeGreaterThanOrEqual(-h);
      expect(temp.packed_max).toBeGreaterThan(h * 0.97);
      expectWithinHalfStep(check(r.archive, "pres"));
    }, 60_000);
  }

  it("manual ranges win over attributes and data; coordinates are never packed", async () => {
    const ranges = JSON.stringify({ temp: { min: 150, max: 350 } });
    const r = await convert("manual.zarr", "--packing-manual-ranges", ranges);
    expect(r.code, r.stderr).toBe(0);
    const temp = check(r.archive, "temp");
    expect(temp.dtype).toBe("int16");
    expect(temp.add_offset).toBeCloseTo(250, 4);
    expect(temp.scale_factor).toBeCloseTo(200 / 65534, 9);
    expectWithinHalfStep(temp);
    // pres declares valid_min/valid_max: its range comes from them.
    const pres = check(r.archive, "pres");
    expect(pres.add_offset).toBeCloseTo(800, 9);
    expect(pres.scale_factor).toBeCloseTo(600 / 65534, 12);
    expectWithinHalfStep(pres);
    const dtypes = execFileSync(
      python,
      [
        "-c",
        `import xarray as xr; d = xr.open_zarr(${JSON.stringify(r.archive)}, decode_cf=False); print(",".join(str(d[n].dtype) for n in ["time", "lat", "lon"]))`,
      ],
      { encoding: "utf8" },
    );
    expect(dtypes.trim()).toBe("float64,float32,float32");
  }, 60_000);

  describe("data outside a manual range", () => {
    const narrow = JSON.stringify({ temp: { min: 250, max: 300 } });
    it("warn (default): clipped, with a warning naming the count", async () => {
      const r = await convert("warn.zarr", "--packing-manual-ranges", narrow);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /warning: packing: \d+ value\(s\) of 'temp' were outside \[250, 300\]/,
      );
      const temp = check(r.archive, "temp");
      expect(temp.packed_min).toBe(-32767);
      expect(temp.packed_max).toBe(32767);
      expect(temp.nan_mismatch).toBe(0);
    }, 60_000);
    it("error: a clear error, exit 1, no archive", async () => {
      const r = await convert(
        "error.zarr",
        "--packing-manual-ranges",
        narrow,
        "--packing-range-exceeded-action",
        "error",
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /variable 'temp': \d+ value\(s\) outside the packing range \[250, 300\]/,
      );
      expect(r.stderr).toMatch(/hint: /);
      expect(existsSync(join(dir, "error.zarr"))).toBe(false);
    }, 60_000);
    it("ignore: clipped silently", async () => {
      const r = await convert(
        "ignore.zarr",
        "--packing-manual-ranges",
        narrow,
        "--packing-range-exceeded-action",
        "ignore",
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/outside/);
    }, 60_000);
    it("--no-packing-check-range-exceeded: clipped silently; --packing-exclude leaves a variable as it was", async () => {
      const r = await convert(
        "nocheck.zarr",
        "--packing-manual-ranges",
        narrow,
        "--no-packing-check-range-exceeded",
        "--packing-exclude",
        "pres",
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/outside/);
      expect(check(r.archive, "temp").dtype).toBe("int16");
      expect(check(r.archive, "pres").dtype).toBe("float64");
    }, 60_000);
  });
});

describe("packing in a template archive", () => {
  it("is fixed at template time; region writes use it, and out-of-range files follow the action", async () => {
    const { makeSeries, compareConcat, treeHashes } = await import("../region/series.js");
    const files = makeSeries(join(dir, "series"), [4, 4], { nan: true });
    const archive = join(dir, "packed-template.zarr");
    const ranges = JSON.stringify({ t2m: { min: 200, max: 320 } });
    const t = await cliProcess([
      "create-template",
      files[0],
      archive,
      "--global-start",
      "2020-01-01",
      "--global-end",
      "2020-01-08",
      "--zarr-format",
      "2",
      "--chunking",
      "time:3",
      "--packing-manual-ranges",
      ranges,
    ]);
    expect(t.code, t.stderr).toBe(0);
    for (const f of files) {
      const r = await cliProcess(["write-region", f, archive]);
      expect(r.code, r.stderr).toBe(0);
    }
    // Packed values differ from the float source by up to scale/2: the comparator reports
    // value differences only, with packing attributes on the archive side.
    const cmp = compareConcat(files, archive);
    expect(
      cmp.differences.every((d) => /t2m|scale_factor|add_offset|dtype|_FillValue/.test(d)),
    ).toBe(true);
    const out = execFileSync(
      python,
      [
        "-c",
        `import xarray as xr, numpy as np, json
a = xr.open_mfdataset(${JSON.stringify(files)}, combine="nested", concat_dim="time").t2m.values.astype("f8")
z = xr.open_zarr(${JSON.stringify(archive)})
b = z.t2m.values.astype("f8")
print(json.dumps({"err": float(np.nanmax(np.abs(a - b))), "scale": float(z.t2m.encoding["scale_factor"]), "nan": int((np.isnan(a) != np.isnan(b)).sum()), "dtype": str(z.t2m.encoding["dtype"])}))`,
      ],
      { encoding: "utf8" },
    );
    const r = JSON.parse(out);
    expect(r.dtype).toBe("int16");
    expect(r.nan).toBe(0);
    expect(r.err).toBeLessThanOrEqual(r.scale / 2 + 2 * 3.0517578125e-5);

    // A file hotter than the template's range: error writes nothing; warn clips and says so.
    const hot = makeSeries(join(dir, "hot"), [2], { start: "2020-01-07", prefix: "hot" })[0];
    execFileSync(python, [
      "-c",
      `import netCDF4; d = netCDF4.Dataset(${JSON.stringify(hot)}, "a"); d["t2m"][0, 0, 0] = 400.0; d.close()`,
    ]);
    const before = treeHashes(archive);
    const refused = await cliProcess([
      "write-region",
      hot,
      archive,
      "--packing-range-exceeded-action",
      "error",
    ]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/values outside the archive's packing range \(t2m: 1\)/);
    expect(treeHashes(archive)).toEqual(before);
    const clipped = await cliProcess(["write-region", hot, archive]);
    expect(clipped.code, clipped.stderr).toBe(0);
    expect(clipped.stderr).toMatch(/1 values outside the archive's range were clipped/);
  }, 120_000);
});
