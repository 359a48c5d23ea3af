/**
 * One netCDF variable of an HDF5 file as a lazy `Variable`. Its shape comes from its dimensions,
 * like netCDF-C: a variable on an unlimited dimension that was written with fewer records than
 * the dimension's length reads the missing records as its fill value.
 */
import type { AttrValue, DataArray, DType, Variable } from "../../dataset/types.js";
import { InputError } from "../../errors.js";
import { baseOf } from "../detached-base.js";
import { describeHdf5, type Hdf5DetachedSource } from "./detached.js";
import { type ExtentSpec, fillValue, readThroughExtent } from "./extent.js";
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
  /**
   * How another thread reads this variable without the file open in h5wasm (`detached.ts`):
   * for variables on the raw path whose every read it answers; undefined for the rest.
   */
  detached(): Promise<Hdf5DetachedSource | undefined>;
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
  /** For a remote file: the InputError behind a failed HDF5 read, when the source failed. */
  ioError?: () => InputError | undefined;
  /** The raw read path's plan for this dataset; absent when raw reads are off. */
  rawPlan?: () => Promise<RawPlan>;
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
    const { dataset, corrupt } = await rawPlan();
    if (corrupt) {
      throw new InputError(`${spec.filePath}: cannot read variable '${spec.name}': ${corrupt}`, {
        path: spec.filePath,
        hint: "the file may be corrupt or truncated",
      });
    }
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

  const extentSpec: ExtentSpec = { ...spec, fill: fillValue(spec.dtype, spec.attrs) };
  const read = (start: number[], count: number[]) =>
    readThroughExtent(extentSpec, start, count, readStored);

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
        const remote = spec.ioError?.();
        if (remote) throw remote;
        throw new InputError(
          `${spec.filePath}: cannot read variable '${spec.name}' at [${start}] + [${count}]: ${hdf5ErrorSummary(err)}`,
          { path: spec.filePath, cause: err, hint: "the file may be corrupt or truncated" },
        );
      }
    },
    readPath: async () => (await rawPlan()).report,
    async detached() {
      if (!spec.isOpen()) return undefined;
      const dataset = (await rawPlan()).dataset;
      if (!dataset) return undefined;
      return describeHdf5(baseOf(spec.filePath, variable), spec.extent, extentSpec.fill, dataset);
    },
  };
  if (spec.enumMembers) variable.enumMembers = spec.enumMembers;
  return variable;
}
