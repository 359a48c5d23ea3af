/**
 * The h5wasm runtime: one WASM instance per thread, loaded on first use (so NetCDF-3-only runs
 * never pay for it) and replaced after an error, with HDF5's error stack turned into exceptions
 * instead of stderr noise. Everything that touches the WASM heap directly lives here.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Metadata } from "h5wasm/node";

type H5wasm = typeof import("h5wasm/node");
export type H5Module = Awaited<H5wasm["ready"]>;
export type { Metadata };

type ModuleFactory = (options: {
  noInitialRun: boolean;
  printErr?: (line: string) => void;
}) => Promise<H5Module>;

/**
 * h5wasm's emscripten factory (dist/node/hdf5_util.js), which h5wasm's package exports do not
 * expose: found the way Node resolves packages, walking up node_modules directories.
 */
function factoryUrl(): string | undefined {
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

let instances = 0;

/**
 * WASM instances this thread has started (a retired one counts too). Worker threads that read
 * only through detached raw sources (`readers/detached.ts`) report 0: the engine tests check it.
 */
export function h5wasmInstances(): number {
  return instances;
}

async function instantiate(): Promise<H5Module> {
  instances++;
  const url = factoryUrl();
  const module = url
    ? await ((await import(url)) as { default: ModuleFactory }).default({
        noInitialRun: true,
        // Emscripten's own complaints ("Cannot enlarge memory, requested …" when a corrupt
        // chunk inflates past the heap) would be a second, stray line on stderr; the failed call
        // throws, and that error is what is reported.
        printErr: () => {},
      })
    : await (await import("h5wasm/node")).ready;
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
