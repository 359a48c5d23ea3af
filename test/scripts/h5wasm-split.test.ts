import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { factoryUrl, newInstance, splitBuild } from "../../src/readers/hdf5/runtime.js";
import { type WasmInstance, type WasmModule, wasmApi } from "../../src/util/wasm.js";
import { fixture, repoRoot, tempDir } from "../helpers/paths.js";

interface SplitModule {
  H5F_ACC_RDONLY: number;
  open(path: string, mode: number, a: boolean, b: number, c: number): bigint;
  get_names(file: bigint, group: string, recursive: boolean): string[];
  close_file(file: bigint): number;
}

describe("scripts/h5wasm-split.mjs", () => {
  const out = tempDir("zarrify-h5split-");
  execFileSync(process.execPath, [join(repoRoot, "scripts/h5wasm-split.mjs"), out], {
    cwd: repoRoot,
  });

  it("writes the glue without its binary, and the binary", () => {
    expect(statSync(join(out, "hdf5_util.js")).size).toBeLessThan(1_000_000);
    const wasm = readFileSync(join(out, "hdf5_util.wasm"));
    expect([...wasm.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
    const installed = JSON.parse(
      readFileSync(join(repoRoot, "node_modules/h5wasm/package.json"), "utf8"),
    );
    expect(JSON.parse(readFileSync(join(out, "origin.json"), "utf8"))).toEqual({
      h5wasm: installed.version,
    });
  });

  it("gives a glue and binary that open a NetCDF-4 file together", async () => {
    const wasm = wasmApi as NonNullable<typeof wasmApi>;
    const compiled = await wasm.compile(readFileSync(join(out, "hdf5_util.wasm")));
    const { default: factory } = await import(pathToFileURL(join(out, "hdf5_util.js")).href);
    const module = (await factory({
      noInitialRun: true,
      printErr: () => {},
      instantiateWasm: (imports: object, done: (i: WasmInstance, m: WasmModule) => void) => {
        done(new wasm.Instance(compiled, imports), compiled);
        return {};
      },
    })) as SplitModule;
    const file = module.open(fixture("nc4_chunked.nc"), module.H5F_ACC_RDONLY, false, -1, -1);
    expect(module.get_names(file, "/", false).length).toBeGreaterThan(0);
    module.close_file(file);
  });

  it("is what the runtime loads after a build, for the h5wasm it was made from", () => {
    const factory = factoryUrl() as string;
    expect(splitBuild(factory)?.wasm).toBe(join(repoRoot, "dist/vendor/h5wasm/hdf5_util.wasm"));
  });
});

describe("the HDF5 runtime's instance", () => {
  const listNames = (module: unknown) => {
    const m = module as SplitModule;
    const file = m.open(fixture("nc4_chunked.nc"), m.H5F_ACC_RDONLY, false, -1, -1);
    try {
      return m.get_names(file, "/", false);
    } finally {
      m.close_file(file);
    }
  };

  it("comes from the split when it loads", async () => {
    const split = splitBuild(factoryUrl() as string) as { glue: string; wasm: string };
    // A glue that says it was called, then is the split's.
    const glue = join(tempDir("zarrify-h5split-spy-"), "glue.mjs");
    writeFileSync(
      glue,
      `export default async (o) => { globalThis.zarrifySplitUsed = true; return (await import(${JSON.stringify(split.glue)})).default(o); };`,
    );
    const spied = { glue: pathToFileURL(glue).href, wasm: split.wasm };
    expect(listNames(await newInstance(spied)).length).toBeGreaterThan(0);
    expect((globalThis as { zarrifySplitUsed?: boolean }).zarrifySplitUsed).toBe(true);
  });

  it("comes from h5wasm as installed when the split is damaged", async () => {
    const dir = tempDir("zarrify-h5split-bad-");
    const good = splitBuild(factoryUrl() as string) as { glue: string; wasm: string };
    const wasm = join(dir, "hdf5_util.wasm");
    writeFileSync(wasm, readFileSync(good.wasm).subarray(0, 100_000));
    expect(listNames(await newInstance({ glue: good.glue, wasm })).length).toBeGreaterThan(0);
  });
});
