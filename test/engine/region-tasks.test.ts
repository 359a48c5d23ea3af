import { describe, expect, it } from "vitest";
import type { Piece } from "../../src/engine/job.js";
import { regionTasks } from "../../src/engine/region-tasks.js";
import { product } from "../../src/util/shape.js";
import { createArrayMeta } from "../../src/zarr/metadata.js";
import { seededRandom } from "../helpers/random.js";

function meta(shape: number[], chunks: number[]) {
  return createArrayMeta({
    zarrFormat: 3,
    path: "v",
    dtype: "float32",
    shape,
    chunks,
    dimensionNames: shape.map((_, d) => `d${d}`),
    attrs: {},
    compression: { method: "none" },
  });
}

function piece(input: number, start: number[], count: number[], from = start.map(() => 0)): Piece {
  return { input, variable: "v", start, count, from, mapping: { kind: "same" } };
}

describe("regionTasks", () => {
  it("puts one-step files sharing a chunk into one task, one chunk thick along time", () => {
    const m = meta([40, 3, 4], [10, 3, 2]);
    const pieces = Array.from({ length: 40 }, (_, t) => piece(t, [t, 0, 0], [1, 3, 4]));
    const tasks = regionTasks(m, 0, pieces, 1 << 20);
    expect(tasks.map((t) => t.block)).toEqual(
      [0, 10, 20, 30].map((s) => ({ start: [s, 0, 0], count: [10, 3, 4] })),
    );
    expect(tasks.map((t) => t.pieces.map((p) => p.input))).toEqual(
      [0, 10, 20, 30].map((s) => Array.from({ length: 10 }, (_, k) => s + k)),
    );
  });

  it("cuts every piece exactly into chunk-aligned blocks, with source offsets that follow", () => {
    const rnd = seededRandom(7);
    for (let round = 0; round < 200; round++) {
      const shape = [
        1 + Math.floor(rnd() * 30),
        1 + Math.floor(rnd() * 7),
        1 + Math.floor(rnd() * 9),
      ];
      const chunks = shape.map((n) => 1 + Math.floor(rnd() * n));
      const m = meta(shape, chunks);
      // Files along the first dimension, each a run of steps, with gaps between some.
      const pieces: Piece[] = [];
      for (let t = 0; t < shape[0]; ) {
        const steps = 1 + Math.floor(rnd() * 4);
        const n = Math.min(steps, shape[0] - t);
        if (rnd() < 0.8)
          pieces.push(piece(pieces.length, [t, 0, 0], [n, shape[1], shape[2]], [5, 0, 0]));
        t += n;
      }
      const maxBlock = 4 * (1 + Math.floor(rnd() * product(shape)));
      const tasks = regionTasks(m, 3, pieces, maxBlock);
      const seen = new Map<string, number>();
      for (const task of tasks) {
        expect(task.array).toBe(3);
        for (let d = 0; d < 3; d++) {
          // Block edges are chunk edges or the pieces' own.
          const edge = (x: number) =>
            x % chunks[d] === 0 ||
            pieces.some((p) => p.start[d] === x || p.start[d] + p.count[d] === x);
          expect(edge(task.block.start[d])).toBe(true);
          expect(edge(task.block.start[d] + task.block.count[d])).toBe(true);
        }
        expect(Math.floor(task.block.start[0] / chunks[0])).toBe(
          Math.floor((task.block.start[0] + task.block.count[0] - 1) / chunks[0]),
        );
        for (const p of task.pieces) {
          const orig = pieces[p.input];
          for (let d = 0; d < 3; d++) {
            expect(p.start[d]).toBeGreaterThanOrEqual(task.block.start[d]);
            expect(p.start[d] + p.count[d]).toBeLessThanOrEqual(
              task.block.start[d] + task.block.count[d],
            );
            expect(p.from[d]).toBe(orig.from[d] + p.start[d] - orig.start[d]);
          }
          for (let a = 0; a < p.count[0]; a++)
            for (let b = 0; b < p.count[1]; b++)
              for (let c = 0; c < p.count[2]; c++) {
                const key = `${p.start[0] + a},${p.start[1] + b},${p.start[2] + c}`;
                expect(seen.has(key)).toBe(false);
                seen.set(key, p.input);
              }
        }
      }
      const cells = pieces.reduce((n, p) => n + product(p.count), 0);
      expect(seen.size).toBe(cells);
    }
  });

  it("has no tasks without pieces", () => {
    expect(regionTasks(meta([4], [2]), 0, [], 1024)).toEqual([]);
    expect(regionTasks(meta([4], [2]), 0, [piece(0, [1], [0])], 1024)).toEqual([]);
  });
});
