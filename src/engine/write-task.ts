/**
 * One unit of engine work, the same inline and inside a worker thread: read each piece of a block
 * from its input, map it to the archive's stored form, and hand the block to the chunk sink.
 */
import type { DataArray } from "../dataset/types.js";
import { ConversionError, ZarrifyError } from "../errors.js";
import { product } from "../util/shape.js";
import type { ArrayMeta } from "../zarr/metadata.js";
import { copyBox } from "../zarr/nd.js";
import type { ChunkPart } from "../zarr/read.js";
import type { Store } from "../zarr/store/types.js";
import { allocate, scratchArray } from "./box.js";
import { blockParts, intersect, writeChunks } from "./chunk-sink.js";
import type { InputCache } from "./inputs.js";
import type { EngineTask, InputRef, Piece, TaskResult } from "./job.js";
import { mapValues } from "./map-values.js";

/** Enough to keep libuv's four threads inflating; each read holds one piece in memory. */
const READS_IN_FLIGHT = 4;

function byteLength(data: DataArray): number {
  return Array.isArray(data) ? data.reduce((n, s) => n + s.length, 0) : data.byteLength;
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

  // A few reads in flight: inflating runs on libuv's thread pool, so the files of one block are
  // decoded side by side.
  const values: DataArray[] = new Array(task.pieces.length);
  let next = 0;
  const reader = async () => {
    while (next < task.pieces.length) {
      const index = next++;
      values[index] = await read(task.pieces[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, task.pieces.length) }, reader));

  const parts = blockParts(meta, block);
  const whole = parts.length === 1 && task.pieces.length === 1 && coversBlock(task.pieces[0], task);
  // Each chunk is assembled from the pieces it meets when the sink takes it, so a chunk several
  // files cover together is encoded and stored once, and only one chunk at a time is copied out:
  // into the thread's scratch for a chunk encoded at once (`transient`), else into its own array.
  const dataOf = (part: ChunkPart, _index: number, transient: boolean): DataArray => {
    if (whole) return values[0];
    const origin = part.inBox.map((o, d) => block.start[d] + o);
    const n = product(part.count);
    const out = transient ? scratchArray(meta.dtype, n) : allocate(meta.dtype, n);
    task.pieces.forEach((piece, k) => {
      const box = intersect(piece, { start: origin, count: part.count });
      if (!box) return;
      const inPiece = box.start.map((x, d) => x - piece.start[d]);
      const inPart = box.start.map((x, d) => x - origin[d]);
      copyBox(values[k], piece.count, inPiece, out, part.count, inPart, box.count);
    });
    return out;
  };
  const r = await writeChunks(store, meta, block, parts, dataOf, task.pieces);
  return { ...r, bytesRead, outOfRange };
}
