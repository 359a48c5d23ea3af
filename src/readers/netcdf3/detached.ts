/**
 * A NetCDF-3 variable without its Dataset: where its bytes start and their strides (the header
 * parsed once, on the thread that opened the file), read through any ByteSource of that file.
 */
import type { DType, Variable } from "../../dataset/types.js";
import type { ByteSource } from "../byte-source.js";
import { type DetachedBase, variableOf } from "../detached-base.js";
import { readVariable } from "./read.js";
import type { SlabSource } from "./slab.js";

export interface Netcdf3DetachedSource extends DetachedBase {
  kind: "netcdf3";
  dtype: Exclude<DType, "string">;
  begin: number;
  /** Byte strides per dimension (the record size on the record dimension). */
  strides: number[];
  elSize: number;
}

export function openNetcdf3Detached(
  desc: Netcdf3DetachedSource,
  source: ByteSource,
  closed: () => boolean = () => false,
): Variable {
  const src: SlabSource = {
    source,
    begin: desc.begin,
    shape: desc.shape,
    strides: desc.strides,
    elSize: desc.elSize,
    dtype: desc.dtype,
  };
  return variableOf(desc, (start, count) =>
    readVariable(desc.path, desc.name, src, start, count, closed),
  );
}
