/**
 * JSON for Zarr metadata, with exact 64-bit integers.
 *
 *   stringifyJson(value, indent?): string     bigint values are written as exact integer literals
 *   parseJson(text): Json                      integer literals beyond 2^53 come back as bigint
 *   encodeAttrs(attrs): JsonObject             our attribute model -> strict JSON
 *   decodeAttrs(json): Attrs                   and back
 *
 * Why not JSON.stringify/JSON.parse: NetCDF int64/uint64 fill values (e.g. uint64's default
 * 18446744073709551614) and attributes must survive exactly; Python's json reads big integer
 * literals exactly, so writing them as numbers (not strings) keeps xarray's view identical to the
 * source. Output is pure ASCII (non-ASCII escaped as \\uXXXX) because zarr 2.13 decodes metadata
 * documents as ASCII. Non-finite floats are not JSON: with `bareNonFinite` (every Zarr attribute
 * document zarrify writes) they are the bare tokens NaN/Infinity that Python's json writes and
 * reads as floats, as zarr-python 2 and 3 do; otherwise the strings "NaN", "Infinity", "-Infinity"
 * (zarr's own convention for fill_value). Strict JSON readers (JSON.parse, so zarrita.js) cannot
 * parse the bare tokens: docs/formats.md says so.
 */
import type { Attrs, AttrValue, DType } from "../dataset/types.js";

export type Json = null | boolean | number | bigint | string | JsonText | Json[] | JsonObject;

/** Pre-serialised JSON, written verbatim: typed floats, and documents embedded when consolidating. */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * A number that must read back as a float in Python: NetCDF float attributes with integral values
 * (`valid_max = 100.0f`) would otherwise come back as int 100 and xarray would see another type.
 * With `bareNonFinite`, NaN/Infinity are the bare tokens Python's json and zarr-python 2 write
 * (Zarr v2 attributes); otherwise the strings "NaN"/"Infinity" (strict JSON, Zarr v3).
 */
export function jsonFloat(v: number, bareNonFinite: boolean): JsonText {
  if (Number.isFinite(v)) {
    // JSON.stringify(-0) is "0": the sign of a float -0.0 would be lost.
    const text = Object.is(v, -0) ? "-0" : JSON.stringify(v);
    return new JsonText(/[.eE]/.test(text) ? text : `${text}.0`);
  }
  const token = Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  return new JsonText(bareNonFinite ? token : JSON.stringify(token));
}

export interface JsonObject {
  [key: string]: Json;
}

/** JSON string literal with every non-ASCII character escaped (zarr 2 decodes metadata as ASCII). */
function asciiString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export function stringifyJson(value: Json, indent = 2): string {
  const pad = (depth: number): string => (indent > 0 ? `\n${" ".repeat(indent * depth)}` : "");
  const sep = indent > 0 ? ": " : ":";
  const walk = (v: Json, depth: number): string => {
    if (v === null) return "null";
    if (v instanceof JsonText) return v.text;
    switch (typeof v) {
      case "boolean":
        return v ? "true" : "false";
      case "bigint":
        return v.toString();
      case "number":
        if (!Number.isFinite(v)) throw new TypeError(`cannot write ${v} as JSON`);
        return JSON.stringify(v);
      case "string":
        return asciiString(v);
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      // Arrays of scalars stay on one line: shapes and attribute vectors read better that way.
      if (v.every((x) => x === null || typeof x !== "object" || x instanceof JsonText)) {
        return `[${v.map((x) => walk(x, depth + 1)).join(indent > 0 ? ", " : ",")}]`;
      }
      return `[${v.map((x) => pad(depth + 1) + walk(x, depth + 1)).join(",")}${pad(depth)}]`;
    }
    const keys = Object.keys(v);
    if (keys.length === 0) return "{}";
    const body = keys.map(
      (k) => `${pad(depth + 1)}${asciiString(k)}${sep}${walk(v[k] as Json, depth + 1)}`,
    );
    return `{${body.join(",")}${pad(depth)}}`;
  };
  return walk(value, 0);
}

const NON_FINITE_TOKENS: Array<[string, number]> = [
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
];

/** A small strict JSON parser; the only difference from JSON.parse is exact big integers. */
export function parseJson(text: string): Json {
  let i = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(`invalid JSON at offset ${i}: ${why}`);
  };
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const value = (): Json => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: JsonObject = {};
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const key = str();
        ws();
        if (text[i++] !== ":") fail("expected ':'");
        obj[key] = value();
        ws();
        const d = text[i++];
        if (d === "}") return obj;
        if (d !== ",") fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: Json[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        const d = text[i++];
        if (d === "]") return arr;
        if (d !== ",") fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    // Not strict JSON, but what Python's json and zarr-python 2 write for non-finite floats.
    for (const [token, n] of NON_FINITE_TOKENS) {
      if (text.startsWith(token, i)) {
        i += token.length;
        return n;
      }
    }
    return num();
  };
  const str = (): string => {
    const start = i;
    i++;
    let escaped = false;
    while (i < text.length) {
      const ch = text[i];
      if (ch === "\\") {
        escaped = true;
        i += 2;
        continue;
      }
      if (ch === '"') {
        i++;
        const raw = text.slice(start, i);
        return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      }
      i++;
    }
    return fail("unterminated string");
  };
  const num = (): number | bigint => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail("unexpected character");
    i += m[0].length;
    const n = Number(m[0]);
    if (m[2] === undefined && m[3] === undefined && !Number.isSafeInteger(n)) return BigInt(m[0]);
    return n;
  };
  const result = value();
  ws();
  if (i !== text.length) fail("trailing characters");
  return result;
}

function encodeScalar(v: unknown, bare = false): Json {
  if (typeof v === "number") {
    if (Number.isFinite(v)) return v;
    if (bare) return jsonFloat(v, true);
    return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  }
  if (typeof v === "bigint") {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (typeof v === "string" || typeof v === "boolean" || v === null) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => encodeScalar(x, bare));
  }
  if (Array.isArray(v)) return v.map((x) => encodeScalar(x, bare));
  if (v === undefined) return null;
  if (typeof v === "object") {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out[k] = encodeScalar(x, bare);
    }
    return out;
  }
  throw new TypeError(`cannot encode attribute value of type ${typeof v}`);
}

/** Attributes as JSON. Accepts typed arrays too (readers may hand those over). */
export function encodeAttrs(
  attrs: Attrs | Record<string, unknown>,
  options: { attrTypes?: Record<string, DType>; bareNonFinite?: boolean } = {},
): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(attrs)) {
    const type = options.attrTypes?.[k];
    out[k] =
      type === "float32" || type === "float64"
        ? encodeFloats(v, options.bareNonFinite ?? false)
        : encodeScalar(v, options.bareNonFinite ?? false);
  }
  return out;
}

function encodeFloats(v: unknown, bare: boolean): Json {
  if (typeof v === "number") return jsonFloat(v, bare);
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    return Array.from(v as ArrayLike<unknown>, (x) => encodeFloats(x, bare));
  }
  return encodeScalar(v, bare);
}

function decodeValue(v: Json): AttrValue {
  if (v === null) return "";
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "string") return v;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === "string")) return v as string[];
    if (v.every((x) => typeof x === "bigint")) return v as bigint[];
    if (v.every((x) => typeof x === "number" || typeof x === "bigint")) {
      // Mixed: a vector with some >2^53 entries. Keep them all exact.
      const exact = v.every((x) => typeof x === "bigint" || Number.isInteger(x));
      return exact ? (v as (number | bigint)[]).map((x) => BigInt(x)) : v.map((x) => Number(x));
    }
    return stringifyJson(v, 0);
  }
  return stringifyJson(v, 0);
}

export function decodeAttrs(json: JsonObject): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(json)) out[k] = decodeValue(v);
  return out;
}
