/**
 * What every detached variable description carries besides how to read it (`detached.ts`): the
 * variable as the `Dataset` model shows it, so the reader on the other side is a whole `Variable`.
 */
import type { Attrs, DataArray, DType, Variable } from "../dataset/types.js";

export interface DetachedBase {
  /** The file it reads: a local path, or a remote input's URL. */
  path: string;
  name: string;
  dtype: DType;
  dims: string[];
  shape: number[];
  attrs: Attrs;
  attrTypes?: Record<string, DType>;
  sourceChunks?: number[];
  sourceFilters?: string[];
}

export function baseOf(path: string, v: Variable): DetachedBase {
  const base: DetachedBase = {
    path,
    name: v.name,
    dtype: v.dtype,
    dims: v.dims.slice(),
    shape: v.shape.slice(),
    attrs: v.attrs,
  };
  if (v.attrTypes) base.attrTypes = v.attrTypes;
  if (v.sourceChunks) base.sourceChunks = v.sourceChunks.slice();
  if (v.sourceFilters) base.sourceFilters = v.sourceFilters.slice();
  return base;
}

export function variableOf(
  base: DetachedBase,
  read: (start: number[], count: number[]) => Promise<DataArray>,
): Variable {
  const v: Variable = {
    name: base.name,
    dtype: base.dtype,
    dims: base.dims,
    shape: base.shape,
    attrs: base.attrs,
    read,
  };
  if (base.attrTypes) v.attrTypes = base.attrTypes;
  if (base.sourceChunks) v.sourceChunks = base.sourceChunks;
  if (base.sourceFilters) v.sourceFilters = base.sourceFilters;
  return v;
}
