/**
 * The chunk index of a chunked dataset, read whole into a table: for each allocated chunk (by its
 * position in the chunk grid) its file address, stored size and filter mask. Index types: v1
 * B-tree (layout version 3, what netCDF-4 writes with default library bounds), and from layout
 * version 4 single chunk, implicit, fixed array, extensible array (without paged data blocks)
 * and v2 B-tree. Anything else throws FormatError (the dataset stays on h5wasm). Every size read
 * is checked against the file before it is believed.
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
      // Every chunk is allocated, back to back: they must fit in the file.
      if (!ctx.file.contains(layout.address, n * ctx.chunkBytes)) {
        throw new FormatError("implicit chunk index larger than the file");
      }
      for (let i = 0; i < n; i++) {
        const address = layout.address + i * ctx.chunkBytes;
        table.set(unravel(i, maxGrid(ctx)), { address, size: ctx.chunkBytes, mask: 0 });
      }
      break;
    }
    case INDEX.FIXED_ARRAY:
      await fixedArray(ctx, table);
      break;
    case INDEX.EXTENSIBLE_ARRAY:
      await extensibleArray(ctx, table);
      break;
    case INDEX.BTREE_V2:
      await btreeV2(ctx, table);
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

/** Deflate never expands data by more than this (zlib's bound is ~0.03% + 11 bytes). */
const MAX_EXPANSION = 2;

function checkChunk(ctx: IndexContext, entry: ChunkEntry): ChunkEntry {
  if (entry.address === UNDEFINED_ADDRESS) return entry;
  if (!ctx.filtered && entry.size !== ctx.chunkBytes) {
    throw new FormatError(`unfiltered chunk of ${entry.size} bytes, expected ${ctx.chunkBytes}`);
  }
  if (entry.size > MAX_EXPANSION * ctx.chunkBytes + 4096) {
    throw new FormatError(`stored chunk of ${entry.size} bytes for ${ctx.chunkBytes} of data`);
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
    if (bodySize > MAX_NODE_BYTES) throw new FormatError(`chunk B-tree node of ${bodySize} bytes`);
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

// ------------------------------------------------------------------------ extensible array

/** Bytes needed to encode values up to `n` (H5VM_limit_enc_size). */
function encSize(n: number): number {
  return Math.floor(Math.floor(Math.log2(Math.max(1, n))) / 8) + 1;
}

async function extensibleArray(ctx: IndexContext, table: ChunkTable): Promise<void> {
  const { file, layout } = ctx;
  const O = file.superblock.offsetSize;
  const L = file.superblock.lengthSize;
  const h = file.reader(await file.read(layout.address, 4 + 8 + 6 * L + O + 4));
  h.signature("EAHD");
  if (h.u8() !== 0) throw new FormatError("extensible array header version");
  const client = h.u8();
  const entrySize = h.u8();
  const maxBits = h.u8();
  const indexElements = h.u8();
  const minElements = h.u8();
  const minPointers = h.u8();
  const pageBits = h.u8();
  // secondary block count/size, data block count/size, max index set, elements realized
  h.skip(6 * L);
  const indexAddress = h.address();
  if (client !== (ctx.filtered ? 1 : 0)) throw new FormatError("extensible array client id");
  const sizeWidth = entrySize - O - 4;
  if (ctx.filtered ? sizeWidth < 1 || sizeWidth > 8 : entrySize !== O) {
    throw new FormatError(`extensible array entries of ${entrySize} bytes`);
  }
  if (minElements < 1 || minPointers < 1 || maxBits > 53) {
    throw new FormatError("extensible array parameters");
  }
  if (indexAddress === UNDEFINED_ADDRESS) return;

  // Chunk number i ↔ grid position: the unlimited axis moves to the front ("swizzled").
  const grid = ctx.layout.chunk.map((c, d) =>
    Number.isFinite(ctx.maxdims[d]) ? Math.ceil(ctx.maxdims[d] / c) : Number.POSITIVE_INFINITY,
  );
  const unlimited = grid.findIndex((g) => !Number.isFinite(g));
  if (unlimited < 0 || grid.filter((g) => !Number.isFinite(g)).length !== 1) {
    throw new FormatError("extensible array index without exactly one unlimited axis");
  }
  const others = grid.filter((_, d) => d !== unlimited);
  const perRow = product(others);
  const place = (i: number, entry: ChunkEntry) => {
    if (entry.address === UNDEFINED_ADDRESS) return;
    const rest = unravel(i % perRow, others);
    const scaled = [...rest];
    scaled.splice(unlimited, 0, Math.floor(i / perRow));
    table.set(scaled, checkChunk(ctx, entry));
  };

  // Super block geometry (H5EA__hdr_init): super block u holds 2^floor(u/2) data blocks of
  // 2^floor((u+1)/2) * minElements elements each.
  const superBlocks = 1 + maxBits - Math.floor(Math.log2(minElements));
  const info: { blocks: number; elements: number; start: number; startBlock: number }[] = [];
  for (let u = 0, start = 0, startBlock = 0; u < superBlocks; u++) {
    const blocks = 2 ** Math.floor(u / 2);
    const elements = 2 ** Math.floor((u + 1) / 2) * minElements;
    info.push({ blocks, elements, start, startBlock });
    start += blocks * elements;
    startBlock += blocks;
  }
  // The index block holds the data block addresses of the first 2·log2(minPointers) super blocks.
  const iblockSupers = 2 * Math.floor(Math.log2(minPointers));
  const directBlocks = 2 * (minPointers - 1);
  const superPointers = superBlocks - iblockSupers;
  const offsetWidth = Math.ceil(maxBits / 8);
  const pageElements = 2 ** pageBits;

  const ib = file.reader(
    await file.read(
      indexAddress,
      6 + O + indexElements * entrySize + (directBlocks + superPointers) * O + 4,
    ),
  );
  ib.signature("EAIB");
  ib.skip(2 + O);
  for (let i = 0; i < indexElements; i++) place(i, readEntry(ib, ctx, sizeWidth));
  const dataBlocks = Array.from({ length: directBlocks }, () => ib.address());
  const superAddresses = Array.from({ length: superPointers }, () => ib.address());

  const readDataBlock = async (address: number, elements: number, first: number) => {
    if (address === UNDEFINED_ADDRESS) return;
    if (elements > pageElements) throw new FormatError("paged extensible array data block");
    const r = file.reader(await file.read(address, 6 + O + offsetWidth + elements * entrySize + 4));
    r.signature("EADB");
    r.skip(2 + O + offsetWidth);
    for (let k = 0; k < elements; k++) place(first + k, readEntry(r, ctx, sizeWidth));
  };

  // Data blocks of the first super blocks sit in the index block.
  for (let u = 0; u < iblockSupers; u++) {
    const { blocks, elements, start, startBlock } = info[u];
    for (let b = 0; b < blocks; b++) {
      const first = indexElements + start + b * elements;
      await readDataBlock(dataBlocks[startBlock + b], elements, first);
    }
  }
  // The rest through super blocks.
  for (let s = 0; s < superPointers; s++) {
    const address = superAddresses[s];
    if (address === UNDEFINED_ADDRESS) continue;
    const { blocks, elements, start } = info[iblockSupers + s];
    if (elements > pageElements) throw new FormatError("paged extensible array data block");
    const r = file.reader(await file.read(address, 6 + O + offsetWidth + blocks * O + 4));
    r.signature("EASB");
    r.skip(2 + O + offsetWidth);
    const addresses = Array.from({ length: blocks }, () => r.address());
    for (let b = 0; b < blocks; b++) {
      await readDataBlock(addresses[b], elements, indexElements + start + b * elements);
    }
  }
}

// ------------------------------------------------------------------------------- v2 B-tree

const MAX_NODE_BYTES = 2 ** 24;

async function btreeV2(ctx: IndexContext, table: ChunkTable): Promise<void> {
  const { file, layout } = ctx;
  const O = file.superblock.offsetSize;
  const L = file.superblock.lengthSize;
  const rank = layout.chunk.length;
  const h = file.reader(await file.read(layout.address, 4 + 2 + 4 + 2 + 2 + 2 + O + 2 + L + 4));
  h.signature("BTHD");
  if (h.u8() !== 0) throw new FormatError("v2 B-tree header version");
  const type = h.u8();
  const nodeSize = h.u32();
  const recordSize = h.u16();
  const depth = h.u16();
  h.skip(2); // split and merge percentages
  const root = h.address();
  const rootRecords = h.u16();
  if (type !== (ctx.filtered ? 11 : 10)) throw new FormatError(`v2 B-tree record type ${type}`);
  const sizeWidth = recordSize - O - 4 - 8 * rank;
  if (ctx.filtered ? sizeWidth < 1 || sizeWidth > 8 : recordSize !== O + 8 * rank) {
    throw new FormatError(`v2 B-tree records of ${recordSize} bytes`);
  }
  if (nodeSize > MAX_NODE_BYTES || nodeSize < 16 || depth > MAX_DEPTH) {
    throw new FormatError("v2 B-tree node size or depth");
  }
  if (root === UNDEFINED_ADDRESS || rootRecords === 0) return;

  // Field widths of child pointers (H5B2__hdr_init).
  const prefix = 10; // signature, version, type, checksum
  const maxRecords: number[] = [Math.floor((nodeSize - prefix) / recordSize)];
  const cumulative: number[] = [maxRecords[0]];
  const countWidth = encSize(maxRecords[0]);
  const totalWidth: number[] = [0];
  for (let d = 1; d <= depth; d++) {
    const pointer = O + countWidth + (d > 1 ? totalWidth[d - 1] : 0);
    maxRecords.push(Math.floor((nodeSize - prefix - pointer) / (recordSize + pointer)));
    cumulative.push((maxRecords[d] + 1) * cumulative[d - 1] + maxRecords[d]);
    totalWidth.push(encSize(cumulative[d]));
  }

  const record = (r: LeReader) => {
    const address = r.address();
    let size = ctx.chunkBytes;
    let mask = 0;
    if (ctx.filtered) {
      size = r.uint(sizeWidth);
      mask = r.u32();
    }
    const scaled = Array.from({ length: rank }, () => r.uint(8));
    if (scaled.some((v) => v < 0)) throw new FormatError("v2 B-tree record offset");
    table.set(scaled, checkChunk(ctx, { address, size, mask }));
  };

  let nodes = 0;
  const maxNodes = Math.ceil(file.size / prefix);
  const visit = async (address: number, level: number, records: number): Promise<void> => {
    if (++nodes > maxNodes) throw new FormatError("v2 B-tree has too many nodes");
    if (records > maxRecords[level]) throw new FormatError("v2 B-tree node overfull");
    const r = file.reader(await file.read(address, nodeSize));
    r.signature(level === 0 ? "BTLF" : "BTIN");
    r.skip(2);
    for (let i = 0; i < records; i++) record(r);
    if (level === 0) return;
    const children: [number, number][] = [];
    for (let i = 0; i <= records; i++) {
      const child = r.address();
      const count = r.uint(countWidth);
      if (level > 1) r.skip(totalWidth[level - 1]);
      children.push([child, count]);
    }
    await Promise.all(children.map(([child, count]) => visit(child, level - 1, count)));
  };
  await visit(root, depth, rootRecords);
}
