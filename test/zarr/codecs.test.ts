import { describe, expect, it } from "vitest";
import type { DType } from "../../src/dataset/types.js";
import {
  bloscBlocksize,
  bloscCompress,
  bloscDecompress,
  readBloscHeader,
} from "../../src/zarr/codecs/blosc.js";
import { blosclzCompress, blosclzDecompress } from "../../src/zarr/codecs/blosclz.js";
import { bytesToNumeric, numericToBytes } from "../../src/zarr/codecs/bytes.js";
import { gzipDecode, gzipEncode } from "../../src/zarr/codecs/gzip.js";
import {
  lz4BlockCompress,
  lz4BlockDecompress,
  lz4Decode,
  lz4DecodeNative,
  lz4Encode,
} from "../../src/zarr/codecs/lz4.js";
import { lz4hcBlockCompress } from "../../src/zarr/codecs/lz4hc.js";
import { compressBytes, decompressBytes } from "../../src/zarr/codecs/registry.js";
import {
  bitShuffle,
  bitUnshuffle,
  byteShuffle,
  byteUnshuffle,
} from "../../src/zarr/codecs/shuffle.js";
import { vlenUtf8Decode, vlenUtf8Encode } from "../../src/zarr/codecs/vlen-utf8.js";
import { zlibDecode, zlibEncode } from "../../src/zarr/codecs/zlib.js";
import { zstdDecode, zstdEncode } from "../../src/zarr/codecs/zstd.js";
import {
  BLOSC_CNAMES,
  BLOSC_SHUFFLES,
  type BloscCname,
  parseCompression,
} from "../../src/zarr/compression.js";
import { ALL_DTYPES, rng, sampleData } from "./helpers.js";

/** Test inputs with different characters: empty, tiny, runs, smooth floats, noise, patterns. */
function inputs(): [string, Uint8Array][] {
  const r = rng(42);
  const noise = Uint8Array.from({ length: 70001 }, () => Math.floor(r() * 256));
  const floats = sampleData("float32", 50000, 3) as Float32Array;
  const pattern = Uint8Array.from({ length: 100003 }, (_, i) => (i * 7) % 13);
  const far = new Uint8Array(120000);
  far.set(noise.subarray(0, 9000), 0);
  far.set(noise.subarray(0, 9000), 70000); // a repeat 70000 bytes back: beyond blosclz's far distance
  far.set(noise.subarray(0, 9000), 20000); // and one 20000 back: a blosclz "far" match
  return [
    ["empty", new Uint8Array(0)],
    ["one byte", new Uint8Array([7])],
    ["127 bytes", Uint8Array.from({ length: 127 }, (_, i) => i)],
    ["zeros", new Uint8Array(200000)],
    ["noise", noise],
    ["smooth float32", new Uint8Array(floats.buffer)],
    ["pattern", pattern],
    ["far repeats", far],
  ];
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe("byte shuffle", () => {
  const naive = (src: Uint8Array, ts: number): Uint8Array => {
    const n = Math.floor(src.length / ts);
    const out = src.slice();
    for (let j = 0; j < ts; j++) for (let i = 0; i < n; i++) out[j * n + i] = src[i * ts + j];
    return out;
  };
  for (const ts of [1, 2, 3, 4, 8, 16]) {
    for (const len of [0, 5, 64, 1001, 4096, 4099]) {
      for (const offset of [0, 1, 4]) {
        it(`typesize ${ts}, ${len} bytes, offset ${offset}`, () => {
          const backing = Uint8Array.from({ length: len + offset }, (_, i) => (i * 31 + 7) & 255);
          const src = backing.subarray(offset);
          const dst = new Uint8Array(len);
          byteShuffle(src, dst, ts);
          expect(eq(dst, naive(src, ts))).toBe(true);
          const back = new Uint8Array(len + offset).subarray(offset);
          byteUnshuffle(dst, back, ts);
          expect(eq(back, src)).toBe(true);
        });
      }
    }
  }
});

describe("bit shuffle", () => {
  /** bitshuffle's definition: row 8j+k holds bit k of byte j of each element, LSB-first. */
  const naive = (src: Uint8Array, ts: number): Uint8Array => {
    const n = Math.floor(src.length / ts);
    if (n % 8 !== 0) return src.slice();
    const out = src.slice();
    out.fill(0, 0, n * ts);
    const rowBytes = n / 8;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < ts; j++)
        for (let k = 0; k < 8; k++) {
          const bit = (src[i * ts + j] >> k) & 1;
          out[(j * 8 + k) * rowBytes + (i >> 3)] |= bit << (i & 7);
        }
    return out;
  };
  for (const ts of [1, 2, 4, 8, 3]) {
    for (const len of [0, 8 * ts, 64 * ts + 3, 1000 * ts, 1003 * ts]) {
      it(`typesize ${ts}, ${len} bytes`, () => {
        const src = Uint8Array.from({ length: len }, (_, i) => (i * 73 + (i >> 3)) & 255);
        const dst = new Uint8Array(len);
        bitShuffle(src, dst, ts);
        expect(eq(dst, naive(src, ts))).toBe(true);
        const back = new Uint8Array(len);
        bitUnshuffle(dst, back, ts);
        expect(eq(back, src)).toBe(true);
      });
    }
  }
});

describe("gzip, zlib, zstd, lz4 round trips", () => {
  for (const [name, data] of inputs()) {
    it(name, () => {
      const g = gzipEncode(data, 5);
      expect([g[0], g[1]]).toEqual([0x1f, 0x8b]);
      expect(eq(gzipDecode(g), data)).toBe(true);
      const z = zlibEncode(data, 5);
      expect(z[0] & 0x0f).toBe(8); // deflate, zlib header
      expect(eq(zlibDecode(z), data)).toBe(true);
      const s = zstdEncode(data, 3);
      expect(new DataView(s.buffer, s.byteOffset).getUint32(0, true)).toBe(0xfd2fb528);
      // Frame_Header_Descriptor: single-segment or an explicit content size field.
      expect((s[4] & 0x20) !== 0 || s[4] >> 6 !== 0).toBe(true);
      expect(eq(zstdDecode(s), data)).toBe(true);
      const l = lz4Encode(data);
      expect(new DataView(l.buffer, l.byteOffset).getUint32(0, true)).toBe(data.length);
      expect(eq(lz4Decode(l), data)).toBe(true);
      expect(eq(lz4DecodeNative(l), data)).toBe(true);
    });
  }
});

describe("lz4 blocks", () => {
  const framed = (block: Uint8Array, n: number): Uint8Array => {
    const out = new Uint8Array(4 + block.length);
    new DataView(out.buffer).setUint32(0, n, true);
    out.set(block, 4);
    return out;
  };
  for (const [name, data] of inputs()) {
    it(`native block decodes with the JS decoder: ${name}`, () => {
      const block = lz4BlockCompress(data);
      const out = new Uint8Array(data.length);
      lz4BlockDecompress(block, out);
      expect(eq(out, data)).toBe(true);
    });
    for (const clevel of [1, 5, 9]) {
      it(`lz4hc clevel ${clevel} decodes natively and in JS: ${name}`, () => {
        const block = lz4hcBlockCompress(data, clevel);
        expect(eq(lz4DecodeNative(framed(block, data.length)), data)).toBe(true);
        const out = new Uint8Array(data.length);
        lz4BlockDecompress(block, out);
        expect(eq(out, data)).toBe(true);
      });
    }
  }
  it("lz4hc compresses at least as well as fast lz4 on structured data", () => {
    const data = new Uint8Array((sampleData("float32", 100000, 9) as Float32Array).buffer);
    const shuffled = new Uint8Array(data.length);
    byteShuffle(data, shuffled, 4);
    expect(lz4hcBlockCompress(shuffled, 9).length).toBeLessThan(lz4BlockCompress(shuffled).length);
  });
  it("rejects corrupt blocks instead of reading out of bounds", () => {
    const block = lz4BlockCompress(new Uint8Array(1000).fill(3));
    expect(() =>
      lz4BlockDecompress(block.subarray(0, block.length - 3), new Uint8Array(1000)),
    ).toThrow(/corrupt/);
    expect(() => lz4BlockDecompress(block, new Uint8Array(999))).toThrow(/corrupt/);
    expect(() => lz4BlockDecompress(new Uint8Array([0x0f, 0xff]), new Uint8Array(10))).toThrow(
      /corrupt/,
    );
  });
});

describe("blosclz", () => {
  for (const [name, data] of inputs()) {
    for (const clevel of [1, 5, 9]) {
      for (const split of [true, false]) {
        it(`${name}, clevel ${clevel}, split ${split}`, () => {
          const c = blosclzCompress(clevel, data, data.length, split);
          if (c === null) return; // "store raw" is a valid answer; the framer handles it
          expect(c.length).toBeLessThanOrEqual(data.length);
          const out = new Uint8Array(data.length);
          expect(blosclzDecompress(c, out)).toBe(data.length);
          expect(eq(out, data)).toBe(true);
        });
      }
    }
  }
  it("really compresses compressible data", () => {
    const zeros = new Uint8Array(65536);
    const c = blosclzCompress(5, zeros, zeros.length, true);
    expect(c).not.toBeNull();
    expect((c as Uint8Array).length).toBeLessThan(1000);
  });
  it("returns 0 for truncated input rather than reading past it", () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i % 100) & 255);
    const c = blosclzCompress(5, data, data.length, true) as Uint8Array;
    expect(blosclzDecompress(c.subarray(0, c.length - 10), new Uint8Array(5000))).not.toBe(5000);
  });
});

/** Blocksizes c-blosc 1.21.3 (numcodecs 0.11) chose: [cname, clevel, typesize, nbytes, blocksize]. */
const CBLOSC_BLOCKSIZES: [BloscCname, number, number, number, number][] = [
  ["blosclz", 1, 1, 1000000, 65536],
  ["blosclz", 1, 4, 1200004, 65536],
  ["blosclz", 3, 2, 600002, 131072],
  ["blosclz", 3, 4, 1200004, 262144],
  ["blosclz", 5, 4, 1200004, 524288],
  ["blosclz", 9, 1, 1000000, 262144],
  ["blosclz", 9, 4, 1200004, 1048576],
  ["blosclz", 9, 8, 40000, 40000],
  ["lz4", 1, 2, 600002, 65536],
  ["lz4", 5, 1, 1000000, 131072],
  ["lz4", 5, 2, 600002, 262144],
  ["lz4", 9, 4, 1200004, 1048576],
  ["lz4", 5, 4, 400, 400],
  ["lz4hc", 1, 4, 1200004, 131072],
  ["lz4hc", 3, 1, 1000000, 131072],
  ["lz4hc", 5, 2, 600002, 524288],
  ["lz4hc", 9, 4, 1200004, 1048576],
  ["zlib", 1, 1, 1000000, 65536],
  ["zlib", 3, 4, 1200004, 524288],
  ["zlib", 9, 2, 600002, 524288],
  ["zstd", 1, 1, 1000000, 32768],
  ["zstd", 1, 8, 40000, 32768],
  ["zstd", 3, 4, 1200004, 131072],
  ["zstd", 5, 2, 600002, 262144],
  ["zstd", 9, 1, 1000000, 1000000],
  ["zstd", 9, 4, 1200004, 1048576],
  ["zstd", 9, 8, 40000, 40000],
];

describe("blosc framing", () => {
  for (const [cname, clevel, typesize, nbytes, expected] of CBLOSC_BLOCKSIZES) {
    it(`blocksize for ${cname}:${clevel}, typesize ${typesize}, ${nbytes} bytes matches c-blosc`, () => {
      expect(bloscBlocksize(cname, clevel, typesize, nbytes)).toBe(expected);
    });
  }

  const dtypes: DType[] = ["uint8", "int16", "float32", "float64"];
  for (const cname of BLOSC_CNAMES) {
    for (const shuffle of BLOSC_SHUFFLES) {
      it(`${cname} ${shuffle}: round trips over dtypes, sizes and levels`, () => {
        for (const dtype of dtypes) {
          for (const n of [1, 31, 1000, 33333]) {
            const arr = sampleData(dtype, n, n) as Exclude<ReturnType<typeof sampleData>, string[]>;
            const src = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
            const typesize = arr.BYTES_PER_ELEMENT;
            for (const clevel of [0, 1, 6, 9]) {
              const frame = bloscCompress(src, { cname, clevel, shuffle, typesize });
              const h = readBloscHeader(frame);
              expect(h.version).toBe(2);
              expect(h.nbytes).toBe(src.length);
              expect(h.cbytes).toBe(frame.length);
              expect(h.typesize).toBe(typesize);
              expect(h.shuffle).toBe(shuffle);
              expect(frame.length).toBeLessThanOrEqual(src.length + 16);
              if (clevel === 0 || src.length < 128) expect(h.memcpyed).toBe(true);
              expect(eq(bloscDecompress(frame), src)).toBe(true);
            }
          }
        }
      });
    }
  }

  it("stores incompressible data raw with the memcpyed flag", () => {
    const r = rng(5);
    const noise = Uint8Array.from({ length: 100000 }, () => Math.floor(r() * 256));
    const frame = bloscCompress(noise, {
      cname: "lz4",
      clevel: 5,
      shuffle: "noshuffle",
      typesize: 1,
    });
    const h = readBloscHeader(frame);
    expect(h.memcpyed).toBe(true);
    expect(frame.length).toBe(noise.length + 16);
    expect(eq(bloscDecompress(frame), noise)).toBe(true);
  });

  it("splits blocks per c-blosc's forward-compatible rule", () => {
    const src = new Uint8Array((sampleData("float32", 100000, 2) as Float32Array).buffer);
    const opts = { clevel: 5, shuffle: "shuffle" as const, typesize: 4 };
    expect(readBloscHeader(bloscCompress(src, { ...opts, cname: "zstd" })).dontSplit).toBe(true);
    expect(readBloscHeader(bloscCompress(src, { ...opts, cname: "lz4" })).dontSplit).toBe(false);
    expect(readBloscHeader(bloscCompress(src, { ...opts, cname: "blosclz" })).dontSplit).toBe(
      false,
    );
    // 17-byte elements cannot be split (more than 16 streams).
    expect(
      readBloscHeader(bloscCompress(src, { ...opts, cname: "lz4", typesize: 17 })).dontSplit,
    ).toBe(true);
  });

  it("compresses smooth float32 with byte shuffle far better than without", () => {
    const src = new Uint8Array((sampleData("float32", 200000, 8) as Float32Array).buffer);
    const plain = bloscCompress(src, {
      cname: "zstd",
      clevel: 3,
      shuffle: "noshuffle",
      typesize: 4,
    });
    const shuffled = bloscCompress(src, {
      cname: "zstd",
      clevel: 3,
      shuffle: "shuffle",
      typesize: 4,
    });
    expect(shuffled.length).toBeLessThan(plain.length * 0.8);
  });

  it("rejects truncated frames", () => {
    const src = new Uint8Array(10000).fill(9);
    const frame = bloscCompress(src, { cname: "zstd", clevel: 5, shuffle: "shuffle", typesize: 4 });
    expect(() => bloscDecompress(frame.subarray(0, frame.length - 1))).toThrow(/truncated/);
    expect(() => bloscDecompress(frame.subarray(0, 10))).toThrow(/no header/);
  });
});

describe("registry", () => {
  for (const method of [
    "none",
    "gzip:1",
    "zlib:9",
    "zstd:7",
    "lz4",
    "blosc:zstd:3:bitshuffle",
    "blosc:blosclz:9",
  ]) {
    it(`compressBytes/decompressBytes round trip with ${method}`, () => {
      const spec = parseCompression(method);
      for (const [, data] of inputs()) {
        expect(eq(decompressBytes(spec, compressBytes(spec, data, 4)), data)).toBe(true);
      }
    });
  }
});

describe("vlen-utf8 and bytes", () => {
  it("writes numcodecs' VLenUTF8 layout", () => {
    const enc = vlenUtf8Encode(["a", "é", ""]);
    expect(Buffer.from(enc).toString("hex")).toBe(
      "03000000" + "01000000" + "61" + "02000000" + "c3a9" + "00000000",
    );
    expect(vlenUtf8Decode(enc)).toEqual(["a", "é", ""]);
  });
  it("round trips unicode strings and rejects truncation or a wrong count", () => {
    const items = sampleData("string", 500, 1) as string[];
    const enc = vlenUtf8Encode(items);
    expect(vlenUtf8Decode(enc, 500)).toEqual(items);
    expect(() => vlenUtf8Decode(enc, 499)).toThrow(/holds 500 items/);
    expect(() => vlenUtf8Decode(enc.subarray(0, enc.length - 1))).toThrow(/truncated/);
  });
  it("round trips every numeric dtype through little-endian bytes", () => {
    for (const dtype of ALL_DTYPES.filter((t) => t !== "string")) {
      const arr = sampleData(dtype, 257, 4) as Exclude<ReturnType<typeof sampleData>, string[]>;
      const bytes = numericToBytes(arr);
      expect(bytes.length).toBe(arr.byteLength);
      // Decoding an odd-offset view must still yield an aligned, independent array.
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      const back = bytesToNumeric(dtype, shifted.subarray(1));
      expect(Array.from(back as ArrayLike<unknown>)).toEqual(Array.from(arr as ArrayLike<unknown>));
    }
    expect(Array.from(numericToBytes(new Int16Array([1, -2])))).toEqual([1, 0, 0xfe, 0xff]);
  });
});
