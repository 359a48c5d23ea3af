import { rmSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { DataArray } from "../../src/dataset/types.js";
import { writeBox } from "../../src/engine/chunk-sink.js";
import { ConversionError } from "../../src/errors.js";
import type { CompressionSpec } from "../../src/zarr/compression.js";
import { type ArrayMeta, createArrayMeta } from "../../src/zarr/metadata.js";
import { readBox } from "../../src/zarr/read.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import type { Store, VersionedValue } from "../../src/zarr/store/types.js";
import { tempDir } from "../helpers/paths.js";

const tmp = tempDir("zarrify-chunk-sink-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
let dirs = 0;

const ZSTD: CompressionSpec = { method: "zstd", level: 3 };

/** time × lat × lon float32, time chunks of 10 (as a template with daily files would have). */
function t2m(format: 2 | 3 = 3, shape = [40, 3, 4], chunks = [10, 3, 2]): ArrayMeta {
  return createArrayMeta({
    zarrFormat: format,
    path: "t2m",
    dtype: "float32",
    shape,
    chunks,
    dimensionNames: ["time", "lat", "lon"],
    attrs: { _FillValue: -9999 },
    compression: ZSTD,
  });
}

/** The value of cell (t, y, x): distinct everywhere, so a misplaced cell shows. */
const value = (t: number, y: number, x: number) => 1000 * t + 10 * y + x + 0.5;

function slab(start: number[], count: number[]): Float32Array {
  const out = new Float32Array(count[0] * count[1] * count[2]);
  let i = 0;
  for (let t = 0; t < count[0]; t++)
    for (let y = 0; y < count[1]; y++)
      for (let x = 0; x < count[2]; x++) out[i++] = value(start[0] + t, start[1] + y, start[2] + x);
  return out;
}

async function whole(store: Store, meta: ArrayMeta): Promise<DataArray> {
  return readBox(store, meta, [0, 0, 0], meta.shape);
}

/** Steps [from, to) of the whole array must hold their values, every other step the fill. */
async function expectSteps(store: Store, meta: ArrayMeta, written: (t: number) => boolean) {
  const got = (await whole(store, meta)) as Float32Array;
  const [nt, ny, nx] = meta.shape;
  const wrong: number[] = [];
  for (let t = 0; t < nt; t++) {
    for (let k = 0; k < ny * nx; k++) {
      const y = Math.floor(k / nx);
      const want = written(t) ? value(t, y, k % nx) : -9999;
      if (got[t * ny * nx + k] !== Math.fround(want)) {
        wrong.push(t);
        break;
      }
    }
  }
  expect(wrong).toEqual([]);
}

async function snapshot(store: MemoryStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const k of store.keys().sort()) {
    out.set(k, Buffer.from((await store.get(k)) as Uint8Array).toString("hex"));
  }
  return out;
}

/** A store whose conditional puts lose the race the first `failures` times. */
class LosingStore extends MemoryStore {
  refused = 0;
  constructor(private failures: number) {
    super();
  }
  override async setIfMatch(key: string, v: Uint8Array, version: string | null): Promise<boolean> {
    if (this.refused < this.failures) {
      this.refused++;
      return false;
    }
    return super.setIfMatch(key, v, version);
  }
}

/** A store without compare-and-swap: the conditional put always writes. The negative control. */
class NoCasStore extends MemoryStore {
  override async getWithVersion(key: string): Promise<VersionedValue | undefined> {
    const v = await super.getWithVersion(key);
    await new Promise((r) => setTimeout(r, 1)); // let other writers read the same version
    return v;
  }
  override async setIfMatch(key: string, v: Uint8Array): Promise<boolean> {
    await this.set(key, v);
    return true;
  }
}

const oneStepBoxes = (meta: ArrayMeta) =>
  Array.from({ length: meta.shape[0] }, (_, t) => ({
    start: [t, 0, 0],
    count: [1, meta.shape[1], meta.shape[2]],
  }));

describe("writeBox: single writer", () => {
  it("writes whole chunks blind and reads back exactly", async () => {
    const store = new MemoryStore();
    const meta = t2m();
    const res = await writeBox(store, meta, [0, 0, 0], meta.shape, slab([0, 0, 0], meta.shape));
    expect(res).toMatchObject({ chunks: 4 * 1 * 2, merged: 0, conflicts: 0 });
    expect(res.bytesWritten).toBeGreaterThan(0);
    await expectSteps(store, meta, () => true);
  });

  it("writes a box that is exactly one chunk without merging", async () => {
    const store = new MemoryStore();
    const meta = t2m();
    const res = await writeBox(store, meta, [10, 0, 2], [10, 3, 2], slab([10, 0, 2], [10, 3, 2]));
    expect(res).toMatchObject({ chunks: 1, merged: 0 });
    expect(store.keys()).toEqual(["t2m/c/1/0/1"]);
    const back = await readBox(store, meta, [10, 0, 2], [10, 3, 2]);
    expect(back).toEqual(slab([10, 0, 2], [10, 3, 2]));
  });

  it("merges a partial chunk and keeps the cells already there", async () => {
    const store = new MemoryStore();
    const meta = t2m();
    const a = await writeBox(store, meta, [0, 0, 0], [7, 3, 4], slab([0, 0, 0], [7, 3, 4]));
    expect(a).toMatchObject({ chunks: 2, merged: 2, conflicts: 0 });
    const b = await writeBox(store, meta, [7, 0, 0], [8, 3, 4], slab([7, 0, 0], [8, 3, 4]));
    // Steps 7..14: chunk row 0 shared (merged), chunk row 1 partial (merged) -> 4 merges.
    expect(b).toMatchObject({ chunks: 4, merged: 4 });
    await expectSteps(store, meta, (t) => t < 15);
  });

  it("merges partial boxes inside a chunk along every dimension", async () => {
    const store = new MemoryStore();
    const meta = t2m(3, [12, 5, 6], [4, 3, 4]);
    // Four boxes that together cover the array, none aligned to the chunk grid.
    const cuts = [
      [
        [0, 0, 0],
        [5, 2, 6],
      ],
      [
        [0, 2, 0],
        [5, 3, 3],
      ],
      [
        [0, 2, 3],
        [5, 3, 3],
      ],
      [
        [5, 0, 0],
        [7, 5, 6],
      ],
    ];
    for (const [start, count] of cuts)
      await writeBox(store, meta, start, count, slab(start, count));
    await expectSteps(store, meta, () => true);
  });

  it("writes the array's edge chunk blind when the box covers the part inside the array", async () => {
    const store = new MemoryStore();
    const meta = t2m(3, [25, 3, 4], [10, 3, 4]);
    const res = await writeBox(store, meta, [20, 0, 0], [5, 3, 4], slab([20, 0, 0], [5, 3, 4]));
    expect(res).toMatchObject({ chunks: 1, merged: 0 });
    await expectSteps(store, meta, (t) => t >= 20);
  });

  it("merges into a v2 integer array without fill value (missing chunks read as 0)", async () => {
    const store = new MemoryStore();
    const meta = createArrayMeta({
      zarrFormat: 2,
      path: "flag",
      dtype: "int16",
      shape: [10, 2],
      chunks: [4, 2],
      dimensionNames: ["time", "x"],
      attrs: {},
      compression: { method: "none" },
    });
    await writeBox(store, meta, [3, 0], [3, 2], Int16Array.from([1, 2, 3, 4, 5, 6]));
    expect(store.keys().sort()).toEqual(["flag/0.0", "flag/1.0"]);
    expect(Array.from((await readBox(store, meta, [0, 0], [10, 2])) as Int16Array)).toEqual([
      0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it("merges string arrays", async () => {
    const store = new MemoryStore();
    const meta = createArrayMeta({
      zarrFormat: 3,
      path: "label",
      dtype: "string",
      shape: [6],
      chunks: [4],
      dimensionNames: ["time"],
      attrs: {},
      compression: ZSTD,
    });
    await writeBox(store, meta, [0], [2], ["a", "b"]);
    await writeBox(store, meta, [2], [3], ["c", "Zürich", "e"]);
    expect(await readBox(store, meta, [0], [6])).toEqual(["a", "b", "c", "Zürich", "e", ""]);
  });

  it("replays to identical chunk bytes (idempotent)", async () => {
    const store = new MemoryStore();
    const meta = t2m();
    const boxes = [
      [
        [0, 0, 0],
        [13, 3, 4],
      ],
      [
        [13, 0, 0],
        [14, 3, 4],
      ],
      [
        [27, 1, 1],
        [5, 2, 3],
      ],
    ];
    for (const [s, c] of boxes) await writeBox(store, meta, s, c, slab(s, c));
    const first = await snapshot(store);
    for (const [s, c] of boxes) await writeBox(store, meta, s, c, slab(s, c));
    expect(await snapshot(store)).toEqual(first);
    // Replaying in another order gives the same bytes too.
    for (const [s, c] of [...boxes].reverse()) await writeBox(store, meta, s, c, slab(s, c));
    expect(await snapshot(store)).toEqual(first);
  });
});

describe("writeBox: conflicts", () => {
  it("redoes a merge whose conditional put lost, as often as it loses", async () => {
    const store = new LosingStore(5);
    const meta = t2m();
    await writeBox(store, meta, [0, 0, 0], [10, 3, 4], slab([0, 0, 0], [10, 3, 4]));
    const res = await writeBox(store, meta, [12, 0, 0], [1, 3, 4], slab([12, 0, 0], [1, 3, 4]));
    expect(res).toMatchObject({ chunks: 2, merged: 2, conflicts: 5 });
    expect(store.refused).toBe(5);
    await expectSteps(store, meta, (t) => t < 10 || t === 12);
  });

  it("gives up with a ConversionError when the chunk never stops changing", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0); // no back-off sleep, so the test stays fast
    const store = new LosingStore(Number.POSITIVE_INFINITY);
    const meta = t2m();
    const write = writeBox(store, meta, [3, 0, 0], [1, 3, 4], slab([3, 0, 0], [1, 3, 4]));
    await expect(write).rejects.toThrow(ConversionError);
    await expect(write).rejects.toThrow(/t2m\/c\/0\/0\/0 changed under every one of 1000/);
    expect(store.keys()).toEqual([]);
  });
});

const concurrentStores: [string, () => Store][] = [
  ["MemoryStore", () => new MemoryStore()],
  ["FsStore", () => new FsStore(`${tmp}/s${++dirs}`)],
];

describe.each(concurrentStores)("writeBox: concurrent writers on %s", (_, make) => {
  it("loses nothing when 40 one-step boxes share chunks of 10 steps", async () => {
    const store = make();
    const meta = t2m();
    const results = await Promise.all(
      oneStepBoxes(meta).map((b) =>
        writeBox(store, meta, b.start, b.count, slab(b.start, b.count)),
      ),
    );
    expect(results.every((r) => r.merged === 2)).toBe(true);
    // The writers did interleave: some conditional puts lost and were redone.
    expect(results.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThan(0);
    await expectSteps(store, meta, () => true);
  });

  it("loses nothing when uneven neighbouring regions are written at once", async () => {
    const store = make();
    const meta = t2m();
    // File sizes 3, 7, 5, 1, 9, 4, 6, 5 steps: boundaries everywhere but on the chunk grid.
    const sizes = [3, 7, 5, 1, 9, 4, 6, 5];
    let t0 = 0;
    const boxes = sizes.map((n) => {
      const b = { start: [t0, 0, 0], count: [n, 3, 4] };
      t0 += n;
      return b;
    });
    await Promise.all(
      boxes.map((b) => writeBox(store, meta, b.start, b.count, slab(b.start, b.count))),
    );
    await expectSteps(store, meta, () => true);
  });
});

describe("writeBox: the concurrency test can fail", () => {
  it("loses steps on a store without compare-and-swap", async () => {
    const store = new NoCasStore();
    const meta = t2m();
    await Promise.all(
      oneStepBoxes(meta).map((b) =>
        writeBox(store, meta, b.start, b.count, slab(b.start, b.count)),
      ),
    );
    const got = (await whole(store, meta)) as Float32Array;
    const fills = got.filter((v) => v === -9999).length;
    expect(fills).toBeGreaterThan(0);
  });
});
