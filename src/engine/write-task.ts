/**
 * One unit of engine work, the same inline and inside a worker thread: read each piece of a block
 * from its input, map it to the archive's stored form, and hand the block to the chunk sink.
 */
import { ARRAY_TYPES, type DataArray } from "../dataset/types.js";
import { ConversionError, ZarrifyError } from "../errors.js";
import { product } from "../util/shape.js";
import type { ArrayMeta } from "../zarr/metadata.js";
import { copyBox } from "../zarr/nd.js";
import type { ChunkPart } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import { extractBox } from "./box.js";
import { blockParts, intersect, writeChunks } from "./chunk-sink.js";
import type { InputCache } from "./inputs.js";
import type { EngineTask, InputRef, Piece, TaskResult } from "./job.js";
import { mapValues } from "./map-values.js";

/** Enough to keep libuv's four threads inflating; each read holds one piece in memory. */
const READS_IN_FLIGHT = 4;

function byteLength(data: DataArray): number {
  return Array.isArray(data) ? data.reduce((n, s) => n + s.length, 0) : data.byteLength;
}

function allocate(meta: ArrayMeta, length: number): DataArray {
  if (meta.dtype === "string") return new Array<string>(length).fill("");
  const Typed = ARRAY_TYPES[meta.dtype] as new (n: number) => DataArray;
  return new Typed(length);
}

function coversBlock(piece: Piece, task: EngineTask): boolean {
  return piece.start.every(
    (s, d) => s === task.block.start[d] && piece.count[d] === task.block.count[d],
  );
}

export async function writeTask(
  task: EngineTask,
  arrays: readonly ArrayMeta[],
  inputs: readonly InputRef[],
  files: InputCache,
  store: Store,
): Promise<TaskResult> {
  const meta = arrays[task.array];
  const { block } = task;
  let bytesRead = 0;
  // Per piece, in the task's order (reads finish in any order).
  const outOfRange = task.pieces.map(() => 0);
  const read = async (piece: Piece, index: number) => {
    const where = `${inputs[piece.input].path}: variable '${piece.variable}'`;
    try {
      const raw = await files.read(piece.input, piece.variable, piece.from, piece.count);
      bytesRead += byteLength(raw);
      const mapped = mapValues(raw, piece.mapping, where);
      outOfRange[index] = mapped.outOfRange;
      return mapped.data;
    } catch (err) {
      if (err instanceof ZarrifyError) throw err;
      throw new ConversionError(`${where}: reading failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };

  const parts = blockParts(meta, block);
  let dataOf: (part: ChunkPart, index: number) => DataArray;
  if (task.pieces.length === 1 && coversBlock(task.pieces[0], task)) {
    const data = await read(task.pieces[0], 0);
    const whole = parts.length === 1;
    dataOf = (part) => (whole ? data : extractBox(data, block.count, part.inBox, part.count));
  } else {
    // Pieces from several files (or a file's share of a block) are copied straight into the
    // chunks they fall in, so a chunk they cover together is encoded and stored once.
    const chunks = parts.map((part) => allocate(meta, product(part.count)));
    const origins = parts.map((part) => part.inBox.map((o, d) => block.start[d] + o));
    const place = (piece: Piece, values: DataArray) => {
      parts.forEach((part, i) => {
        const box = intersect(piece, { start: origins[i], count: part.count });
        if (!box) return;
        const inPiece = box.start.map((x, d) => x - piece.start[d]);
        const inPart = box.start.map((x, d) => x - origins[i][d]);
        copyBox(values, piece.count, inPiece, chunks[i], part.count, inPart, box.count);
      });
    };
    // A few reads in flight: inflating runs on libuv's thread pool, so files of one block are
    // decoded side by side while this thread copies the ones already read.
    let next = 0;
    const reader = async () => {
      while (next < task.pieces.length) {
        const index = next++;
        const piece = task.pieces[index];
        place(piece, await read(piece, index));
      }
    };
    const readers = Math.min(READS_IN_FLIGHT, task.pieces.length);
    await Promise.all(Array.from({ length: readers }, reader));
    dataOf = (_part, i) => chunks[i];
  }
  const r = await writeChunks(store, meta, block, parts, dataOf, task.pieces);
  return { ...r, bytesRead, outOfRange };
}
