/**
 * The table a chunk index is read into (for each allocated chunk, by grid position, its file
 * address, stored size and filter mask) and what every index reader shares: the grid of the
 * maximum extent, entry decoding, and the checks an entry passes before it is believed.
 */
import { CorruptError, FormatError, type LeReader, UNDEFINED_ADDRESS } from "./le-reader.js";
import type { RawFile } from "./raw-file.js";
import type { Layout } from "./storage.js";

export interface ChunkEntry {
  address: number;
  /** Stored (filtered) size in bytes. */
  size: number;
  /** Bit i set: filter i of the pipeline was skipped for this chunk. */
  mask: number;
}

export type Chunked = Extract<Layout, { kind: "chunked" }>;

/**
 * A ChunkTable as plain typed arrays (structured-clone friendly, one copy each): what a worker
 * thread gets instead of parsing the chunk index again (`hdf5/detached.ts`).
 */
export interface ChunkTableData {
  dims: number[];
  chunk: number[];
  /** Linear grid keys, and per key the entry's address, stored size and filter mask. */
  keys: Float64Array;
  addresses: Float64Array;
  sizes: Float64Array;
  masks: Uint32Array;
}

/** Allocated chunks by grid position; positions outside the current extent are dropped. */
export class ChunkTable {
  private readonly entries = new Map<number, ChunkEntry>();
  /** Chunks per axis over the current extent. */
  readonly grid: number[];
  private readonly strides: number[];

  constructor(
    private readonly dims: number[],
    readonly chunk: number[],
  ) {
    this.grid = dims.map((d, i) => Math.ceil(d / chunk[i]));
    this.strides = new Array<number>(dims.length).fill(1);
    for (let d = dims.length - 2; d >= 0; d--)
      this.strides[d] = this.strides[d + 1] * this.grid[d + 1];
  }

  get size(): number {
    return this.entries.size;
  }

  private key(scaled: number[]): number | undefined {
    let k = 0;
    for (let d = 0; d < scaled.length; d++) {
      if (scaled[d] >= this.grid[d]) return undefined;
      k += scaled[d] * this.strides[d];
    }
    return k;
  }

  set(scaled: number[], entry: ChunkEntry): void {
    const k = this.key(scaled);
    if (k !== undefined) this.entries.set(k, entry);
  }

  get(scaled: number[]): ChunkEntry | undefined {
    const k = this.key(scaled);
    return k === undefined ? undefined : this.entries.get(k);
  }

  /** Whether every chunk of the grid is allocated (no read meets unallocated storage). */
  get complete(): boolean {
    return this.entries.size === this.grid.reduce((a, b) => a * b, 1);
  }

  export(): ChunkTableData {
    const n = this.entries.size;
    const data: ChunkTableData = {
      dims: this.dims.slice(),
      chunk: this.chunk.slice(),
      keys: new Float64Array(n),
      addresses: new Float64Array(n),
      sizes: new Float64Array(n),
      masks: new Uint32Array(n),
    };
    let i = 0;
    for (const [k, e] of this.entries) {
      data.keys[i] = k;
      data.addresses[i] = e.address;
      data.sizes[i] = e.size;
      data.masks[i] = e.mask;
      i++;
    }
    return data;
  }

  static from(data: ChunkTableData): ChunkTable {
    const table = new ChunkTable(data.dims, data.chunk);
    for (let i = 0; i < data.keys.length; i++) {
      table.entries.set(data.keys[i], {
        address: data.addresses[i],
        size: data.sizes[i],
        mask: data.masks[i],
      });
    }
    return table;
  }
}

export interface IndexContext {
  file: RawFile;
  layout: Chunked;
  dims: number[];
  maxdims: number[];
  /** Bytes of one unfiltered chunk. */
  chunkBytes: number;
  filtered: boolean;
}

export function product(xs: number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** Chunks per axis over the maximum extent: the grid fixed arrays and implicit indexes number. */
export function maxGrid(ctx: IndexContext): number[] {
  return ctx.maxdims.map((d, i) => {
    if (!Number.isFinite(d)) throw new FormatError("unlimited axis in a fixed-size chunk index");
    return Math.ceil(d / ctx.layout.chunk[i]);
  });
}

export function unravel(index: number, grid: number[]): number[] {
  const out = new Array<number>(grid.length);
  let rest = index;
  for (let d = grid.length - 1; d >= 0; d--) {
    out[d] = rest % grid[d];
    rest = Math.floor(rest / grid[d]);
  }
  return out;
}

/** Deflate never expands data by more than this (zlib's bound is ~0.03% + 11 bytes). */
const MAX_EXPANSION = 2;

export function checkChunk(ctx: IndexContext, entry: ChunkEntry): ChunkEntry {
  if (entry.address === UNDEFINED_ADDRESS) return entry;
  if (!ctx.filtered && entry.size !== ctx.chunkBytes) {
    throw new FormatError(`unfiltered chunk of ${entry.size} bytes, expected ${ctx.chunkBytes}`);
  }
  if (entry.size > MAX_EXPANSION * ctx.chunkBytes + 4096) {
    throw new CorruptError(`stored chunk of ${entry.size} bytes for ${ctx.chunkBytes} of data`);
  }
  if (!ctx.file.contains(entry.address, entry.size)) {
    throw new CorruptError(
      `chunk of ${entry.size} bytes at address ${entry.address} lies outside the file`,
    );
  }
  return entry;
}

export function readEntry(r: LeReader, ctx: IndexContext, sizeWidth: number): ChunkEntry {
  const address = r.address();
  if (!ctx.filtered) return { address, size: ctx.chunkBytes, mask: 0 };
  const size = r.uint(sizeWidth);
  const mask = r.u32();
  return { address, size, mask };
}

/** Bytes needed to encode values up to `n` (H5VM_limit_enc_size). */
export function encSize(n: number): number {
  return Math.floor(Math.floor(Math.log2(Math.max(1, n))) / 8) + 1;
}
