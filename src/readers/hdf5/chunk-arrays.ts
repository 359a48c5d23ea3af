/**
 * Chunk indexes that are arrays over chunk numbers: the fixed array ("FAHD"/"FADB", paged or
 * not; datasets without unlimited axes) and the extensible array ("EAHD"/"EAIB"/"EASB"/"EADB";
 * one unlimited axis, which moves to the front of the chunk numbering). Paged extensible array
 * data blocks are not read (FormatError: the dataset stays on h5wasm).
 */
import {
  type ChunkEntry,
  type ChunkTable,
  checkChunk,
  type IndexContext,
  maxGrid,
  product,
  readEntry,
  unravel,
} from "./chunk-table.js";
import { FormatError, UNDEFINED_ADDRESS } from "./le-reader.js";

// ----------------------------------------------------------------------------- fixed array

export async function fixedArray(ctx: IndexContext, table: ChunkTable): Promise<void> {
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

// ------------------------------------------------------------------------ extensible array

export async function extensibleArray(ctx: IndexContext, table: ChunkTable): Promise<void> {
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
