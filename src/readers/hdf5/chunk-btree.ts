/**
 * Chunk indexes that are B-trees: version 1 ("TREE" nodes of type 1, layout message version 3,
 * what netCDF-4 writes with default library bounds) and version 2 ("BTHD"/"BTIN"/"BTLF", record
 * types 10 and 11, for datasets with more than one unlimited axis).
 */
import { type ChunkTable, checkChunk, encSize, type IndexContext } from "./chunk-table.js";
import { CorruptError, FormatError, type LeReader, UNDEFINED_ADDRESS } from "./le-reader.js";

const MAX_DEPTH = 64;
const MAX_NODE_BYTES = 2 ** 24;

// ------------------------------------------------------------------------------- v1 B-tree

export async function btreeV1(ctx: IndexContext, table: ChunkTable): Promise<void> {
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
      throw new CorruptError("chunk B-tree has a cycle or is too deep");
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

// ------------------------------------------------------------------------------- v2 B-tree

export async function btreeV2(ctx: IndexContext, table: ChunkTable): Promise<void> {
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
    if (++nodes > maxNodes) throw new CorruptError("v2 B-tree has too many nodes");
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
