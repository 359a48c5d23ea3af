/**
 * Arrays for the chunks a block is cut into: fresh ones, and one scratch array per thread for a
 * chunk that is encoded at once and then dropped. Every blind-put chunk of every block goes
 * through that scratch, so a thread does not allocate (and page-fault, and collect) a chunk's
 * worth of memory per chunk.
 */
import { ARRAY_TYPES, type DataArray, type DType } from "../dataset/types.js";
import { copyBox, product } from "../zarr/nd.js";

type Typed = Exclude<DataArray, string[]>;
type TypedCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => Typed;

export function allocate(dtype: DType, length: number): DataArray {
  if (dtype === "string") return new Array<string>(length).fill("");
  const Ctor = ARRAY_TYPES[dtype] as unknown as new (n: number) => DataArray;
  return new Ctor(length);
}

let scratch: ArrayBuffer | undefined;

/**
 * A `length`-element array of `dtype` over this thread's scratch memory, its contents undefined.
 * Valid until the next call: the caller uses it without awaiting anything in between.
 */
export function scratchArray(dtype: DType, length: number): DataArray {
  if (dtype === "string") return allocate(dtype, length);
  const Ctor = ARRAY_TYPES[dtype] as unknown as TypedCtor & { BYTES_PER_ELEMENT: number };
  const bytes = length * Ctor.BYTES_PER_ELEMENT;
  if (!scratch || scratch.byteLength < bytes) scratch = new ArrayBuffer(bytes);
  return new Ctor(scratch, 0, length);
}

/** Whether `a` lies in the thread's scratch memory (so must be copied before it is kept). */
export function inScratch(a: DataArray | Uint8Array): boolean {
  return !Array.isArray(a) && scratch !== undefined && (a as Typed).buffer === scratch;
}

/**
 * The box [start, start+count) of `src` (shape `srcShape`) as a dense array: a new one, or the
 * thread's scratch when `transient` (scratchArray's rules apply).
 */
export function extractBox(
  src: DataArray,
  srcShape: readonly number[],
  start: readonly number[],
  count: readonly number[],
  dtype: DType,
  transient: boolean,
): DataArray {
  const n = product(count);
  const out = transient ? scratchArray(dtype, n) : allocate(dtype, n);
  copyBox(
    src,
    srcShape,
    start,
    out,
    count,
    count.map(() => 0),
    count,
  );
  return out;
}
