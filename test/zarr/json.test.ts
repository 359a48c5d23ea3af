import { describe, expect, it } from "vitest";
import { decodeAttrs, encodeAttrs, parseJson, stringifyJson } from "../../src/zarr/json.js";

describe("JSON with exact big integers", () => {
  it("writes bigint as exact integer literals and reads them back as bigint", () => {
    const text = stringifyJson({
      a: 18446744073709551614n,
      b: -9223372036854775806n,
      c: 5n,
      d: [1, 2.5],
    });
    expect(text).toContain("18446744073709551614");
    expect(text).toContain("-9223372036854775806");
    expect(parseJson(text)).toEqual({
      a: 18446744073709551614n,
      b: -9223372036854775806n,
      c: 5,
      d: [1, 2.5],
    }); // small ints come back as numbers
    expect(parseJson("9007199254740991")).toBe(9007199254740991);
    expect(parseJson("9007199254740993")).toBe(9007199254740993n);
    expect(parseJson("1e300")).toBe(1e300);
  });

  it("writes pure ASCII and parses what JSON.parse parses", () => {
    const value = {
      ké: ["ü", "😀", 'quote " and \\ backslash', "\n\t"],
      nested: { x: null, y: true, z: false },
    };
    const text = stringifyJson(value, 4);
    expect([...text].every((ch) => ch.charCodeAt(0) < 0x80)).toBe(true);
    expect(JSON.parse(text)).toEqual(value);
    expect(parseJson(text)).toEqual(value);
    expect(parseJson(stringifyJson(value, 0))).toEqual(value);
  });

  it("rejects malformed JSON and refuses to write untyped non-finite numbers", () => {
    // Bare NaN/Infinity are read (zarr-python 2 writes them); see typed-attrs.test.ts.
    for (const bad of ["{", "[1,]", "{'a': 1}", "nan", "1 2", '"unterminated', '{"a" 1}']) {
      expect(() => parseJson(bad), bad).toThrow(SyntaxError);
    }
    expect(() => stringifyJson(Number.NaN)).toThrow(TypeError);
  });

  it("encodes attributes strictly and decodes them back to the model's types", () => {
    const json = encodeAttrs({
      n: Number.NaN,
      inf: [Number.NEGATIVE_INFINITY, 1],
      safe: 7n,
      big: 2n ** 64n - 1n,
      ta: new Float32Array([1.5, 2]),
      tb: new BigInt64Array([1n, -(2n ** 63n)]),
      s: "x",
      list: ["a", "b"],
    });
    expect(json).toEqual({
      n: "NaN",
      inf: ["-Infinity", 1],
      safe: 7,
      big: 2n ** 64n - 1n,
      ta: [1.5, 2],
      tb: [1, -(2n ** 63n)],
      s: "x",
      list: ["a", "b"],
    });
    const back = decodeAttrs(parseJson(stringifyJson(json)) as never);
    expect(back.big).toBe(2n ** 64n - 1n);
    expect(back.tb).toEqual([1n, -(2n ** 63n)]);
    expect(back.list).toEqual(["a", "b"]);
    expect(decodeAttrs({ flag: true, obj: { a: 1 } })).toEqual({ flag: 1, obj: '{"a":1}' });
  });
});
