/**
 * One netCDF variable of an HDF5 file as a lazy `Variable`. Its shape comes from its dimensions,
 * like netCDF-C: a variable on an unlimited dimension that was written with fewer records than
 * the dimension's length reads the missing records as its fill value.
 */
import {
  ARRAY_TYPES,
  type AttrValue,
  type DataArray,
  type DType,
  NETCDF_DEFAULT_FILL,
  type Variable,
} from "../../dataset/types.js";
import { InputError } from "../../errors.js";
import { product } from "../../util/shape.js";
import { ChunkDataError } from "./filters.js";
import { FormatError } from "./le-reader.js";
import type { RawPlan, RawReport } from "./raw-chunks.js";
import { type H5Module, hdf5ErrorSummary, retire } from "./runtime.js";
import { readSlab, type SlabSource, typedView } from "./slab.js";
import type { Encoding } from "./types.js";

/**
 * A Variable with the enum mapping kept when the HDF5 type was an enum, and `readPath`: whether
 * reads take the raw chunk path (`raw-chunks.ts`) or h5wasm, and why (tests, diagnostics).
 */
export type Hdf5Variable = Variable & {
  enumMembers?: Record<string, number>;
  readPath(): Promise<RawReport>;
};

/** Filters HDF5 itself provides in h5wasm; anything else needs a plugin we do not ship. */
const BUILTIN_FILTERS: Record<number, string> = {
  1: "deflate",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
};

const PLUGIN_FILTER_NAMES: Record<number, string> = {
  307: "bzip2",
  32001: "blosc",
  32004: "lz4",
  32008: "bitshuffle",
  32013: "zfp",
  32015: "zstd",
  32017: "sz",
};

export interface FilterInfo {
  id: number;
  name: string;
  cd_values: number[];
}

export function describeFilters(filters: FilterInfo[]): { labels: string[]; missing?: string } {
  const labels: string[] = [];
  let missing: string | undefined;
  for (const f of filters) {
    const builtin = BUILTIN_FILTERS[f.id];
    if (f.id === 1) labels.push(`deflate(${f.cd_values[0] ?? 0})`);
    else if (builtin) labels.push(builtin);
    else {
      const name = PLUGIN_FILTER_NAMES[f.id] ?? (f.name || "unknown filter");
      labels.push(`${name} (filter ${f.id})`);
      missing ??= `${name} compression (HDF5 filter ${f.id}) is not supported`;
    }
  }
  return { labels, missing };
}

export interface VariableSpec {
  module: H5Module;
  fileId: bigint;
  filePath: string;
  name: string;
  hdf5Path: string;
  dtype: DType;
  encoding: Encoding;
  elementSize: number;
  dims: string[];
  shape: number[];
  /** The dataset's stored extent (≤ shape on unlimited axes). */
  extent: number[];
  attrs: Record<string, AttrValue>;
  attrTypes: Record<string, DType>;
  chunks?: number[];
  filters: string[];
  enumMembers?: Record<string, number>;
  isOpen: () => boolean;
  /** The raw read path's plan for this dataset; absent when raw reads are off. */
  rawPlan?: () => Promise<RawPlan>;
}

function checkBox(spec: VariableSpec, start: number[], count: number[]): void {
  const rank = spec.shape.length;
  if (start.length !== rank || count.length !== rank) {
    throw new RangeError(
      `${spec.name}: read needs ${rank} start/count values, got ${start.length}/${count.length}`,
    );
  }
  for (let d = 0; d < rank; d++) {
    const s = start[d];
    const c = count[d];
    if (!Number.isInteger(s) || !Number.isInteger(c) || s < 0 || c < 0 || s + c > spec.shape[d]) {
      throw new RangeError(
        `${spec.name}: slab [${start}] + [${count}] is outside the shape [${spec.shape}]`,
      );
    }
  }
}

function fillValue(spec: VariableSpec): number | bigint | string {
  const fill = spec.attrs._FillValue;
  if (spec.dtype === "char") {
    return typeof fill === "string" && fill.length > 0 ? fill.charCodeAt(0) : 0;
  }
  if (typeof fill === "number" || typeof fill === "bigint" || typeof fill === "string") return fill;
  return NETCDF_DEFAULT_FILL[spec.dtype];
}

function emptyArray(spec: VariableSpec, n: number): DataArray {
  const fill = fillValue(spec);
  if (spec.dtype === "string") return new Array<string>(n).fill(String(fill));
  const ctor = ARRAY_TYPES[spec.dtype];
  const out = new ctor(n);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) out.fill(BigInt(fill));
  else (out as Float64Array).fill(Number(fill));
  return out;
}

/** Copy a C-order box `inner` (shape innerCount) into `outer` (shape outerCount) at `offset`. */
function pasteBox(
  outer: DataArray,
  outerCount: number[],
  inner: DataArray,
  innerCount: number[],
  offset: number[],
): void {
  const rank = outerCount.length;
  const strides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * outerCount[d + 1];
  const rowLength = innerCount[rank - 1];
  const rows = product(innerCount.slice(0, rank - 1));
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
  for (let r = 0; r < rows; r++) {
    let base = offset[rank - 1];
    for (let d = 0; d < rank - 1; d++) base += (index[d] + offset[d]) * strides[d];
    const row = inner.slice(r * rowLength, (r + 1) * rowLength);
    if (Array.isArray(outer)) {
      for (let i = 0; i < rowLength; i++) outer[base + i] = (row as string[])[i];
    } else {
      (outer as Float64Array).set(row as Float64Array, base);
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < innerCount[d]) break;
      index[d] = 0;
    }
  }
}

export function makeVariable(spec: VariableSpec): Hdf5Variable {
  const source: SlabSource = {
    module: spec.module,
    fileId: spec.fileId,
    path: spec.hdf5Path,
    rank: spec.shape.length,
    encoding: spec.encoding,
    elementSize: spec.elementSize,
    chunks: spec.chunks,
  };

  // Strings keep h5wasm's conversions; numbers and chars are the stored bytes.
  const rawEligible = spec.encoding === "numeric" || spec.encoding === "char";
  let plan: Promise<RawPlan> | undefined;
  const rawPlan = (): Promise<RawPlan> => {
    if (!spec.rawPlan)
      return Promise.resolve({ report: { raw: false, reason: "raw reads are off" } });
    if (!rawEligible) {
      return Promise.resolve({ report: { raw: false, reason: `${spec.encoding} values` } });
    }
    plan ??= spec.rawPlan();
    return plan;
  };

  /** A box inside the stored extent: raw when the plan allows, else h5wasm. */
  async function readStored(start: number[], count: number[]): Promise<DataArray> {
    const dataset = (await rawPlan()).dataset;
    if (dataset) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await dataset.read(start, count);
      } catch (err) {
        if (!(err instanceof ChunkDataError || err instanceof FormatError)) throw err;
        throw new InputError(
          `${spec.filePath}: cannot read variable '${spec.name}' at [${start}] + [${count}]: ${err.message}`,
          { path: spec.filePath, cause: err, hint: "the file may be corrupt or truncated" },
        );
      }
      if (bytes) return typedView(bytes, spec.dtype);
    }
    return readSlab(source, spec.dtype, start, count);
  }

  async function read(start: number[], count: number[]): Promise<DataArray> {
    checkBox(spec, start, count);
    const stored = count.map((c, d) => Math.max(0, Math.min(c, spec.extent[d] - start[d])));
    if (stored.every((c, d) => c === count[d])) return readStored(start, count);
    // Part of the box lies past the records this variable has: fill, then paste what exists.
    const out = emptyArray(spec, product(count));
    if (product(stored) > 0) {
      const inner = await readStored(start, stored);
      pasteBox(out, count, inner, stored, new Array<number>(count.length).fill(0));
    }
    return out;
  }

  const variable: Hdf5Variable = {
    name: spec.name,
    dtype: spec.dtype,
    dims: spec.dims,
    shape: spec.shape,
    attrs: spec.attrs,
    attrTypes: spec.attrTypes,
    sourceChunks: spec.chunks,
    sourceFilters: spec.filters,
    async read(start, count) {
      if (!spec.isOpen()) {
        throw new InputError(`${spec.filePath}: read of '${spec.name}' after the file was closed`, {
          path: spec.filePath,
        });
      }
      try {
        return await read(start, count);
      } catch (err) {
        if (err instanceof RangeError || err instanceof InputError) throw err;
        retire(spec.module);
        throw new InputError(
          `${spec.filePath}: cannot read variable '${spec.name}' at [${start}] + [${count}]: ${hdf5ErrorSummary(err)}`,
          { path: spec.filePath, cause: err, hint: "the file may be corrupt or truncated" },
        );
      }
    },
    readPath: async () => (await rawPlan()).report,
  };
  if (spec.enumMembers) variable.enumMembers = spec.enumMembers;
  return variable;
}
