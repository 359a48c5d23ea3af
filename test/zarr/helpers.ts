/** Shared test helpers for the Zarr side: deterministic sample data and whole-array writers. */
import type { DataArray, DType } from "../../src/dataset/types.js";
import { chunkExtent, chunkGrid, encodeChunk } from "../../src/zarr/array.js";
import { type ArrayMeta, arrayChunkKey, storedChunk } from "../../src/zarr/metadata.js";
import { copyBox, product } from "../../src/zarr/nd.js";
import type { Store } from "../../src/zarr/store/types.js";

export const ALL_DTYPES: DType[] = [
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "float32",
  "float64",
  "char",
  "string",
];

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const WORDS = ["", "a", "temperature", "Zürich", "東京", "😀 emoji", "tab\there", "x".repeat(300)];

/** Smooth-ish values with some noise, covering each dtype's range edges. */
export function sampleData(dtype: DType, n: number, seed = 1): DataArray {
  const r = rng(seed);
  const smooth = (i: number): number => Math.sin(i / 7) * 0.5 + 0.5 + (r() - 0.5) * 0.05;
  switch (dtype) {
    case "int8":
      return Int8Array.from({ length: n }, (_, i) => Math.round(smooth(i) * 255) - 128);
    case "uint8":
    case "char":
      return Uint8Array.from({ length: n }, (_, i) =>
        dtype === "char" ? 32 + Math.round(smooth(i) * 94) : Math.round(smooth(i) * 255),
      );
    case "int16":
      return Int16Array.from({ length: n }, (_, i) => Math.round(smooth(i) * 65535) - 32768);
    case "uint16":
      return Uint16Array.from({ length: n }, (_, i) => Math.round(smooth(i) * 65535));
    case "int32":
      return Int32Array.from({ length: n }, (_, i) => Math.round((smooth(i) - 0.5) * 4e9));
    case "uint32":
      return Uint32Array.from({ length: n }, (_, i) => Math.round(smooth(i) * 4.29e9));
    case "int64":
      return BigInt64Array.from({ length: n }, (_, i) =>
        i === 0
          ? -(2n ** 63n)
          : i === 1
            ? 2n ** 63n - 1n
            : BigInt(Math.round((smooth(i) - 0.5) * 1e15)) * 1000n,
      );
    case "uint64":
      return BigUint64Array.from({ length: n }, (_, i) =>
        i === 0 ? 2n ** 64n - 2n : BigInt(Math.round(smooth(i) * 1e15)) * 7n,
      );
    case "float32":
      return Float32Array.from({ length: n }, (_, i) => 280 + 20 * smooth(i));
    case "float64":
      return Float64Array.from({ length: n }, (_, i) => (i === 3 ? Number.NaN : 1e-3 * smooth(i)));
    case "string":
      return Array.from(
        { length: n },
        (_, i) => `${WORDS[i % WORDS.length]}${i % 3 === 0 ? i : ""}`,
      );
  }
}

/** Writes every chunk of `data` (the whole array, C order), except those `skip` rejects. */
export async function writeAllChunks(
  store: Store,
  meta: ArrayMeta,
  data: DataArray,
  skip: (index: number[]) => boolean = () => false,
): Promise<void> {
  const grid = chunkGrid(meta);
  const total = product(grid);
  for (let flat = 0; flat < total; flat++) {
    const index: number[] = [];
    let rest = flat;
    for (let d = grid.length - 1; d >= 0; d--) {
      index[d] = rest % grid[d];
      rest = Math.floor(rest / grid[d]);
    }
    if (skip(index)) continue;
    const extent = chunkExtent(meta, index);
    const start = index.map((c, d) => c * storedChunk(meta)[d]);
    const box = sliceOf(data, extent);
    copyBox(
      data,
      meta.shape,
      start,
      box,
      extent,
      extent.map(() => 0),
      extent,
    );
    await store.set(arrayChunkKey(meta, index), encodeChunk(meta, box, extent));
  }
}

function sliceOf(data: DataArray, shape: number[]): DataArray {
  const n = product(shape);
  if (Array.isArray(data)) return new Array<string>(n).fill("");
  const Ctor = data.constructor as new (n: number) => Exclude<DataArray, string[]>;
  return new Ctor(n);
}
