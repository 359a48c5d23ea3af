/**
 * The h5wasm runtime: one WASM instance per thread, loaded on first use (so NetCDF-3-only runs
 * never pay for it) and replaced after an error, with HDF5's error stack turned into exceptions
 * instead of stderr noise. Everything that touches the WASM heap directly lives here.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Metadata } from "h5wasm/node";
import { packageRoot } from "../../package-files.js";
import { type WasmApi, type WasmInstance, type WasmModule, wasmApi } from "../../util/wasm.js";

type H5wasm = typeof import("h5wasm/node");
export type H5Module = Awaited<H5wasm["ready"]>;
export type { Metadata };

type ModuleFactory = (options: {
  noInitialRun: boolean;
  printErr?: (line: string) => void;
  instantiateWasm?: (
    imports: object,
    done: (instance: WasmInstance, module: WasmModule) => void,
  ) => object;
}) => Promise<H5Module>;

/**
 * h5wasm's emscripten factory (dist/node/hdf5_util.js), which h5wasm's package exports do not
 * expose: found the way Node resolves packages, walking up node_modules directories.
 */
export function factoryUrl(): string | undefined {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolve === "function") {
    try {
      return new URL("hdf5_util.js", resolve("h5wasm/node")).href;
    } catch {
      // Fall through to the directory walk.
    }
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "node_modules", "h5wasm", "dist", "node", "hdf5_util.js");
    if (existsSync(candidate)) return pathToFileURL(candidate).href;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The build's split of that factory (scripts/h5wasm-split.mjs): the glue without its inlined
 * binary, and the binary, if they were made from the h5wasm installed beside `factory`.
 */
export function splitBuild(factory: string): { glue: string; wasm: string } | undefined {
  const dir = join(packageRoot(), "dist", "vendor", "h5wasm");
  try {
    const origin = JSON.parse(readFileSync(join(dir, "origin.json"), "utf8")) as {
      h5wasm?: string;
    };
    const installed = JSON.parse(readFileSync(new URL("../../package.json", factory), "utf8")) as {
      version?: string;
    };
    if (origin.h5wasm !== installed.version) return undefined;
  } catch {
    return undefined;
  }
  return { glue: pathToFileURL(join(dir, "hdf5_util.js")).href, wasm: join(dir, "hdf5_util.wasm") };
}

let instances = 0;

/**
 * WASM instances this thread has started (a retired one counts too). Worker threads that read
 * only through detached raw sources (`readers/detached.ts`) report 0: the engine tests check it.
 */
export function h5wasmInstances(): number {
  return instances;
}

const FACTORY_OPTIONS = {
  noInitialRun: true,
  // Emscripten's own complaints ("Cannot enlarge memory, requested …" when a corrupt chunk
  // inflates past the heap) would be a second, stray line on stderr; the failed call throws, and
  // that error is what is reported.
  printErr: () => {},
};

async function fromFactory(url: string): Promise<H5Module> {
  return ((await import(url)) as { default: ModuleFactory }).default(FACTORY_OPTIONS);
}

async function fromSplit(split: { glue: string; wasm: string }, wasm: WasmApi): Promise<H5Module> {
  // The binary compiles on V8's background threads while the glue loads.
  const [factory, compiled] = await Promise.all([
    import(split.glue) as Promise<{ default: ModuleFactory }>,
    readFile(split.wasm).then((bytes) => wasm.compile(bytes)),
  ]);
  return factory.default({
    ...FACTORY_OPTIONS,
    // Synchronous, so that a failure throws inside the glue's own try and rejects the
    // factory's promise.
    instantiateWasm: (imports, done) => {
      done(new wasm.Instance(compiled, imports), compiled);
      return {};
    },
  });
}

/**
 * A new instance from the build's split (`split`, else the one `splitBuild` finds) when it loads,
 * else from h5wasm as installed: a split that does not load (a damaged build) costs nothing more
 * than the time to find out.
 */
export async function newInstance(split?: { glue: string; wasm: string }): Promise<H5Module> {
  const url = factoryUrl();
  const wasm = wasmApi;
  const chosen = split ?? (url && wasm ? splitBuild(url) : undefined);
  let module = chosen && wasm ? await fromSplit(chosen, wasm).catch(() => undefined) : undefined;
  module ??= url ? await fromFactory(url) : await (await import("h5wasm/node")).ready;
  return module;
}

async function instantiate(): Promise<H5Module> {
  instances++;
  const module = await newInstance();
  // Without this HDF5 prints its whole error stack to stderr and h5wasm carries on with a
  // failed id; with it every failing API call throws, carrying that stack as its message.
  module.activate_throwing_error_handler();
  return module;
}

let current: { module: Promise<H5Module>; resolved?: H5Module } | undefined;

/** The WASM instance new files are opened on. */
export function h5module(): Promise<H5Module> {
  if (!current) {
    const entry: { module: Promise<H5Module>; resolved?: H5Module } = { module: instantiate() };
    entry.module.then(
      (m) => {
        entry.resolved = m;
      },
      () => {
        if (current === entry) current = undefined;
      },
    );
    current = entry;
  }
  return current.module;
}

/**
 * Stop opening new files on `module`. An HDF5 error unwinds through C code without its cleanup,
 * and corrupt files can make HDF5 abort, which kills the instance; so after any error new files
 * get a fresh instance, while files already open on the old one keep using it.
 */
export function retire(module: H5Module): void {
  if (current?.resolved === module) current = undefined;
}

/** h5wasm reports H5S_UNLIMITED (2^64-1) as a double; anything past 2^53 can only be that. */
export function isUnlimitedExtent(maxExtent: number): boolean {
  return maxExtent > Number.MAX_SAFE_INTEGER;
}

/**
 * The most specific line of an HDF5 error stack ("truncated file: eof = 60000, ..."), or the
 * message itself for errors that did not come from HDF5.
 */
export function hdf5ErrorSummary(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = [...message.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)$/gm)];
  if (lines.length > 0) return lines[lines.length - 1][1].trim();
  if (message.startsWith("Aborted("))
    return "HDF5 aborted (an internal error; the file is likely corrupt)";
  if (message.includes("name not defined")) return "object not found";
  return message.split("\n")[0];
}

/**
 * A block of WASM heap for HDF5 to read into. The heap grows to fit and never shrinks, so callers
 * keep these to bounded slab sizes.
 */
export function allocate(module: H5Module, nbytes: number): number {
  if (nbytes > module.MAXIMUM_MEMORY / 2) {
    throw new RangeError(
      `a ${(nbytes / 2 ** 20).toFixed(0)} MiB read exceeds the HDF5 reader's WASM memory`,
    );
  }
  const ptr = module._malloc(Math.max(1, nbytes));
  if (ptr === 0) {
    throw new RangeError(`HDF5 reader out of WASM memory allocating ${nbytes} bytes`);
  }
  return ptr;
}

const utf8 = new TextDecoder("utf-8");

/** A NUL-terminated UTF-8 string at `ptr` in the WASM heap; a null pointer reads as "". */
export function cString(module: H5Module, ptr: number): string {
  if (ptr === 0) return "";
  const heap = module.HEAPU8;
  let end = ptr;
  while (end < heap.length && heap[end] !== 0) end++;
  return utf8.decode(heap.subarray(ptr, end));
}

/** Decode `count` vlen-string pointers (4 bytes each on wasm32) starting at `ptr`. */
export function vlenStrings(module: H5Module, ptr: number, count: number): string[] {
  const pointers = new Uint32Array(module.HEAPU8.buffer, ptr, count).slice();
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = cString(module, pointers[i]);
  return out;
}
