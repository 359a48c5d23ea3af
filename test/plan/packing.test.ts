import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { Attrs } from "../../src/dataset/types.js";
import { ConfigError } from "../../src/errors.js";
import {
  dataRange,
  PACKED_FILL,
  type PackBits,
  type PackingParams,
  packedDtype,
  packedMax,
  packingParams,
  packValues,
  rangeFromAttributes,
  roundHalfEven,
  unpackValues,
  widenRange,
} from "../../src/plan/packing.js";
import { python } from "../helpers/paths.js";
import { seededRandom } from "../helpers/random.js";

const BITS: PackBits[] = [8, 16, 32];

/**
 * The worst round-trip error allowed: half a step, plus a few float64 ulps of the largest
 * magnitude involved (the decode `q·scale + offset` itself rounds).
 */
function tolerance(p: PackingParams): number {
  const big = Math.max(Math.abs(p.min), Math.abs(p.max), Math.abs(p.addOffset));
  return p.scaleFactor / 2 + 4 * Number.EPSILON * big;
}

function maxError(src: Float32Array | Float64Array, p: PackingParams): number {
  const { packed } = packValues(src, p);
  const back = unpackValues(packed, p);
  let worst = 0;
  for (let i = 0; i < src.length; i++) worst = Math.max(worst, Math.abs(back[i] - src[i]));
  return worst;
}

describe("constants", () => {
  it("reserve the most negative integer of each width as the fill value", () => {
    expect(PACKED_FILL).toEqual({ 8: -128, 16: -32768, 32: -2147483648 });
    expect(packedDtype(8)).toBe("int8");
    expect(packedDtype(16)).toBe("int16");
    expect(packedDtype(32)).toBe("int32");
    expect(packedMax(8)).toBe(127);
    expect(packedMax(16)).toBe(32767);
    expect(packedMax(32)).toBe(2147483647);
    expect(() => packedDtype(12 as PackBits)).toThrow(ConfigError);
  });
});

describe("packingParams", () => {
  it.each(BITS)("%d bits: 2^bits - 2 steps, the integer range used fully", (bits) => {
    const p = packingParams(-40, 60, bits);
    const h = 2 ** (bits - 1) - 1;
    expect(p.bits).toBe(bits);
    expect(p.dtype).toBe(`int${bits}`);
    expect(p.fillValue).toBe(PACKED_FILL[bits]);
    expect(p.min).toBe(-40);
    expect(p.max).toBe(60);
    expect(p.scaleFactor).toBe(100 / (2 ** bits - 2));
    expect(p.addOffset).toBeCloseTo(10, 12); // the middle of the range
    // -H decodes to min, H to max.
    expect(-h * p.scaleFactor + p.addOffset).toBeCloseTo(-40, 10);
    expect(h * p.scaleFactor + p.addOffset).toBeCloseTo(60, 10);
    const { packed } = packValues(new Float64Array([-40, 60, 10]), p);
    expect(Array.from(packed)).toEqual([-h, h, 0]);
  });

  it("refuses empty, inverted and non-finite ranges", () => {
    expect(() => packingParams(5, 5, 16)).toThrow(ConfigError);
    expect(() => packingParams(6, 5, 16)).toThrow(/min must be below max/);
    expect(() => packingParams(Number.NaN, 5, 16)).toThrow(ConfigError);
    expect(() => packingParams(0, Number.POSITIVE_INFINITY, 16)).toThrow(/not finite/);
    expect(() => packingParams(-1e308, 1e308, 16)).toThrow(/not finite/);
    expect(() => packingParams(0, 5e-324, 32)).toThrow(/too narrow/);
  });

  it("float32 attributes: scale and offset are float32-exact and still cover [min, max]", () => {
    for (const bits of BITS) {
      for (const [min, max] of [
        [273.15, 310.4],
        [-1.1, 0.3],
        [1e-3, 1e-3 + 1e-9],
        [0, 1e30],
      ]) {
        const p = packingParams(min, max, bits, "float32");
        const h = packedMax(bits);
        expect(Math.fround(p.scaleFactor)).toBe(p.scaleFactor);
        expect(Math.fround(p.addOffset)).toBe(p.addOffset);
        expect(p.addOffset - h * p.scaleFactor).toBeLessThanOrEqual(min);
        expect(p.addOffset + h * p.scaleFactor).toBeGreaterThanOrEqual(max);
        // No wider than needed by more than the float32 rounding of the offset and scale.
        const exact = (max - min) / (2 * h);
        expect(p.scaleFactor).toBeLessThan(
          exact * (1 + 2 ** -20) + (2 ** -22 * Math.abs(p.addOffset)) / h,
        );
      }
    }
    expect(() => packingParams(3.4e38, 3.5e38, 8, "float32")).toThrow(/float32/);
  });
});

describe("roundHalfEven", () => {
  it("sends ties to the even integer, for both signs", () => {
    const cases: [number, number][] = [
      [0.5, 0],
      [1.5, 2],
      [2.5, 2],
      [3.5, 4],
      [-0.5, 0],
      [-1.5, -2],
      [-2.5, -2],
      [-3.5, -4],
      [2.4999999, 2],
      [2.5000001, 3],
      [-2.5000001, -3],
      [-2.4999999, -2],
      [7, 7],
      [-7, -7],
    ];
    for (const [x, expected] of cases) expect(roundHalfEven(x) === expected, `${x}`).toBe(true);
  });
});

describe("packValues / unpackValues", () => {
  it("NaN packs to the fill value and unpacks to NaN", () => {
    const p = packingParams(0, 1, 16);
    const { packed, belowMin, aboveMax } = packValues(
      new Float32Array([Number.NaN, 0.5, Number.NaN]),
      p,
    );
    expect(packed).toBeInstanceOf(Int16Array);
    expect(packed[0]).toBe(-32768);
    expect(packed[2]).toBe(-32768);
    expect(belowMin + aboveMax).toBe(0);
    const back = unpackValues(packed, p);
    expect(back).toBeInstanceOf(Float64Array);
    expect(Number.isNaN(back[0])).toBe(true);
    expect(back[1]).toBeCloseTo(0.5, 4);
    expect(Number.isNaN(back[2])).toBe(true);
  });

  it("clips values outside the range to its ends and counts them (±Infinity too)", () => {
    const p = packingParams(-10, 10, 8);
    const src = new Float64Array([
      -11,
      -10,
      10,
      10.0001,
      1e9,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      0,
    ]);
    const { packed, belowMin, aboveMax } = packValues(src, p);
    expect(Array.from(packed)).toEqual([-127, -127, 127, 127, 127, -127, 127, -128, 0]);
    expect(belowMin).toBe(2);
    expect(aboveMax).toBe(3);
  });

  it("clips to the packed value of the range's ends (float32 attributes cover a bit more)", () => {
    const p = packingParams(273.15, 310.4, 16, "float32");
    const { packed } = packValues(new Float64Array([273.15, 310.4, 100, 1000]), p);
    expect(packed[2]).toBe(packed[0]);
    expect(packed[3]).toBe(packed[1]);
  });

  it("never spills onto the fill value when the range is narrower than float64 resolves", () => {
    // ulp(1e8) ≈ 1.5e-8 is thousands of 32-bit steps of this range: float error is large.
    const p = packingParams(1e8, 1e8 + 1e-3, 32);
    const src = new Float64Array(1000).map((_, i) => 1e8 + (i / 999) * 1e-3);
    const { packed, belowMin, aboveMax } = packValues(src, p);
    expect(belowMin + aboveMax).toBe(0);
    for (const q of packed) {
      expect(q).toBeGreaterThanOrEqual(-2147483647);
      expect(q).toBeLessThanOrEqual(2147483647);
    }
    expect(Array.from(unpackValues(packed, p)).some(Number.isNaN)).toBe(false);
  });

  it("treats the source's missing values as NaN, not as data out of range", () => {
    const p = packingParams(200, 320, 16);
    const src = new Float32Array([1e20, 250, -999, Number.NaN]);
    const { packed, belowMin, aboveMax } = packValues(src, p, undefined, {
      missing: [1e20, -999], // as float64 attributes: compared as float32 for float32 data
    });
    expect(packed[0]).toBe(-32768);
    expect(packed[2]).toBe(-32768);
    expect(packed[3]).toBe(-32768);
    expect(belowMin + aboveMax).toBe(0);
    const unmasked = packValues(src, p);
    expect([unmasked.belowMin, unmasked.aboveMax]).toEqual([1, 1]);
  });

  it("rounds exact midpoints half to even, as numpy.around does", () => {
    // [-127, 127] in 8 bits: scale 1, offset 0, so (v - offset) / scale is v exactly.
    const p = packingParams(-127, 127, 8);
    expect([p.scaleFactor, p.addOffset]).toEqual([1, 0]);
    const { packed } = packValues(new Float64Array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5]), p);
    expect(Array.from(packed)).toEqual([0, 2, 2, 0, -2, -2, 126]);
  });

  it("writes into a given output array, and refuses a wrong one", () => {
    const p = packingParams(0, 1, 8);
    const out = new Int8Array(3);
    const r = packValues(new Float64Array([0, 0.5, 1]), p, out);
    expect(r.packed).toBe(out);
    expect(Array.from(out)).toEqual([-127, 0, 127]);
    expect(() => packValues(new Float64Array(3), p, new Int16Array(3))).toThrow(RangeError);
    expect(() => packValues(new Float64Array(3), p, new Int8Array(2))).toThrow(RangeError);

    const f32 = new Float32Array(3);
    expect(unpackValues(out, p, f32)).toBe(f32);
    expect(Array.from(f32)).toEqual([0, Math.fround(p.addOffset), 1]);
    expect(() => unpackValues(out, p, new Float64Array(4))).toThrow(RangeError);
  });

  it("unpacks as packed · scale + offset", () => {
    const p: PackingParams = {
      bits: 16,
      dtype: "int16",
      scaleFactor: 0.01,
      addOffset: 273.15,
      fillValue: -32768,
      min: 0,
      max: 1,
    };
    const back = unpackValues(new Int16Array([0, 100, -100, 32767, -32768]), p);
    expect(Array.from(back.subarray(0, 4))).toEqual([
      273.15,
      100 * 0.01 + 273.15,
      -100 * 0.01 + 273.15,
      32767 * 0.01 + 273.15,
    ]);
    expect(Number.isNaN(back[4])).toBe(true);
  });
});

describe("round trip within scale/2", () => {
  const ranges: [number, number][] = [
    [-40, 60],
    [273.15, 310.4],
    [-1e-6, 3e-6],
    [1e5, 1e5 + 3],
    [-5e8, -1e8],
  ];

  for (const bits of BITS) {
    for (const attrType of ["float64", "float32"] as const) {
      it(`${bits} bits, ${attrType} attributes: random data, ends and step midpoints`, () => {
        const next = seededRandom(bits * 1000 + (attrType === "float32" ? 1 : 0));
        for (const [min, max] of ranges) {
          const p = packingParams(min, max, bits, attrType);
          const h = packedMax(bits);
          const values: number[] = [min, max];
          for (let i = 0; i < 2000; i++) values.push(min + (max - min) * next());
          // Exact midpoints between steps: the worst case for rounding.
          for (let i = 0; i < 200; i++) {
            const k = Math.floor(next() * 2 * h) - h;
            const mid = p.addOffset + (k + 0.5) * p.scaleFactor;
            if (mid >= min && mid <= max) values.push(mid);
          }
          const src = new Float64Array(values);
          const { belowMin, aboveMax } = packValues(src, p);
          expect(belowMin + aboveMax).toBe(0);
          expect(maxError(src, p), `[${min}, ${max}]`).toBeLessThanOrEqual(tolerance(p));
        }
      });
    }
  }

  it("float32 source data round-trip too", () => {
    const next = seededRandom(7);
    const src = new Float32Array(5000).map(() => 200 + 120 * next());
    const range = dataRange(src);
    if (range === undefined) throw new Error("no range");
    for (const bits of BITS) {
      const p = packingParams(range.min, range.max, bits, "float32");
      expect(maxError(src, p)).toBeLessThanOrEqual(tolerance(p));
    }
  });

  it("a range from widenRange over the data packs the data without clipping", () => {
    const src = new Float64Array([3, 3, 3]);
    const r = widenRange(3, 3, 0.01);
    const p = packingParams(r.min, r.max, 8);
    const { belowMin, aboveMax } = packValues(src, p);
    expect(belowMin + aboveMax).toBe(0);
    expect(maxError(src, p)).toBeLessThanOrEqual(tolerance(p));
  });
});

describe("dataRange", () => {
  it("ignores NaN and infinities", () => {
    const src = new Float64Array([Number.NaN, 3, -2, Number.POSITIVE_INFINITY, 7, Number.NaN]);
    src[3] = Number.NEGATIVE_INFINITY;
    expect(dataRange(src)).toEqual({ min: -2, max: 7 });
    expect(dataRange(new Float32Array([Number.POSITIVE_INFINITY, 1]))).toEqual({ min: 1, max: 1 });
  });

  it("is undefined when there is no finite value", () => {
    expect(dataRange(new Float32Array([Number.NaN, Number.NaN]))).toBeUndefined();
    expect(dataRange(new Float64Array(0))).toBeUndefined();
    expect(dataRange(new Float64Array([Number.POSITIVE_INFINITY]))).toBeUndefined();
  });

  it("skips the source's missing values", () => {
    const src = new Float32Array([1e20, 5, 9, -999]);
    expect(dataRange(src)).toEqual({ min: -999, max: Math.fround(1e20) });
    expect(dataRange(src, { missing: [Math.fround(1e20), -999] })).toEqual({ min: 5, max: 9 });
    expect(dataRange(new Float64Array([-999]), { missing: [-999] })).toBeUndefined();
    // float64 data are compared exactly: the float32 rounding of 1e20 is another value.
    const f64 = new Float64Array([Math.fround(1e20), 5]);
    expect(dataRange(f64, { missing: [1e20] })).toEqual({ min: 5, max: Math.fround(1e20) });
  });
});

describe("widenRange", () => {
  it("widens by factor · (max - min) on each side", () => {
    const r = widenRange(10, 20, 0.05);
    expect(r.min).toBeCloseTo(9.5, 12);
    expect(r.max).toBeCloseTo(20.5, 12);
    expect(widenRange(10, 20, 0)).toEqual({ min: 10, max: 20 });
  });

  it("widens a single value by factor · |min|, or 1 when that is 0", () => {
    const r = widenRange(-3, -3, 0.1);
    expect(r.min).toBeCloseTo(-3.3, 12);
    expect(r.max).toBeCloseTo(-2.7, 12);
    expect(widenRange(0, 0, 0.1)).toEqual({ min: -1, max: 1 });
    expect(widenRange(5, 5, 0)).toEqual({ min: 4, max: 6 });
    // A pad too small to move min falls back: 1, then |min|.
    expect(widenRange(1, 1, 1e-20)).toEqual({ min: 0, max: 2 });
    expect(widenRange(1e20, 1e20, 0)).toEqual({ min: 0, max: 2e20 });
    for (const [v, f] of [
      [0, 0],
      [1e-300, 0.01],
      [-7, 1e-30],
    ]) {
      const w = widenRange(v, v, f);
      expect(packingParams(w.min, w.max, 16).scaleFactor).toBeGreaterThan(0);
    }
  });

  it("refuses a negative factor and a bad range", () => {
    expect(() => widenRange(0, 1, -0.1)).toThrow(ConfigError);
    expect(() => widenRange(0, 1, Number.NaN)).toThrow(ConfigError);
    expect(() => widenRange(2, 1, 0.1)).toThrow(ConfigError);
    expect(() => widenRange(0, Number.POSITIVE_INFINITY, 0.1)).toThrow(ConfigError);
  });
});

describe("rangeFromAttributes", () => {
  const as = (v: unknown) => v as Attrs[string];

  it("reads valid_min / valid_max as numbers, 1-element arrays, bigints and typed arrays", () => {
    expect(rangeFromAttributes({ valid_min: -5, valid_max: 5 })).toEqual({ min: -5, max: 5 });
    expect(rangeFromAttributes({ valid_min: [-5], valid_max: [5.5] })).toEqual({
      min: -5,
      max: 5.5,
    });
    expect(rangeFromAttributes({ valid_min: 0n, valid_max: [100n] })).toEqual({ min: 0, max: 100 });
    expect(
      rangeFromAttributes({
        valid_min: as(new Float32Array([0.5])),
        valid_max: as(new Int16Array([300])),
      }),
    ).toEqual({ min: 0.5, max: 300 });
  });

  it("reads valid_range as number[], bigint[] and typed arrays", () => {
    expect(rangeFromAttributes({ valid_range: [-1, 1] })).toEqual({ min: -1, max: 1 });
    expect(rangeFromAttributes({ valid_range: [-1n, 1n] })).toEqual({ min: -1, max: 1 });
    expect(rangeFromAttributes({ valid_range: as(new Float32Array([0.25, 1.5])) })).toEqual({
      min: 0.25,
      max: 1.5,
    });
    expect(rangeFromAttributes({ valid_range: as(new Float64Array([-90, 90])) })).toEqual({
      min: -90,
      max: 90,
    });
    expect(rangeFromAttributes({ valid_range: as(new Int8Array([-100, 100])) })).toEqual({
      min: -100,
      max: 100,
    });
    expect(rangeFromAttributes({ valid_range: as(new BigInt64Array([0n, 9n])) })).toEqual({
      min: 0,
      max: 9,
    });
  });

  it("prefers a complete valid_min/valid_max over valid_range, else falls back to it", () => {
    expect(rangeFromAttributes({ valid_min: 0, valid_max: 1, valid_range: [5, 6] })).toEqual({
      min: 0,
      max: 1,
    });
    expect(rangeFromAttributes({ valid_min: 0, valid_range: [5, 6] })).toEqual({ min: 5, max: 6 });
  });

  it("is undefined when absent, incomplete, non-numeric or not finite", () => {
    expect(rangeFromAttributes({})).toBeUndefined();
    expect(rangeFromAttributes({ valid_min: 0 })).toBeUndefined();
    expect(rangeFromAttributes({ valid_max: 0 })).toBeUndefined();
    expect(rangeFromAttributes({ valid_range: [1] })).toBeUndefined();
    expect(rangeFromAttributes({ valid_range: [1, 2, 3] })).toBeUndefined();
    expect(rangeFromAttributes({ valid_range: "0 10" })).toBeUndefined();
    expect(rangeFromAttributes({ valid_min: "0", valid_max: "1" })).toBeUndefined();
    expect(rangeFromAttributes({ valid_min: [0, 1], valid_max: 2 })).toBeUndefined();
    expect(rangeFromAttributes({ valid_min: 0, valid_max: Number.NaN })).toBeUndefined();
    expect(rangeFromAttributes({ valid_range: [0, Number.POSITIVE_INFINITY] })).toBeUndefined();
    expect(rangeFromAttributes({ units: "K", scale_factor: 2 })).toBeUndefined();
  });

  it("returns a single-valued range as is", () => {
    expect(rangeFromAttributes({ valid_range: [3, 3] })).toEqual({ min: 3, max: 3 });
  });

  it("min above max is a ConfigError naming the attribute and variable", () => {
    expect(() => rangeFromAttributes({ valid_min: 5, valid_max: 1 }, "sst")).toThrow(ConfigError);
    expect(() => rangeFromAttributes({ valid_min: 5, valid_max: 1 }, "sst")).toThrow(
      /valid_min\/valid_max of 'sst' is \[5, 1\]/,
    );
    expect(() => rangeFromAttributes({ valid_range: as(new Float32Array([2, 1])) })).toThrow(
      /valid_range is \[2, 1\]/,
    );
  });
});

describe("reference: numpy encodes and decodes as we do", () => {
  it("packs to the integers numpy.around gives and decodes to numpy's float64 values", () => {
    const next = seededRandom(42);
    const cases = [
      { min: -40, max: 60, bits: 8 as PackBits, attrType: "float64" as const },
      { min: 273.15, max: 310.4, bits: 16 as PackBits, attrType: "float32" as const },
      { min: -1e-3, max: 2.5e-3, bits: 32 as PackBits, attrType: "float64" as const },
      // scale 1, offset 0: exact ties, where numpy rounds half to even.
      { min: -(2 ** 31 - 1), max: 2 ** 31 - 1, bits: 32 as PackBits, attrType: "float64" as const },
    ].map(({ min, max, bits, attrType }) => {
      const p = packingParams(min, max, bits, attrType);
      const values = [min, max, (min + max) / 2];
      for (let i = 0; i < 40; i++) values.push(min + (max - min) * next());
      if (p.scaleFactor === 1) values.push(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1e6 + 0.5);
      const { packed } = packValues(new Float64Array([...values, Number.NaN]), p);
      return { p, values, packed, decoded: unpackValues(packed, p) };
    });
    const input = cases.map(({ p, values, packed }) => ({
      scale: p.scaleFactor,
      offset: p.addOffset,
      fill: p.fillValue,
      dtype: p.dtype,
      values,
      packed: Array.from(packed),
    }));
    const script = `
import json, sys
import numpy as np
out = []
for c in json.load(sys.stdin):
    packed = np.array(c["packed"], dtype=c["dtype"])
    # xarray's CF decoding: mask _FillValue, then packed * scale + offset in float64.
    decoded = packed.astype("f8") * c["scale"] + c["offset"]
    decoded[packed == c["fill"]] = np.nan
    # xarray's CF encoding: (v - offset) / scale, numpy.around, cast.
    encoded = np.around((np.array(c["values"], "f8") - c["offset"]) / c["scale"]).astype(c["dtype"])
    out.append({"decoded": [None if np.isnan(v) else float(v) for v in decoded],
                "encoded": encoded.tolist()})
print(json.dumps(out))
`;
    const result = JSON.parse(
      execFileSync(python, ["-c", script], { input: JSON.stringify(input), encoding: "utf8" }),
    ) as { decoded: (number | null)[]; encoded: number[] }[];
    expect(result).toHaveLength(cases.length);
    cases.forEach(({ packed, decoded, values }, i) => {
      expect(Array.from(packed.subarray(0, values.length))).toEqual(result[i].encoded);
      expect(Array.from(decoded, (v) => (Number.isNaN(v) ? null : v))).toEqual(result[i].decoded);
    });
  });
});
