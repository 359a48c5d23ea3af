// Proves the interop oracle can pass and can fail: xarray's own to_zarr output
// of real files must compare ok, and each deliberate perturbation of it must not.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { sidPython, skipSid } from "../helpers/sid.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const real = (name: string) => path.resolve(repoRoot, "../shared/data/real", name);
const PY = "/usr/bin/python3";
const COMPARE = path.join(here, "compare_xarray.py");
const WRITE = path.join(here, "write_reference_zarr.py");
const INFO = path.join(here, "zarr_v2_info.py");

interface Comparison {
  ok: boolean;
  mode: string | null;
  decode_times: boolean;
  differences: string[];
  skipped: string[];
  compared: string[];
  raw_compared: string[];
  notes: string[];
}

interface Written {
  mode: string;
  perturbed: { kind: string; variable: string | null; detail: string } | null;
}

function pythonStackPresent(): boolean {
  if (!existsSync(PY)) return false;
  return spawnSync(PY, ["-c", "import xarray, zarr, netCDF4, cftime"]).status === 0;
}

// CI installs the Python stack and must run these; elsewhere a missing stack skips.
const skip = !pythonStackPresent() && !process.env.CI;

const work = mkdtempSync(path.join(tmpdir(), "zarrify-compare-selftest-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
async function reference(
  source: string,
  opts: { group?: string; perturb?: string; perturbVar?: string } = {},
): Promise<{ archive: string; written: Written }> {
  const archive = path.join(work, `ref-${counter++}.zarr`);
  const args = [WRITE, source, archive];
  if (opts.group) args.push("--group", opts.group);
  if (opts.perturb) args.push("--perturb", opts.perturb);
  if (opts.perturbVar) args.push("--perturb-var", opts.perturbVar);
  const { stdout } = await run(PY, args, { maxBuffer: 1 << 24 });
  return { archive, written: JSON.parse(stdout) as Written };
}

async function compare(source: string, archive: string, extra: string[] = []): Promise<Comparison> {
  const { stdout } = await run(PY, [COMPARE, source, archive, ...extra], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout) as Comparison;
}

const HADGEM = real("xclim-testdata_tas_Amon_HadGEM2-ES_rcp85_r1i1p1_200512-203011.nc");
const CO2 = real("iris-test-data_SMALL_total_column_co2.nc");
const HGT = real("geocat_hgt.nc");
const FVCOM = real("gridded_tri_grid_example-FVCOM.nc");
const COMPOUND = real("netcdf-c_ref_tst_compounds.nc");
const GROUPS = real("geocat_nc4uvt.nc");

describe.skipIf(skip).concurrent("compare_xarray.py on xarray's own archives", () => {
  it("passes a 360_day CMIP file with bounds (cftime times)", async () => {
    const { archive } = await reference(HADGEM);
    const r = await compare(HADGEM, archive);
    expect(r.differences).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.mode).toBe("xarray");
    expect(r.decode_times).toBe(true);
    expect(r.compared).toEqual(expect.arrayContaining(["tas", "time", "time_bnds", "lat_bnds"]));
  });

  it("passes a packed int16 file", async () => {
    const { archive } = await reference(CO2);
    const r = await compare(CO2, archive);
    expect(r.differences).toEqual([]);
    expect(r.compared).toContain("tcco2");
  });

  it("falls back to decode_times=False for 'months since' times", async () => {
    const { archive, written } = await reference(HGT);
    expect(written.mode).toBe("xarray decode_times=False");
    const r = await compare(HGT, archive);
    expect(r.ok).toBe(true);
    expect(r.mode).toBe("xarray decode_times=False");
    expect(r.decode_times).toBe(false);
  });

  it("compares variables named like their own dimension raw, the rest through xarray", async () => {
    const { archive } = await reference(FVCOM);
    const r = await compare(FVCOM, archive);
    expect(r.differences).toEqual([]);
    expect(r.mode).toBe("xarray");
    expect(r.raw_compared.sort()).toEqual(["siglay", "siglev"]);
    expect(r.compared).toContain("temp");
  });

  it("compares compound variables raw", async () => {
    const { archive } = await reference(COMPOUND);
    const r = await compare(COMPOUND, archive);
    expect(r.ok).toBe(true);
    expect(r.raw_compared).toEqual(["obs"]);
  });

  it("compares one group of a grouped file", async () => {
    const { archive } = await reference(GROUPS, { group: "grp1" });
    const r = await compare(GROUPS, archive, ["--group", "grp1"]);
    expect(r.ok).toBe(true);
    expect(r.compared).toEqual(expect.arrayContaining(["T", "U", "V"]));
  });

  it("honours --variables and --drop-variables", async () => {
    const { archive } = await reference(GROUPS, {
      group: "grp1",
      perturb: "drop-var",
      perturbVar: "V",
    });
    const full = await compare(GROUPS, archive, ["--group", "grp1"]);
    expect(full.ok).toBe(false);
    const dropped = await compare(GROUPS, archive, ["--group", "grp1", "--drop-variables", "V"]);
    expect(dropped.ok).toBe(true);
    const chosen = await compare(GROUPS, archive, ["--group", "grp1", "--variables", "T,U"]);
    expect(chosen.ok).toBe(true);
    expect(chosen.compared).not.toContain("V");
    const missing = await compare(GROUPS, archive, ["--group", "grp1", "--variables", "T,V"]);
    expect(missing.differences).toContain("V: requested with --variables but not in the archive");
  });
});

// Each perturbation must be reported, naming what was changed.
const perturbations: Array<[string, string, string, string | undefined, RegExp]> = [
  ["value", HADGEM, "tas", undefined, /^tas: values differ at 1 of/],
  ["drop-attr", HADGEM, "tas", undefined, /^tas: attribute '\w+' is missing from the archive/],
  ["global-attr", HADGEM, "", undefined, /^global attributes 'Conventions' differs/],
  ["drop-var", HADGEM, "tas", undefined, /^tas: in the source, missing from the archive/],
  ["time-units", HADGEM, "time", undefined, /^time: values differ/],
  ["fill-value", HADGEM, "tas", undefined, /^tas: encoding _FillValue differs/],
  ["stale-metadata", HADGEM, "tas", undefined, /^\.zmetadata entry tas\/\.zattrs differs/],
  ["value", CO2, "tcco2", undefined, /^tcco2: values differ at 1 of/],
  ["time-units", HGT, "time", undefined, /^time: attribute 'units' differs/],
  ["value", FVCOM, "siglay", "siglay", /^\[raw\] siglay: raw values differ at 1 of/],
  ["value", COMPOUND, "obs", undefined, /^\[raw\] obs: raw values differ at 1 of/],
];

describe.skipIf(skip).concurrent("compare_xarray.py on perturbed archives", () => {
  for (const [kind, source, variable, perturbVar, expected] of perturbations) {
    it(`reports ${kind} on ${path.basename(source)}${variable ? ` (${variable})` : ""}`, async () => {
      const { archive, written } = await reference(source, { perturb: kind, perturbVar });
      expect(written.perturbed?.kind).toBe(kind);
      const r = await compare(source, archive);
      expect(r.ok).toBe(false);
      expect(r.differences.some((d) => expected.test(d))).toBe(true);
    });
  }
});

describe.skipIf(skip)("compare_xarray.py contract", () => {
  it("exits 2 with a traceback when it cannot run at all", async () => {
    const err = await run(PY, [COMPARE, "/nonexistent/source.nc", work]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toContain("FileNotFoundError");
  });

  it("reports a missing archive as a difference, exit 0", async () => {
    const r = await compare(CO2, path.join(work, "does-not-exist.zarr"));
    expect(r.ok).toBe(false);
    expect(r.differences[0]).toMatch(/does not exist/);
  });
});

describe.skipIf(skip)("zarr_v2_info.py", () => {
  it("describes arrays from the consolidated metadata", async () => {
    const { archive } = await reference(HADGEM);
    const { stdout } = await run(PY, [INFO, archive]);
    const info = JSON.parse(stdout) as {
      zarr_consolidated_format: number;
      keys: string[];
      attrs: Record<string, unknown>;
      arrays: Record<
        string,
        { shape: number[]; chunks: number[]; dtype: string; dims: string[]; chunks_on_disk: number }
      >;
    };
    expect(info.zarr_consolidated_format).toBe(1);
    expect(info.keys).toEqual(expect.arrayContaining([".zgroup", "tas/.zarray", "tas/.zattrs"]));
    expect(info.attrs.Conventions).toBe("CF-1.4");
    expect(info.arrays.tas.shape).toEqual([300, 2, 2]);
    expect(info.arrays.tas.dims).toEqual(["time", "lat", "lon"]);
    expect(info.arrays.tas.dtype).toBe("<f4");
    expect(info.arrays.tas.chunks_on_disk).toBeGreaterThan(0);
  });
});

// The same oracle in today's stack (xarray 2026 + zarr-python 3, the sid chroot) for Zarr v3.
async function referenceV3(
  source: string,
  opts: { perturb?: string; perturbVar?: string } = {},
): Promise<{ archive: string; written: Written }> {
  const archive = path.join(work, `ref3-${counter++}.zarr`);
  const args = [WRITE, source, archive, "--zarr-format", "3"];
  if (opts.perturb) args.push("--perturb", opts.perturb);
  if (opts.perturbVar) args.push("--perturb-var", opts.perturbVar);
  const { stdout } = await sidPython(args);
  return { archive, written: JSON.parse(stdout) as Written };
}

async function compareV3(source: string, archive: string): Promise<Comparison> {
  return JSON.parse((await sidPython([COMPARE, source, archive])).stdout) as Comparison;
}

describe.skipIf(skipSid)("compare_xarray.py on xarray's own v3 archives (today's stack)", () => {
  for (const source of [HADGEM, CO2, HGT, FVCOM]) {
    it(`passes ${path.basename(source)}`, async () => {
      const { archive } = await referenceV3(source);
      const r = await compareV3(source, archive);
      expect(r.differences).toEqual([]);
      expect(r.ok).toBe(true);
    });
  }
});

const perturbationsV3: Array<[string, string, string | undefined, RegExp]> = [
  ["value", HADGEM, undefined, /^tas: values differ at 1 of/],
  // The first attribute in v3 is _FillValue (kept as an attribute there).
  ["drop-attr", HADGEM, undefined, /^tas: encoding _FillValue is .* absent in the archive/],
  ["global-attr", HADGEM, undefined, /^global attributes 'Conventions' differs/],
  ["drop-var", HADGEM, undefined, /^tas: in the source, missing from the archive/],
  ["time-units", HADGEM, undefined, /^time: values differ/],
  ["fill-value", HADGEM, undefined, /^tas: encoding _FillValue differs/],
  ["stale-metadata", HADGEM, undefined, /^consolidated metadata entry tas differs/],
  ["value", CO2, undefined, /^tcco2: values differ at 1 of/],
  ["value", FVCOM, "siglay", /^\[raw\] siglay: raw values differ at 1 of/],
];

describe.skipIf(skipSid)("compare_xarray.py on perturbed v3 archives (today's stack)", () => {
  for (const [kind, source, perturbVar, expected] of perturbationsV3) {
    it(`reports ${kind} on ${path.basename(source)}`, async () => {
      const { archive, written } = await referenceV3(source, { perturb: kind, perturbVar });
      expect(written.perturbed?.kind).toBe(kind);
      const r = await compareV3(source, archive);
      expect(r.ok).toBe(false);
      expect(
        r.differences.some((d) => expected.test(d)),
        r.differences.join("\n"),
      ).toBe(true);
    });
  }
});
