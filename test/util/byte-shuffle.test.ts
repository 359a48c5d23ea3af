/**
 * util/byte-shuffle.ts: the SIMD kernels against the scalar loop (the definition: byte j of
 * element i at j * n + i, the remainder copied), over the sizes and lengths where the slicing,
 * the 16-element steps and the tail meet; and the checked-in kernels against their generator.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { byteShuffle, byteUnshuffle } from "../../src/util/byte-shuffle.js";
import { repoRoot } from "../helpers/paths.js";

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The definition, element by element. */
function reference(src: Uint8Array, size: number): Uint8Array {
  const n = Math.floor(src.length / size);
  const out = src.slice();
  for (let i = 0; i < n; i++) for (let j = 0; j < size; j++) out[j * n + i] = src[i * size + j];
  return out;
}

// 32768 elements make one slice of the kernels' memory for size 8 (util/byte-shuffle.ts SLICE).
const LENGTHS = [0, 1, 3, 15, 16, 17, 31, 32, 33, 100, 255, 4096, 32768 * 8 + 24, 300_001];

describe("byteShuffle / byteUnshuffle", () => {
  for (const size of [1, 2, 3, 4, 8, 16]) {
    it(`size ${size}: SIMD and scalar both give the definition, and unshuffle inverts it`, () => {
      for (const length of LENGTHS) {
        const src = bytes(length, length * 31 + size);
        const want = reference(src, size);
        for (const simd of [true, false]) {
          const shuffled = new Uint8Array(length);
          byteShuffle(src, shuffled, size, simd);
          expect(Buffer.from(shuffled).equals(Buffer.from(want)), `${length} bytes`).toBe(true);
          const back = new Uint8Array(length);
          byteUnshuffle(shuffled, back, size, simd);
          expect(Buffer.from(back).equals(Buffer.from(src)), `${length} bytes back`).toBe(true);
        }
      }
    });
  }

  it("works on views at any offset", () => {
    const buf = bytes(40_003, 9);
    const src = buf.subarray(3, 3 + 4 * 9000 + 2);
    const dst = new Uint8Array(buf.length).subarray(1, 1 + src.length);
    byteShuffle(src, dst, 4);
    expect(Buffer.from(dst).equals(Buffer.from(reference(src, 4)))).toBe(true);
  });
});

describe("the checked-in kernels", () => {
  it("are what scripts/shuffle-wasm.ts generates", () => {
    const tsx = join(repoRoot, "node_modules", ".bin", "tsx");
    // Exits 1 with a message when src/util/byte-shuffle-wasm.ts is stale.
    execFileSync(tsx, [join(repoRoot, "scripts", "shuffle-wasm.ts"), "--check"], {
      stdio: "pipe",
    });
  });
});
