/**
 * One NetCDF-3 variable's hyperslab read, the same for a variable of an open Dataset and for a
 * detached one (`detached.ts`): the box checked against the shape, then `slab.ts`.
 */
import type { DataArray } from "../../dataset/types.js";
import { InputError } from "../../errors.js";
import { readSlab, type SlabSource } from "./slab.js";

export async function readVariable(
  path: string,
  name: string,
  src: SlabSource,
  start: number[],
  count: number[],
  closed: () => boolean,
): Promise<DataArray> {
  checkSlab(path, name, src.shape, start, count);
  if (closed()) throw new InputError(`${path}: read of ${name} after close`, { path });
  return readSlab(src, start, count, (pos, wanted, got) => {
    throw new InputError(
      `${path}: variable ${name}: expected ${wanted} bytes at offset ${pos} but the file ends after ${got} (was it truncated after opening?)`,
      { path },
    );
  });
}

/** Caller bugs (bad start/count) are RangeErrors: no input file can cause them. */
function checkSlab(
  path: string,
  name: string,
  shape: number[],
  start: number[],
  count: number[],
): void {
  const bad = (why: string): never => {
    throw new RangeError(
      `${path}: variable ${name} has shape [${shape}]: cannot read start [${start}] count [${count}]: ${why}`,
    );
  };
  if (start.length !== shape.length || count.length !== shape.length) bad("rank mismatch");
  for (let d = 0; d < shape.length; d++) {
    const s = start[d];
    const c = count[d];
    if (!Number.isInteger(s) || !Number.isInteger(c) || s < 0 || c < 0)
      bad("not non-negative integers");
    if (s + c > shape[d]) bad(`dimension ${d} out of bounds`);
  }
}
