/**
 * Engine tasks for writing pieces of input files into an existing array: the blocks of the
 * archive's chunk grid the pieces touch, each with every piece's share of it. Pieces of several
 * files that meet in a block are written together, so a chunk they cover between them is encoded
 * and stored once (blind), and only chunks some other writer shares are merged.
 */
import { DTYPE_SIZE } from "../dataset/types.js";
import { blockSpan } from "../plan/blocks.js";
import { cIndices } from "../util/shape.js";
import { type ArrayMeta, storedChunk } from "../zarr/metadata.js";
import type { EngineTask, Piece } from "./job.js";

export function regionTasks(
  meta: ArrayMeta,
  array: number,
  pieces: readonly Piece[],
  maxBlockBytes: number,
): EngineTask[] {
  const live = pieces.filter((p) => p.count.every((n) => n > 0));
  if (live.length === 0) return [];
  // Blocks tile what store keys hold (shards, when sharded): a shard one writer covers is then
  // written by one task in one put.
  const chunks = storedChunk(meta);
  const nd = chunks.length;
  // The blocks tile the chunks between the pieces' outermost ones, clipped to the pieces' extent.
  const lo: number[] = [];
  const end: number[] = [];
  for (let d = 0; d < nd; d++) {
    lo.push(Math.min(...live.map((p) => p.start[d])));
    end.push(Math.max(...live.map((p) => p.start[d] + p.count[d])));
  }
  const c0 = lo.map((s, d) => Math.floor(s / chunks[d]));
  const c1 = end.map((e, d) => Math.ceil(e / chunks[d]));
  const span = blockSpan({
    shape: c0.map((c, d) => (c1[d] - c) * chunks[d]),
    chunks,
    itemSize: DTYPE_SIZE[meta.dtype],
    maxBlockBytes,
  });
  // One chunk thick along the outermost dimension (time, in practice): bigger blocks would save
  // no reads (each file's share is read once either way) but leave fewer tasks to share out.
  if (nd > 0) span[0] = 1;
  const edge = (d: number, k: number) =>
    Math.min(end[d], Math.max(lo[d], (c0[d] + k * span[d]) * chunks[d]));
  const blockOf = (d: number, x: number) =>
    Math.floor((Math.floor(x / chunks[d]) - c0[d]) / span[d]);

  const tasks = new Map<string, EngineTask>();
  for (const piece of live) {
    const first = piece.start.map((s, d) => blockOf(d, s));
    const last = piece.start.map((s, d) => blockOf(d, s + piece.count[d] - 1));
    for (const rel of cIndices(last.map((l, d) => l - first[d] + 1))) {
      const k = rel.map((r, d) => first[d] + r);
      const key = k.join(",");
      let task = tasks.get(key);
      if (!task) {
        const start = k.map((kd, d) => edge(d, kd));
        const count = k.map((kd, d) => edge(d, kd + 1) - start[d]);
        task = { array, block: { start, count }, pieces: [] };
        tasks.set(key, task);
      }
      const start: number[] = [];
      const count: number[] = [];
      for (let d = 0; d < nd; d++) {
        const a = Math.max(piece.start[d], task.block.start[d]);
        const b = Math.min(
          piece.start[d] + piece.count[d],
          task.block.start[d] + task.block.count[d],
        );
        start.push(a);
        count.push(b - a);
      }
      task.pieces.push({
        ...piece,
        start,
        count,
        from: piece.from.map((f, d) => f + start[d] - piece.start[d]),
      });
    }
  }
  // C order of the blocks: neighbouring tasks share source files, which workers keep open.
  return [...tasks.values()].sort((a, b) => {
    for (let d = 0; d < nd; d++) {
      if (a.block.start[d] !== b.block.start[d]) return a.block.start[d] - b.block.start[d];
    }
    return 0;
  });
}
