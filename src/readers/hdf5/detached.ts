/**
 * A numeric variable of a NetCDF-4/HDF5 file without its Dataset: the raw chunk path's plan
 * (`raw-chunks.ts`: storage, filters, the chunk table) made on the thread that opened the file,
 * carried as plain data, and read here through a ByteSource of that file — no h5wasm, no header
 * or index parsed again. Only variables whose every read the raw path answers are described:
 * strings, szip and other filters, undecidable fill values stay with their Dataset.
 */
import type { DType, Variable } from "../../dataset/types.js";
import { InputError } from "../../errors.js";
import type { ByteSource } from "../byte-source.js";
import { type DetachedBase, variableOf } from "../detached-base.js";
import { type ExtentSpec, readThroughExtent } from "./extent.js";
import { ChunkDataError } from "./filters.js";
import { FormatError } from "./le-reader.js";
import { RawDataset, type RawDescription } from "./raw-chunks.js";
import { RawFile } from "./raw-file.js";
import { hdf5ErrorSummary } from "./runtime.js";
import { typedView } from "./slab.js";

export interface Hdf5DetachedSource extends DetachedBase {
  kind: "hdf5";
  dtype: Exclude<DType, "string">;
  /** The dataset's stored extent (≤ shape on unlimited axes); past it reads give `fill`. */
  extent: number[];
  fill: number | bigint;
  raw: RawDescription;
}

/** The description of a planned raw dataset, or undefined when some read could not be raw. */
export function describeHdf5(
  base: DetachedBase,
  extent: number[],
  fill: number | bigint | string,
  dataset: RawDataset,
): Hdf5DetachedSource | undefined {
  if (base.dtype === "string" || typeof fill === "string" || !dataset.decidable) return undefined;
  return { kind: "hdf5", ...base, dtype: base.dtype, extent, fill, raw: dataset.describe() };
}

export function openHdf5Detached(
  desc: Hdf5DetachedSource,
  source: ByteSource,
  closed: () => boolean = () => false,
): Variable {
  const path = desc.path;
  let dataset: Promise<RawDataset | undefined> | undefined;
  const spec: ExtentSpec = desc;
  const fail = (err: unknown, start: number[], count: number[]): never => {
    throw new InputError(
      `${path}: cannot read variable '${desc.name}' at [${start}] + [${count}]: ${err instanceof Error && !(err instanceof ChunkDataError || err instanceof FormatError) ? hdf5ErrorSummary(err) : (err as Error).message}`,
      { path, cause: err, hint: "the file may be corrupt or truncated" },
    );
  };
  const readStored = async (start: number[], count: number[]) => {
    dataset ??= RawDataset.restore(
      RawFile.fromParts(source, desc.raw.fileSize, desc.raw.superblock),
      desc.raw,
    );
    const raw = await dataset;
    const bytes = await raw?.read(start, count);
    // Described only when decidable, and planned from the same bytes: not expected to happen.
    if (!bytes) throw new FormatError("the raw read path has no answer for this box");
    return typedView(bytes, desc.dtype);
  };
  return variableOf(desc, async (start, count) => {
    if (closed()) {
      throw new InputError(`${path}: read of '${desc.name}' after the file was closed`, { path });
    }
    try {
      return await readThroughExtent(spec, start, count, readStored);
    } catch (err) {
      if (err instanceof RangeError || err instanceof InputError) throw err;
      return fail(err, start, count);
    }
  });
}
