/**
 * The sharding_indexed codec and sharded metadata: the byte layout the v3 spec gives (checked
 * against zarr-python 3 both ways), inner chunks of fill left out, the index checksum, and the
 * errors for shard shapes that cannot be.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeBox } from "../../src/engine/chunk-sink.js";
import { ConfigError } from "../../src/errors.js";
import { readArchiveMetadata } from "../../src/zarr/archive.js";
import { decodeChunk, encodeChunk } from "../../src/zarr/array.js";
import { crc32c } from "../../src/zarr/codecs/crc32c.js";
import { parseCompression } from "../../src/zarr/compression.js";
import { parseJson, stringifyJson } from "../../src/zarr/json.js";
import {
  type ArrayMetaInput,
  arrayChunkKey,
  arrayDocuments,
  createArrayMeta,
  storedChunk,
} from "../../src/zarr/metadata.js";
import { parseArrayDocuments } from "../../src/zarr/metadata-parse.js";
import { pipelineFor, shardingOf } from "../../src/zarr/pipeline/pipeline.js";
import { splitShard } from "../../src/zarr/pipeline/sharding.js";
import { readBox } from "../../src/zarr/read.js";
import { applyShardPatch, prepareShardPatch } from "../../src/zarr/shard.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import { sidPython, skipSid } from "../helpers/sid.js";

const tmp = mkdtempSync(join(tmpdir(), "zarrify-sharding-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function input(over: Partial<ArrayMetaInput> = {}): ArrayMetaInput {
  return {
    zarrFormat: 3,
    path: "v",
    dtype: "float32",
    shape: [8, 6],
    chunks: [2, 3],
    shards: [4, 6],
    dimensionNames: ["time", "x"],
    attrs: {},
    compression: parseCompression("zstd:3"),
    ...over,
  };
}

describe("crc32c", () => {
  it("gives the Castagnoli check value", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});

describe("sharding_indexed", () => {
  it("round-trips a shard and leaves inner chunks of fill out of it", () => {
    const meta = createArrayMeta(input());
    const data = new Float32Array(24).fill(Number.NaN);
    // Inner chunk (0,0) and (1,1) hold data; (0,1) and (1,0) are all fill.
    for (const [r, c] of [
      [0, 0],
      [1, 2],
      [2, 3],
      [3, 5],
    ])
      data[r * 6 + c] = r * 10 + c;
    const bytes = encodeChunk(meta, data, [4, 6]);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const index = bytes.byteLength - 4 * 16 - 4;
    const words = [0, 1, 2, 3].map((k) => [
      view.getBigUint64(index + 16 * k, true),
      view.getBigUint64(index + 16 * k + 8, true),
    ]);
    const absent = 2n ** 64n - 1n;
    expect(words[1]).toEqual([absent, absent]);
    expect(words[2]).toEqual([absent, absent]);
    expect(words[0][0]).toBe(0n);
    expect(words[3][0]).toBe(words[0][1]);
    expect(view.getUint32(bytes.byteLength - 4, true)).toBe(
      crc32c(bytes.subarray(index, bytes.byteLength - 4)),
    );
    const back = decodeChunk(meta, bytes) as Float32Array;
    expect(Array.from(back)).toEqual(Array.from(data));
  });

  it("pads an edge shard and reads it back", () => {
    const meta = createArrayMeta(input({ shape: [5, 6] }));
    const edge = Float32Array.from({ length: 6 }, (_, i) => i + 0.5);
    const back = decodeChunk(meta, encodeChunk(meta, edge, [1, 6])) as Float32Array;
    expect(Array.from(back.subarray(0, 6))).toEqual(Array.from(edge));
    expect(back.subarray(6).every(Number.isNaN)).toBe(true);
  });

  it("patches only the inner chunks a merge touches and keeps the others' bytes", () => {
    const meta = createArrayMeta(input());
    const data = Float32Array.from({ length: 24 }, (_, i) => i);
    const before = encodeChunk(meta, data, [4, 6]);
    // Two cells in inner chunk (1, 0): rows 2..3, column 1.
    const cells = Float32Array.from([100, 101]);
    const copy = {
      src: cells,
      srcShape: [2, 1],
      srcStart: [0, 0],
      dstStart: [2, 1],
      count: [2, 1],
    };
    const after = applyShardPatch(prepareShardPatch(meta, [copy], [4, 6]), before);
    const want = data.slice();
    want[2 * 6 + 1] = 100;
    want[3 * 6 + 1] = 101;
    expect(Array.from(decodeChunk(meta, after) as Float32Array)).toEqual(Array.from(want));
    const config = shardingOf(pipelineFor(meta));
    if (!config) throw new Error("not sharded");
    const old = splitShard(config, before, 4);
    const now = splitShard(config, after, 4);
    for (const k of [0, 1, 3])
      expect(Buffer.from(now[k] ?? []).equals(Buffer.from(old[k] ?? []))).toBe(true);
    expect(Buffer.from(now[2] ?? []).equals(Buffer.from(old[2] ?? []))).toBe(false);
    // Onto nothing yet: the untouched inner chunks are absent.
    const fresh = splitShard(
      config,
      applyShardPatch(prepareShardPatch(meta, [copy], [4, 6]), undefined),
      4,
    );
    expect(fresh.map((p) => p !== undefined)).toEqual([false, false, true, false]);
  });

  it("reads any box of a sharded array back, edge shards and absent inner chunks included", async () => {
    const meta = createArrayMeta(input({ shape: [7, 5] }));
    const store = new MemoryStore();
    const all = Float32Array.from({ length: 35 }, (_, i) => (i % 11 === 3 ? Number.NaN : i));
    await writeBox(store, meta, [0, 0], [7, 5], all);
    for (const [start, count] of [
      [
        [0, 0],
        [7, 5],
      ],
      [
        [1, 2],
        [3, 3],
      ],
      [
        [5, 0],
        [2, 5],
      ],
      [
        [3, 4],
        [1, 1],
      ],
    ]) {
      const got = (await readBox(store, meta, start, count)) as Float32Array;
      const want: number[] = [];
      for (let r = 0; r < count[0]; r++)
        for (let c = 0; c < count[1]; c++) want.push(all[(start[0] + r) * 5 + start[1] + c]);
      expect(Array.from(got)).toEqual(want);
    }
  });

  it("encodes wholly covered inner chunks once, before the compare-and-swap, edge chunks too", () => {
    // 5 x 6 in shards of 4 x 6: the second shard holds one row, inner chunks (0,*) of 2 x 3.
    const meta = createArrayMeta(input({ shape: [5, 6] }));
    const row = Float32Array.from([1, 2, 3, 4, 5, 6]);
    // Covers the whole in-array part of the edge shard's inner chunks (0,0) and (0,1).
    const patch = prepareShardPatch(
      meta,
      [{ src: row, srcShape: [1, 6], srcStart: [0, 0], dstStart: [0, 0], count: [1, 6] }],
      [1, 6],
    );
    expect([...patch.whole.keys()]).toEqual([0, 1]);
    expect(patch.partial).toEqual([]);
    // Whatever is stored, the covered cells come out as the copy says.
    const stale = encodeChunk(meta, new Float32Array(6).fill(9), [1, 6]);
    for (const current of [undefined, stale]) {
      const back = decodeChunk(meta, applyShardPatch(patch, current)) as Float32Array;
      expect(Array.from(back.subarray(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
      expect(back.subarray(6).every(Number.isNaN)).toBe(true);
    }
    // Half an inner chunk is merged with what is stored, on each attempt.
    const half = prepareShardPatch(
      meta,
      [{ src: row, srcShape: [1, 6], srcStart: [0, 0], dstStart: [0, 0], count: [1, 3] }],
      [4, 6],
    );
    expect(half.whole.size).toBe(0);
    expect(half.partial.map((p) => p.k)).toEqual([0]);
  });

  it("refuses a shard whose index checksum does not match", () => {
    const meta = createArrayMeta(input({ dtype: "int16", attrs: { _FillValue: -1 } }));
    const bytes = encodeChunk(meta, new Int16Array(24).fill(7), [4, 6]);
    bytes[bytes.byteLength - 10] ^= 1;
    expect(() => decodeChunk(meta, bytes)).toThrow(/checksum/);
  });

  it("writes zarr.json with the shard grid and reads it back to the same meta", () => {
    for (const over of [
      {},
      { dtype: "char" as const, shape: [8, 6, 4], chunks: [2, 3, 4], shards: [4, 6, 4] },
      { dtype: "string" as const, stringLength: 5 },
    ]) {
      const fold = over.dtype === "char";
      const meta = createArrayMeta(
        input({ ...over, ...(fold ? { foldChars: true, dimensionNames: ["t", "x", "s"] } : {}) }),
      );
      const doc = parseJson(stringifyJson(arrayDocuments(meta)["zarr.json"]));
      const z = doc as unknown as {
        chunk_grid: { configuration: { chunk_shape: number[] } };
        codecs: {
          name: string;
          configuration: { chunk_shape: number[]; index_location: string };
        }[];
      };
      expect(z.chunk_grid.configuration.chunk_shape).toEqual([4, 6]);
      expect(z.codecs).toHaveLength(1);
      expect(z.codecs[0].name).toBe("sharding_indexed");
      expect(z.codecs[0].configuration.chunk_shape).toEqual([2, 3]);
      expect(z.codecs[0].configuration.index_location).toBe("end");
      const back = parseArrayDocuments(3, "v", { "zarr.json": doc });
      expect(back.chunks).toEqual(meta.chunks);
      expect(back.shards).toEqual(meta.shards);
      expect(back.compression).toEqual(meta.compression);
      expect(storedChunk(back)).toEqual(meta.shards);
    }
  });

  it("refuses shards in Zarr v2 and shards that do not hold whole chunks", () => {
    expect(() => createArrayMeta(input({ zarrFormat: 2 }))).toThrow(ConfigError);
    expect(() => createArrayMeta(input({ shards: [5, 6] }))).toThrow(
      /shard length 5 along time is not a multiple of its chunk length 2/,
    );
  });
});

describe.skipIf(skipSid)("sharded arrays and zarr-python 3 (Debian sid)", () => {
  it("reads what zarr-python writes: index at the start or the end, absent inner chunks", async () => {
    const dir = join(tmp, "py.zarr");
    const make = `
import numpy as np, zarr, sys
from zarr.codecs import ShardingCodec, BytesCodec, ZstdCodec, Crc32cCodec
g = zarr.open_group(sys.argv[1], mode="w", zarr_format=3)
for loc in ("start", "end"):
    codec = ShardingCodec(chunk_shape=(2, 5), codecs=[BytesCodec(), ZstdCodec(level=1)],
                          index_codecs=[BytesCodec(), Crc32cCodec()], index_location=loc)
    a = g.create_array(f"a_{loc}", shape=(9, 10), dtype="float32", chunks=(8, 10),
                       serializer=codec, compressors=None, fill_value=float("nan"),
                       dimension_names=["t", "x"])
    x = np.arange(90, dtype="float32").reshape(9, 10)
    x[2:4, :] = np.nan
    a[...] = x
zarr.consolidate_metadata(sys.argv[1])
`;
    await sidPython(["-c", make, dir]);
    const store = new FsStore(dir);
    const md = await readArchiveMetadata(store);
    for (const loc of ["start", "end"]) {
      const meta = md.arrays.get(`a_${loc}`);
      if (!meta) throw new Error(`a_${loc} missing`);
      expect(meta.chunks).toEqual([2, 5]);
      expect(meta.shards).toEqual([8, 10]);
      const got = (await readBox(store, meta, [0, 0], [9, 10])) as Float32Array;
      const want = Array.from({ length: 90 }, (_, i) => (i >= 20 && i < 40 ? Number.NaN : i));
      expect(Array.from(got)).toEqual(want);
      expect(await store.get(arrayChunkKey(meta, [0, 0]))).toBeDefined();
    }
  });
});
