/**
 * NetCDF-4 group trees converted whole (no --group): every group file of the real corpus and the
 * tree fixtures. Zarr v3 archives must open in today's xarray (sid) as a DataTree equal to
 * `xr.open_datatree(source)`; Zarr v2 archives group by group in Debian 12's xarray (2023.01 has
 * no DataTree). compare_datatree.py decides both; its self-test below shows it fails on a
 * perturbed tree.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { type ConvertOptions, convertToZarr } from "../../src/ops/convert.js";
import { writeConsolidated } from "../../src/zarr/archive.js";
import { parseJson } from "../../src/zarr/json.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { fixture, python, real, realDir, repoRoot, tempDir } from "../helpers/paths.js";
import { sidPython, skipSid } from "../helpers/sid.js";
import { OUT_OF_SCOPE } from "./out-of-scope.js";

const run = promisify(execFile);
const COMPARE = join(repoRoot, "test/interop/compare_datatree.py");
const tmp = tempDir("zarrify-groups-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The corpus files with groups (`ncdump -h` shows `group:`; ../shared/data/real/README.md). */
const CORPUS_TREES = [
  "geocat_MLS-Aura_L2GP-IWC_v02-21-c02_2007d210.he5.h5",
  "geocat_nc4uvt.nc",
  "netcdf-c_ref_groups.h5",
  "netcdf-c_ref_no_ncproperty.nc",
  "tidync_S2008001.L3b_DAY_RRS.nc",
  "tidync_S20080012008031.L3m_MO_CHL_chlor_a_9km.nc",
  "tidync_test_hgroups.nc",
];
/** nc4_groups.nc has a child shadowing its parent's dimension: DataTree refuses it (per group). */
const FIXTURE_TREES = ["nc4_tree.nc", "nc4_groups.nc"];

const sources: [string, string][] = [
  ...(existsSync(realDir) ? CORPUS_TREES.map((f) => [f, real(f)] as [string, string]) : []),
  ...FIXTURE_TREES.map((f) => [f, fixture(f)] as [string, string]),
];

interface Report {
  ok: boolean;
  mode: string;
  nodes: string[];
  differences: string[];
  compared: string[];
}

function compareArgs(file: string, source: string, archive: string): string[] {
  const args = [COMPARE, source, archive];
  const drop = OUT_OF_SCOPE[file]?.options.dropVariables;
  if (drop) args.push("--drop-variables", drop.join(","));
  return args;
}

async function debian(args: string[]): Promise<Report> {
  const { stdout } = await run(python, args, { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as Report;
}

async function sid(args: string[]): Promise<Report> {
  return JSON.parse((await sidPython(args)).stdout) as Report;
}

const converted = new Map<string, Promise<string>>();
function archive(file: string, source: string, zarrFormat: 2 | 3): Promise<string> {
  const key = `${file}.v${zarrFormat}`;
  let done = converted.get(key);
  if (!done) {
    const options: ConvertOptions = { ...(OUT_OF_SCOPE[file]?.options ?? {}), zarrFormat };
    const out = join(tmp, `${key}.zarr`);
    done = convertToZarr(source, out, options).then(() => out);
    converted.set(key, done);
  }
  return done;
}

describe.each(sources)("%s", (file, source) => {
  it.skipIf(skipSid)("Zarr v3: xr.open_datatree equals the source's tree", async () => {
    const report = await sid(compareArgs(file, source, await archive(file, source, 3)));
    expect(report.differences, report.mode).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.nodes.length).toBeGreaterThan(1);
    // Every group's variables were compared, not only the root's.
    const below = report.compared.filter((n) => n.split("/").length > 2);
    if (file !== "tidync_S2008001.L3b_DAY_RRS.nc") expect(below.length).toBeGreaterThan(0);
  });

  it("Zarr v2: every group opens in Debian 12's xarray like the source's group", async () => {
    const report = await debian(compareArgs(file, source, await archive(file, source, 2)));
    expect(report.differences, report.mode).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.mode).toMatch(/^per group/);
    expect(report.nodes.length).toBeGreaterThan(1);
  });
});

it.skipIf(skipSid)(
  "v3 consolidated metadata lists the tree as zarr-python 3's DataTree.to_zarr does",
  async () => {
    const ours = await archive("nc4_tree.nc", fixture("nc4_tree.nc"), 3);
    const ref = join(tmp, "reference-tree.zarr");
    await sidPython([
      "-c",
      `import xarray as xr, warnings; warnings.simplefilter("ignore"); xr.open_datatree(${JSON.stringify(fixture("nc4_tree.nc"))}).to_zarr(${JSON.stringify(ref)}, zarr_format=3, consolidated=True)`,
    ]);
    /** The root's consolidated entries in their order: path → document. */
    const entries = (dir: string) => {
      const root = parseJson(readFileSync(join(dir, "zarr.json"), "utf8")) as unknown as {
        consolidated_metadata: { metadata: Record<string, Record<string, unknown>> };
      };
      return Object.entries(root.consolidated_metadata.metadata);
    };
    const shape = (dir: string) =>
      entries(dir)
        .filter(([, doc]) => doc.node_type === "group")
        .map(([path, doc]) => [path, doc.consolidated_metadata]);
    const groups = shape(ours);
    expect(groups.map(([p]) => p)).toEqual([
      "forecast",
      "obs",
      "forecast/ensemble stats",
      "forecast/ensemble stats/deep",
    ]);
    expect(groups).toEqual(shape(ref));
    const arrays = (dir: string) => entries(dir).map(([p]) => p);
    expect(arrays(ours).sort()).toEqual(arrays(ref).sort());
  },
);

describe("compare_datatree.py fails on a perturbed tree", () => {
  const source = fixture("nc4_tree.nc");
  /** A copy of the source changed by netCDF4-python (`code` sees the open file as `ds`). */
  async function perturbed(name: string, code: string): Promise<string> {
    const out = join(tmp, name);
    cpSync(source, out);
    await run(python, [
      "-c",
      `import netCDF4, numpy as np\nwith netCDF4.Dataset(${JSON.stringify(out)}, "a") as ds:\n    ${code}`,
    ]);
    return out;
  }
  /** A copy of the archive without group `obs`, its consolidated metadata rewritten to match. */
  async function withoutGroup(zarrFormat: 2 | 3): Promise<string> {
    const out = join(tmp, `dropped-group.v${zarrFormat}.zarr`);
    cpSync(await archive("nc4_tree.nc", source, zarrFormat), out, { recursive: true });
    rmSync(join(out, "obs"), { recursive: true });
    await writeConsolidated(new FsStore(out), zarrFormat);
    return out;
  }

  for (const [stack, compare, skip] of [
    ["today's xarray, Zarr v3", sid, skipSid],
    ["Debian 12's xarray, Zarr v2", debian, false],
  ] as const) {
    const format = stack.endsWith("v3") ? 3 : 2;
    describe(stack, () => {
      it.skipIf(skip)("the unperturbed tree is equal", async () => {
        const report = await compare([
          COMPARE,
          source,
          await archive("nc4_tree.nc", source, format),
        ]);
        expect(report.differences).toEqual([]);
      });

      it.skipIf(skip)("a dropped child group", async () => {
        const report = await compare([COMPARE, source, await withoutGroup(format)]);
        expect(report.ok).toBe(false);
        expect(report.differences).toContain("/obs: group in the source, missing from the archive");
      });

      it.skipIf(skip)("a changed value in a child group", async () => {
        const src = await perturbed(
          `value.v${format}.nc`,
          `ds["forecast/ensemble stats"]["spread"][2, 2] = 5.0`,
        );
        const report = await compare([COMPARE, src, await archive("nc4_tree.nc", source, format)]);
        expect(report.ok).toBe(false);
        expect(report.differences.join("\n")).toMatch(
          /^\/forecast\/ensemble stats: spread: .*values/m,
        );
      });

      it.skipIf(skip)("a changed attribute of a group", async () => {
        const src = await perturbed(`attr.v${format}.nc`, `ds["forecast"].gain = np.float32(2.0)`);
        const report = await compare([COMPARE, src, await archive("nc4_tree.nc", source, format)]);
        expect(report.ok).toBe(false);
        expect(report.differences.join("\n")).toMatch(/^\/forecast: global attributes.*gain/m);
      });
    });
  }
});
