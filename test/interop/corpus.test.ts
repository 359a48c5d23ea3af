/**
 * Every real file in ../shared/data/real converts to Zarr v2 and v3. v2 archives are opened by
 * Debian 12's xarray, v3 archives by today's xarray + zarr-python 3 (the sid chroot), and each is
 * compared with that xarray's view of the source (compare_xarray.py). v3 archives are also read
 * back by zarrita.js and compared value for value with what our readers return (the readers are
 * themselves checked against netCDF4-python in test/readers), as far as zarrita can read them.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import type { DataArray } from "../../src/dataset/types.js";
import { InputError } from "../../src/errors.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { openDataset } from "../../src/readers/index.js";
import { parseJson } from "../../src/zarr/json.js";
import { python, repoRoot, tempDir } from "../helpers/paths.js";
import { sidPython, skipSid } from "../helpers/sid.js";
import { fsReader } from "../helpers/zarrita.js";
import { files, REFERENCE_CANNOT_READ, sources, UNDEFINED_IN_SOURCE } from "./corpus-sources.js";
import { OUT_OF_SCOPE } from "./out-of-scope.js";

const run = promisify(execFile);
const COMPARE = join(repoRoot, "test/interop/compare_xarray.py");
const tmp = tempDir("zarrify-corpus-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function bytesOf(a: DataArray | unknown[]): Buffer | string {
  if (Array.isArray(a)) return JSON.stringify(a);
  const t = a as Uint8Array;
  return Buffer.from(t.buffer, t.byteOffset, t.byteLength);
}

it("finds the real corpus", () => {
  expect(files.length).toBeGreaterThanOrEqual(118);
});

interface Report {
  ok: boolean;
  differences: string[];
  mode: string;
}

describe.each(sources)("%s", (file, source) => {
  const options = OUT_OF_SCOPE[file]?.options ?? {};
  // One v3 conversion serves the xarray and the zarrita checks.
  let v3: Promise<string> | undefined;
  const v3Archive = () => {
    v3 ??= (async () => {
      const out = join(tmp, `${file}.v3.zarr`);
      await convertToZarr(source, out, { ...options, zarrFormat: 3 });
      return out;
    })();
    return v3;
  };
  const notCompared = [...(options.dropVariables ?? []), ...(UNDEFINED_IN_SOURCE[file] ?? [])];
  const compareArgs = (out: string) => {
    const args = [COMPARE, source, out];
    if (notCompared.length > 0) args.push("--drop-variables", notCompared.join(","));
    return args;
  };

  it.runIf(REFERENCE_CANNOT_READ.has(file))(
    "is still misread by netCDF-C (when that is fixed, compare it like the others)",
    async () => {
      const probe = `import netCDF4, sys
try:
    d = netCDF4.Dataset(sys.argv[1]); print(max(len(x) for x in d.dimensions.values() if x.isunlimited()))
except Exception as e:
    print("error", type(e).__name__)`;
      const { stdout } = await run(python, ["-c", probe, source]);
      expect(stdout.trim()).toMatch(/^(4294967295|error)/);
    },
  );

  if (OUT_OF_SCOPE[file]) {
    it("refuses the unsupported part with a clear InputError, and converts the rest", async () => {
      const refused = convertToZarr(source, join(tmp, `${file}.refused.zarr`));
      await expect(refused).rejects.toBeInstanceOf(InputError);
      await expect(refused).rejects.toThrow(OUT_OF_SCOPE[file].error);
      expect(existsSync(join(tmp, `${file}.refused.zarr`))).toBe(false);
    });
  }

  it.skipIf(REFERENCE_CANNOT_READ.has(file))(
    "Zarr v2 opens in xarray exactly like the source",
    async () => {
      const out = join(tmp, `${file}.v2.zarr`);
      await convertToZarr(source, out, { ...options, zarrFormat: 2 });
      const { stdout } = await run(python, compareArgs(out), { maxBuffer: 64 * 1024 * 1024 });
      const report = JSON.parse(stdout) as Report;
      expect(report.differences, `compare mode ${report.mode}`).toEqual([]);
      expect(report.ok).toBe(true);
    },
  );

  it.skipIf(skipSid || REFERENCE_CANNOT_READ.has(file))(
    "Zarr v3 opens in today's xarray exactly like the source",
    async () => {
      const { stdout } = await sidPython(compareArgs(await v3Archive()));
      const report = JSON.parse(stdout) as Report;
      expect(report.differences, `compare mode ${report.mode}`).toEqual([]);
      expect(report.ok).toBe(true);
    },
  );

  it("Zarr v3 read back by zarrita equals the source, where zarrita has the data type", async () => {
    const out = await v3Archive();
    const store = await zarr.withConsolidatedMetadata(fsReader(out, { strictJson: true }), {
      format: "v3",
    });
    const root = await zarr.open(store, { kind: "group" });
    const ds = await openDataset(source);
    try {
      const drop = new Set(notCompared);
      for (const v of ds.variables.filter((x) => !drop.has(x.name))) {
        // zarrita has no null_terminated_bytes / fixed_length_utf32 (xarray's char and string
        // data types in v3): those are checked by today's xarray above.
        const meta = parseJson(readFileSync(join(out, v.name, "zarr.json"), "utf8")) as {
          data_type: unknown;
        };
        if (typeof meta.data_type !== "string") continue;
        const arr = await zarr.open(root.resolve(v.name), { kind: "array" });
        expect(arr.shape, v.name).toEqual(v.shape);
        expect(arr.dimensionNames ?? [], v.name).toEqual(v.dims);
        if (v.shape.some((n) => n === 0)) continue;
        const want = await v.read(
          v.shape.map(() => 0),
          v.shape,
        );
        const got = await zarr.get(arr);
        const values = v.shape.length === 0 ? [got] : (got as { data: unknown }).data;
        const normalized =
          v.shape.length === 0 && !Array.isArray(want)
            ? bytesOf(
                new (want.constructor as new (x: unknown[]) => DataArray)(values as unknown[]),
              )
            : bytesOf(values as DataArray);
        // Buffer.equals, not toEqual: a deep element-by-element diff of megabytes takes seconds.
        const expected = bytesOf(want);
        const same =
          typeof normalized === "string" || typeof expected === "string"
            ? normalized === expected
            : normalized.equals(expected);
        expect(same, `${v.name}: zarrita's values differ from the source`).toBe(true);
      }
    } finally {
      await ds.close();
    }
  });
});
