/**
 * What every read of a netCDF variable in an HDF5 file does around its stored bytes, attached
 * (`variable.ts`) or detached (`detached.ts`) alike: check the box against the variable's shape,
 * and fill the part of it past the dataset's stored extent (records of an unlimited dimension the
 * variable was not written for) with the fill value, as netCDF-C does.
 */
import {
  ARRAY_TYPES,
  type AttrValue,
  type DataArray,
  type DType,
  NETCDF_DEFAULT_FILL,
} from "../../dataset/types.js";
import { product } from "../../util/shape.js";

export interface ExtentSpec {
  name: string;
  dtype: DType;
  shape: number[];
  /** The dataset's stored extent (≤ shape on unlimited axes). */
  extent: number[];
  /** What cells past the extent read as (`fillValue`). */
  fill: number | bigint | string;
}

export function checkBox(spec: ExtentSpec, start: number[], count: number[]): void {
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

/** The variable's `_FillValue`, else netCDF's default fill for its type. */
export function fillValue(
  dtype: DType,
  attrs: Record<string, AttrValue>,
): number | bigint | string {
  const fill = attrs._FillValue;
  if (dtype === "char") {
    return typeof fill === "string" && fill.length > 0 ? fill.charCodeAt(0) : 0;
  }
  if (typeof fill === "number" || typeof fill === "bigint" || typeof fill === "string") return fill;
  return NETCDF_DEFAULT_FILL[dtype];
}

function emptyArray(spec: ExtentSpec, n: number): DataArray {
  const fill = spec.fill;
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

/**
 * The box [start, start + count) of the variable: `readStored` for the part inside the stored
 * extent, the fill value for the rest.
 */
export async function readThroughExtent(
  spec: ExtentSpec,
  start: number[],
  count: number[],
  readStored: (start: number[], count: number[]) => Promise<DataArray>,
): Promise<DataArray> {
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
