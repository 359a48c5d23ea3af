/**
 * The chunk index of a chunked dataset, read whole into a table: for each allocated chunk (by its
 * position in the chunk grid) its file address, stored size and filter mask. Index types: v1
 * B-tree (layout version 3, what netCDF-4 writes with default library bounds), and from layout
 * version 4 single chunk, implicit and fixed array. Other types throw FormatError (the dataset
 * stays on h5wasm). Every size read is checked against the file before it is believed.
 */
import { FormatError, type LeReader, UNDEFINED_ADDRESS } from "./le-reader.js";
import type { RawFile } from "./raw-file.js";
import { INDEX, INDEX_NAMES, type Layout } from "./storage.js";

export interface ChunkEntry {
  address: number;
  /** Stored (filtered) size in bytes. */
  size: number;
  /** Bit i set: filter i of the pipeline was skipped for this chunk. */
  mask: number;
}

type Chunked = Extract<Layout, { kind: "chunked" }>;

/** Allocated chunks by grid position; positions outside the current extent are dropped. */
export class ChunkTable {
  private readonly entries = new Map<number, ChunkEntry>();
  /** Chunks per axis over the current extent. */
  readonly grid: number[];
  private readonly strides: number[];

  constructor(
    dims: number[],
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

export async function readChunkIndex(ctx: IndexContext): Promise<ChunkTable> {
  const { layout, dims } = ctx;
  const table = new ChunkTable(dims, layout.chunk);
  if (layout.address === UNDEFINED_ADDRESS) return table; // nothing written yet
  switch (layout.index) {
    case INDEX.BTREE_V1:
      await btreeV1(ctx, table);
      break;
    case INDEX.SINGLE: {
      const size = layout.single?.size ?? ctx.chunkBytes;
      if (ctx.filtered && !layout.single)
        throw new FormatError("filtered single chunk without size");
      table.set(new Array<number>(dims.length).fill(0), {
        address: layout.address,
        size,
        mask: layout.single?.mask ?? 0,
      });
      break;
    }
    case INDEX.IMPLICIT: {
      const n = product(maxGrid(ctx));
      for (let i = 0; i < n; i++) {
        const address = layout.address + i * ctx.chunkBytes;
        table.set(unravel(i, maxGrid(ctx)), { address, size: ctx.chunkBytes, mask: 0 });
      }
      break;
    }
    case INDEX.FIXED_ARRAY:
      await fixedArray(ctx, table);
      break;
    default:
      throw new FormatError(`${INDEX_NAMES[layout.index] ?? layout.index} chunk index`);
  }
  return table;
}

function product(xs: number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** Chunks per axis over the maximum extent: the grid fixed arrays and implicit indexes number. */
function maxGrid(ctx: IndexContext): number[] {
  return ctx.maxdims.map((d, i) => {
    if (!Number.isFinite(d)) throw new FormatError("unlimited axis in a fixed-size chunk index");
    return Math.ceil(d / ctx.layout.chunk[i]);
  });
}

function unravel(index: number, grid: number[]): number[] {
  const out = new Array<number>(grid.length);
  let rest = index;
  for (let d = grid.length - 1; d >= 0; d--) {
    out[d] = rest % grid[d];
    rest = Math.floor(rest / grid[d]);
  }
  return out;
}

function checkChunk(ctx: IndexContext, entry: ChunkEntry): ChunkEntry {
  if (entry.address === UNDEFINED_ADDRESS) return entry;
  if (!ctx.filtered && entry.size !== ctx.chunkBytes) {
    throw new FormatError(`unfiltered chunk of ${entry.size} bytes, expected ${ctx.chunkBytes}`);
  }
  if (!ctx.file.contains(entry.address, entry.size)) {
    throw new FormatError(
      `chunk of ${entry.size} bytes at address ${entry.address} lies outside the file`,
    );
  }
  return entry;
}

// ------------------------------------------------------------------------------- v1 B-tree

const MAX_DEPTH = 64;

async function btreeV1(ctx: IndexContext, table: ChunkTable): Promise<void> {
  const { file, layout } = ctx;
  const rank = layout.chunk.length;
  const O = file.superblock.offsetSize;
  const keySize = 8 + (rank + 1) * 8;
  const headerSize = 8 + 2 * O;
  const seen = new Set<number>();
  // Nodes can't outnumber what the file can hold.
  const maxNodes = Math.ceil(file.size / headerSize);

  const visit = async (address: number, depth: number, expectLevel?: number): Promise<void> => {
    if (seen.has(address) || seen.size > maxNodes || depth > MAX_DEPTH) {
      throw new FormatError("chunk B-tree has a cycle or is too deep");
    }
    seen.add(address);
    const header = file.reader(await file.read(address, headerSize));
    header.signature("TREE");
    const type = header.u8();
    const level = header.u8();
    const entries = header.u16();
    if (type !== 1) throw new FormatError(`B-tree node type ${type} in a chunk index`);
    if (expectLevel !== undefined && level !== expectLevel) {
      throw new FormatError("chunk B-tree levels are inconsistent");
    }
    const bodySize = (entries + 1) * keySize + entries * O;
    const r = file.reader(await file.read(address + headerSize, bodySize));
    const children: number[] = [];
    for (let i = 0; i < entries; i++) {
      const { size, mask, scaled } = readKey(r, ctx);
      const child = r.address();
      if (level === 0) {
        table.set(scaled, checkChunk(ctx, { address: child, size, mask }));
      } else {
        children.push(child);
      }
    }
    await Promise.all(children.map((c) => visit(c, depth + 1, level - 1)));
  };
  await visit(layout.address, 0);
}

function readKey(r: LeReader, ctx: IndexContext): { size: number; mask: number; scaled: number[] } {
  const size = r.u32();
  const mask = r.u32();
  const chunk = ctx.layout.chunk;
  const scaled = new Array<number>(chunk.length);
  for (let d = 0; d < chunk.length; d++) {
    const offset = r.uint(8);
    if (offset < 0 || offset % chunk[d] !== 0) {
      throw new FormatError(`chunk offset ${offset} is not on the chunk grid`);
    }
    scaled[d] = offset / chunk[d];
  }
  r.skip(8); // the element-size "dimension", always 0
  return { size, mask, scaled };
}

// ----------------------------------------------------------------------------- fixed array

async function fixedArray(ctx: IndexContext, table: ChunkTable): Promise<void> {
  const { file, layout } = ctx;
  const O = file.superblock.offsetSize;
  const L = file.superblock.lengthSize;
  const h = file.reader(await file.read(layout.address, 4 + 4 + L + O + 4));
  h.signature("FAHD");
  if (h.u8() !== 0) throw new FormatError("fixed array header version");
  const client = h.u8();
  const entrySize = h.u8();
  const pageBits = h.u8();
  const count = h.length();
  const blockAddress = h.address();
  if (client !== (ctx.filtered ? 1 : 0)) throw new FormatError("fixed array client id");
  const sizeWidth = entrySize - O - 4;
  if (ctx.filtered ? sizeWidth < 1 || sizeWidth > 8 : entrySize !== O) {
    throw new FormatError(`fixed array entries of ${entrySize} bytes`);
  }
  const grid = maxGrid(ctx);
  if (count !== product(grid)) throw new FormatError("fixed array size does not match the grid");
  if (blockAddress === UNDEFINED_ADDRESS) return;
  if (count * entrySize > file.size) throw new FormatError("fixed array larger than the file");

  const pageSize = 2 ** pageBits;
  const paged = count > pageSize;
  const pages = paged ? Math.ceil(count / pageSize) : 0;
  const bitmapBytes = Math.ceil(pages / 8);
  const prefix = 4 + 2 + O + bitmapBytes + (paged ? 4 : 0);
  const block = await file.read(blockAddress, prefix + count * entrySize + (paged ? pages * 4 : 4));
  const r = file.reader(block);
  r.signature("FADB");
  r.skip(2 + O);
  const bitmap = r.take(bitmapBytes);
  if (paged) r.skip(4);
  for (let i = 0; i < count; i++) {
    const page = Math.floor(i / pageSize);
    if (paged && i % pageSize === 0 && i > 0) r.skip(4); // previous page's checksum
    const entry = readEntry(r, ctx, sizeWidth);
    const initialised = !paged || (bitmap[page >> 3] & (0x80 >> (page & 7))) !== 0;
    if (initialised && entry.address !== UNDEFINED_ADDRESS) {
      table.set(unravel(i, grid), checkChunk(ctx, entry));
    }
  }
}

function readEntry(r: LeReader, ctx: IndexContext, sizeWidth: number): ChunkEntry {
  const address = r.address();
  if (!ctx.filtered) return { address, size: ctx.chunkBytes, mask: 0 };
  const size = r.uint(sizeWidth);
  const mask = r.u32();
  return { address, size, mask };
}
