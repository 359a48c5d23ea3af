/**
 * The chunk index of a chunked dataset, read whole into a table: for each allocated chunk (by its
 * position in the chunk grid) its file address, stored size and filter mask. Index types: v1
 * B-tree (layout version 3, what netCDF-4 writes with default library bounds), and from layout
 * version 4 single chunk, fixed array, extensible array (without paged data blocks) and v2
 * B-tree. Anything else — the implicit index too, which needs early allocation that neither
 * netCDF nor h5wasm can write, so no test could check it — throws FormatError and the dataset
 * stays on h5wasm. Every size read is checked against the file before it is believed.
 */
import { extensibleArray, fixedArray } from "./chunk-arrays.js";
import { btreeV1, btreeV2 } from "./chunk-btree.js";
import { ChunkTable, type IndexContext } from "./chunk-table.js";
import { FormatError, UNDEFINED_ADDRESS } from "./le-reader.js";
import { INDEX, INDEX_NAMES } from "./storage.js";

export type { ChunkEntry, IndexContext } from "./chunk-table.js";
export { ChunkTable };

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
