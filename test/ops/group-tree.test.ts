/** convert of a NetCDF-4 group tree: which groups and variables land where, and the refusals. */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, InputError } from "../../src/errors.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { zarrNameProblem } from "../../src/ops/group-tree.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import { fixture, python, real, tempDir } from "../helpers/paths.js";

const tmp = tempDir("zarrify-tree-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const TREE = fixture("nc4_tree.nc");

async function convert(source: string, options: Parameters<typeof convertToZarr>[2] = {}) {
  const store = new MemoryStore();
  const result = await convertToZarr(source, join(tmp, "unused.zarr"), { ...options, store });
  return { result, meta: await readArchiveMetadata(store) };
}

describe("convert without --group writes the whole tree", () => {
  it("every group becomes a Zarr group at its path, with its variables and attributes", async () => {
    for (const zarrFormat of [2, 3] as const) {
      const { result, meta } = await convert(TREE, { zarrFormat });
      expect(result.variables).toEqual([
        "time",
        "lat",
        "forecast/member",
        "forecast/t2m",
        "forecast/ensemble stats/spread",
        "forecast/ensemble stats/name",
        "forecast/ensemble stats/label",
        "forecast/ensemble stats/deep/count",
      ]);
      expect([...meta.groups.keys()].sort()).toEqual([
        "forecast",
        "forecast/ensemble stats",
        "forecast/ensemble stats/deep",
        "obs",
      ]);
      expect(meta.consolidated).toBe(true);
      expect(meta.groups.get("obs")).toEqual({ source: "none yet" });
      expect(meta.groups.get("forecast")?.levels).toEqual([1n, 2n, 3n]);
      // A child's variable keeps the dimension its ancestor defines.
      expect(meta.arrays.get("forecast/ensemble stats/spread")?.dimensionNames).toEqual([
        "time",
        "lat",
      ]);
    }
  });

  it("the corpus file that converted to 0 variables now gives all 34, in 11 groups", async () => {
    const { result, meta } = await convert(
      real("geocat_MLS-Aura_L2GP-IWC_v02-21-c02_2007d210.he5.h5"),
    );
    expect(result.variables).toHaveLength(34);
    expect(meta.groups.size).toBe(11);
    expect(result.variables).toContain("HDFEOS/SWATHS/IWC/Data Fields/IWC");
  });

  it("--group still picks one group, its variables at the archive root", async () => {
    const { result, meta } = await convert(TREE, { group: "/forecast/ensemble stats" });
    expect(result.variables).toEqual(["spread", "name", "label"]);
    expect(meta.groups.size).toBe(0);
  });

  it("selection names: bare names in every group, grp/var in one, ancestors' coordinates come along", async () => {
    const dropped = await convert(TREE, { dropVariables: ["label", "forecast/member"] });
    expect(dropped.result.variables).not.toContain("forecast/ensemble stats/label");
    expect(dropped.result.variables).not.toContain("forecast/member");
    const picked = await convert(TREE, { variables: ["forecast/ensemble stats/spread"] });
    expect(picked.result.variables).toEqual(["time", "lat", "forecast/ensemble stats/spread"]);
    // Groups with nothing selected stay in the tree, empty.
    expect(picked.meta.groups.has("obs")).toBe(true);
  });

  it("refuses a name no group has, listing the qualified names", async () => {
    const err = await convert(TREE, { variables: ["sprd"] }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(
      /no variable 'sprd' in any group .*forecast\/ensemble stats\/spread/,
    );
  });

  it("chunk lengths apply to the groups with the dimension; unknown dimensions are refused", async () => {
    const { meta } = await convert(TREE, { chunking: { member: 1 }, zarrFormat: 3 });
    expect(meta.arrays.get("forecast/t2m")?.chunks).toEqual([3, 1, 3]);
    await expect(convert(TREE, { chunking: { membr: 1 } })).rejects.toThrow(
      /did you mean 'member'/,
    );
  });

  it("refuses a group whose name cannot be a Zarr path segment, naming it", async () => {
    const bad = join(tmp, "reserved.nc");
    execFileSync(python, [
      "-c",
      `import netCDF4\nwith netCDF4.Dataset(${JSON.stringify(bad)}, "w") as ds:\n    g = ds.createGroup("__meta")\n    g.x = 1`,
    ]);
    const err = await convert(bad).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/group '\/__meta' cannot become a Zarr group: .*'__'/);
    expect(err.hint).toMatch(/with group,/);
  });
});

describe("zarrNameProblem", () => {
  it("accepts names with spaces and dots, refuses reserved ones", () => {
    expect(zarrNameProblem("Data Fields")).toBeUndefined();
    expect(zarrNameProblem("v1.2")).toBeUndefined();
    for (const name of [".", "..", "__x", ".zgroup", "zarr.json", ".zarrify"]) {
      expect(zarrNameProblem(name), name).toBeDefined();
    }
  });
});
