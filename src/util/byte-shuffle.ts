/**
 * The byte shuffle that HDF5's shuffle filter and blosc's byte shuffle both apply: byte j of
 * element i of n goes to j * n + i; the trailing (length % size) bytes are copied as they are.
 *
 *   byteShuffle(src, dst, size)    elements → byte planes
 *   byteUnshuffle(src, dst, size)  byte planes → elements
 *
 * For sizes 2, 4 and 8 the bulk goes through WebAssembly SIMD kernels (util/byte-shuffle-wasm.ts,
 * made by scripts/shuffle-wasm.ts): about 8 GB/s against under 1 GB/s for the best JS word loop,
 * and the shuffle sits on both sides of every float conversion (HDF5 inflate, blosc compress).
 * The kernels work in WebAssembly memory, so data goes through it in slices of SLICE elements:
 * copies in and out are memcpy, a fraction of what the shuffle costs in JS. Other sizes, the last
 * (n % 16) elements, and engines without SIMD take the scalar loop.
 *
 * `src` and `dst` have the same length and must not overlap.
 */
import { SHUFFLE_WASM_BASE64, SHUFFLE_WASM_PAGES } from "./byte-shuffle-wasm.js";
import { wasmApi } from "./wasm.js";

type Kernel = (a: number, b: number, c: number, m: number) => void;

interface Kernels {
  memory: { buffer: ArrayBuffer };
  shuffle: Record<number, Kernel>;
  unshuffle: Record<number, Kernel>;
}

/** Input occupies the first half of the kernels' memory, output the second. */
const HALF = (SHUFFLE_WASM_PAGES * 65536) / 2;
/** Elements per slice: the most an 8-byte slice can take, a multiple of 16. */
const SLICE = HALF / 8;
const SIZES = [2, 4, 8];

let kernels: Kernels | null | undefined;

/** The instantiated kernels, once per thread; null where WebAssembly SIMD is unavailable. */
function loadKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    if (!wasmApi) throw new Error("no WebAssembly");
    const module = new wasmApi.Module(Buffer.from(SHUFFLE_WASM_BASE64, "base64"));
    const { exports } = new wasmApi.Instance(module);
    const pick = (prefix: string) =>
      Object.fromEntries(SIZES.map((k) => [k, exports[`${prefix}${k}`] as Kernel]));
    kernels = {
      memory: exports.memory as Kernels["memory"],
      shuffle: pick("shuffle"),
      unshuffle: pick("unshuffle"),
    };
  } catch {
    kernels = null;
  }
  return kernels;
}

/** Scalar shuffle of elements [from, n) of the n-element array. */
function shuffleScalar(src: Uint8Array, dst: Uint8Array, size: number, n: number, from: number) {
  for (let j = 0; j < size; j++) {
    const base = j * n;
    for (let i = from, s = from * size + j; i < n; i++, s += size) dst[base + i] = src[s];
  }
}

function unshuffleScalar(src: Uint8Array, dst: Uint8Array, size: number, n: number, from: number) {
  for (let j = 0; j < size; j++) {
    const base = j * n;
    for (let i = from, d = from * size + j; i < n; i++, d += size) dst[d] = src[base + i];
  }
}

function copyTail(src: Uint8Array, dst: Uint8Array, bulk: number): void {
  if (bulk < src.length) dst.set(src.subarray(bulk), bulk);
}

/** One slice of `m` elements from element `done` of `n`: copied in, through the kernel, out. */
type Slice = (
  mem: Uint8Array,
  kernel: Kernel,
  src: Uint8Array,
  dst: Uint8Array,
  size: number,
  n: number,
  done: number,
  m: number,
) => void;

const shuffleSlice: Slice = (mem, kernel, src, dst, size, n, done, m) => {
  mem.set(src.subarray(done * size, (done + m) * size), 0);
  kernel(0, HALF, m, m);
  for (let j = 0; j < size; j++) {
    dst.set(mem.subarray(HALF + j * m, HALF + (j + 1) * m), j * n + done);
  }
};

const unshuffleSlice: Slice = (mem, kernel, src, dst, size, n, done, m) => {
  for (let j = 0; j < size; j++) mem.set(src.subarray(j * n + done, j * n + done + m), j * m);
  kernel(0, m, HALF, m);
  dst.set(mem.subarray(HALF, HALF + m * size), done * size);
};

/** One direction of the transpose: its kernels' name, its slice and its scalar loop. */
interface Direction {
  kernels: "shuffle" | "unshuffle";
  slice: Slice;
  scalar: typeof shuffleScalar;
}

const SHUFFLE: Direction = { kernels: "shuffle", slice: shuffleSlice, scalar: shuffleScalar };
const UNSHUFFLE: Direction = {
  kernels: "unshuffle",
  slice: unshuffleSlice,
  scalar: unshuffleScalar,
};

/** Either direction: the kernels over whole 16-element steps, the scalar loop for the rest. */
function transpose(
  src: Uint8Array,
  dst: Uint8Array,
  size: number,
  simd: boolean,
  { kernels, slice, scalar }: Direction,
): void {
  const n = Math.floor(src.length / size);
  if (size <= 1 || n === 0) {
    dst.set(src);
    return;
  }
  const k = simd ? loadKernels() : null;
  const kernel = k?.[kernels][size];
  let done = 0;
  if (k && kernel) {
    const mem = new Uint8Array(k.memory.buffer);
    while (n - done >= 16) {
      const m = Math.min(SLICE, (n - done) & ~15);
      slice(mem, kernel, src, dst, size, n, done, m);
      done += m;
    }
  }
  scalar(src, dst, size, n, done);
  copyTail(src, dst, n * size);
}

/** `simd: false` takes the scalar loop throughout (the tests' reference). */
export function byteShuffle(src: Uint8Array, dst: Uint8Array, size: number, simd = true): void {
  transpose(src, dst, size, simd, SHUFFLE);
}

export function byteUnshuffle(src: Uint8Array, dst: Uint8Array, size: number, simd = true): void {
  transpose(src, dst, size, simd, UNSHUFFLE);
}
