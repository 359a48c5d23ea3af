/**
 * Compression settings: the user-facing string/config forms and the one normalised shape the rest
 * of the Zarr side consumes.
 *
 * Public API
 *   parseCompression(input: string | CompressionConfig): CompressionSpec
 *   formatCompression(spec: CompressionSpec): string      // canonical string, round-trips
 *   COMPRESSION_FORMS: string                              // the help text listing valid forms
 *   CompressionError (a ConfigError): `reason` is the bad part alone, so the config schema can
 *                     report it under the option's own name and source
 *
 * String forms (case-insensitive, surrounding whitespace ignored):
 *   none
 *   gzip[:level]      level 0-9, default 5
 *   zlib[:level]      level 0-9, default 5
 *   zstd[:level]      level 1-22, default 3
 *   lz4               (no level: the native codec exposes none)
 *   blosc[:cname[:clevel[:shuffle]]]
 *                     cname zstd|lz4|lz4hc|zlib|blosclz (default zstd), clevel 0-9 (default 3),
 *                     shuffle noshuffle|shuffle|bitshuffle (default shuffle, i.e. byte shuffle)
 *
 * Config form: `{ method, clevel?, shuffle?, cname? }`. `method` is either a bare method name or a
 * full string as above ("blosc:zstd:2"); the other fields fill in what the string left out. A field
 * that contradicts the string (method "blosc:zstd:2" with clevel 5) is a ConfigError rather than a
 * silent override, because either reading would surprise someone.
 */
import { ConfigError } from "../errors.js";

export type BloscCname = "zstd" | "lz4" | "lz4hc" | "zlib" | "blosclz";
export type BloscShuffle = "noshuffle" | "shuffle" | "bitshuffle";

export type CompressionSpec =
  | { method: "none" }
  | { method: "gzip"; level: number }
  | { method: "zlib"; level: number }
  | { method: "zstd"; level: number }
  | { method: "lz4" }
  | {
      method: "blosc";
      cname: BloscCname;
      clevel: number;
      shuffle: BloscShuffle;
      /** Bytes per blosc block; 0 lets the encoder choose as c-blosc does. */
      blocksize: number;
    };

export interface CompressionConfig {
  method: string;
  clevel?: number;
  shuffle?: string;
  cname?: string;
}

export const BLOSC_CNAMES: readonly BloscCname[] = ["zstd", "lz4", "lz4hc", "zlib", "blosclz"];
export const BLOSC_SHUFFLES: readonly BloscShuffle[] = ["noshuffle", "shuffle", "bitshuffle"];

export const COMPRESSION_FORMS =
  "none, gzip[:level 0-9], zlib[:level 0-9], zstd[:level 1-22], lz4, " +
  "blosc[:cname[:clevel 0-9[:shuffle]]] with cname zstd|lz4|lz4hc|zlib|blosclz and shuffle " +
  "noshuffle|shuffle|bitshuffle (e.g. blosc:zstd:3)";

export const COMPRESSION_METHODS = ["none", "gzip", "zlib", "zstd", "lz4", "blosc"] as const;

/**
 * Why a compression setting is invalid. The message names the input; `reason` is the bad part
 * with the valid choices for it, which is what a caller that names the input itself reports.
 */
export class CompressionError extends ConfigError {
  readonly reason: string;
  constructor(reason: string, input: string) {
    super(`Invalid compression ${JSON.stringify(input)}: ${reason}.`, {
      hint: `Valid forms: ${COMPRESSION_FORMS}.`,
    });
    this.reason = reason;
  }
}

const DEFAULT_LEVEL = { gzip: 5, zlib: 5, zstd: 3 } as const;
const LEVEL_RANGE = { gzip: [0, 9], zlib: [0, 9], zstd: [1, 22], blosc: [0, 9] } as const;
const DEFAULT_BLOSC = { cname: "zstd", clevel: 3, shuffle: "shuffle" } as const;

/** What the string spelled out explicitly, so the config object can fill in only the rest. */
interface Parsed {
  spec: CompressionSpec;
  explicitLevel: boolean;
  explicitCname: boolean;
  explicitShuffle: boolean;
}

function fail(what: string, input: string): never {
  throw new CompressionError(what, input);
}

function parseLevel(text: string, method: keyof typeof LEVEL_RANGE, input: string): number {
  if (!/^-?\d+$/.test(text)) fail(`level ${JSON.stringify(text)} is not an integer`, input);
  const n = Number(text);
  checkLevel(n, method, input);
  return n;
}

function checkLevel(n: number, method: keyof typeof LEVEL_RANGE, input: string): void {
  const [lo, hi] = LEVEL_RANGE[method];
  if (!Number.isInteger(n) || n < lo || n > hi) {
    fail(`${method} level must be an integer from ${lo} to ${hi}, got ${n}`, input);
  }
}

function parseCname(text: string, input: string): BloscCname {
  if ((BLOSC_CNAMES as readonly string[]).includes(text)) return text as BloscCname;
  if (text === "snappy") {
    fail("blosc cname snappy is not supported (no snappy encoder here)", input);
  }
  return fail(
    `unknown blosc cname ${JSON.stringify(text)} (valid: ${BLOSC_CNAMES.join(", ")})`,
    input,
  );
}

function parseShuffle(text: string, input: string): BloscShuffle {
  if ((BLOSC_SHUFFLES as readonly string[]).includes(text)) return text as BloscShuffle;
  return fail(
    `unknown shuffle ${JSON.stringify(text)} (valid: ${BLOSC_SHUFFLES.join(", ")})`,
    input,
  );
}

function parseString(raw: string): Parsed {
  const input = raw.trim().toLowerCase();
  if (input === "") fail("empty string", raw);
  const parts = input.split(":");
  const method = parts[0];
  const args = parts.slice(1);
  const noArgs = (): void => {
    if (args.length > 0) fail(`${method} takes no parameters`, raw);
  };
  const plain = (): Parsed => ({
    spec: { method: "none" },
    explicitLevel: false,
    explicitCname: false,
    explicitShuffle: false,
  });
  switch (method) {
    case "none":
      noArgs();
      return plain();
    case "lz4":
      noArgs();
      return { ...plain(), spec: { method: "lz4" } };
    case "gzip":
    case "zlib":
    case "zstd": {
      if (args.length > 1) fail(`${method} takes at most one parameter (the level)`, raw);
      const level = args.length === 1 ? parseLevel(args[0], method, raw) : DEFAULT_LEVEL[method];
      return { ...plain(), spec: { method, level }, explicitLevel: args.length === 1 };
    }
    case "blosc": {
      if (args.length > 3)
        fail("blosc takes at most three parameters (cname, clevel, shuffle)", raw);
      if (args.some((a) => a === "")) fail("empty parameter", raw);
      const cname = args.length >= 1 ? parseCname(args[0], raw) : DEFAULT_BLOSC.cname;
      const clevel = args.length >= 2 ? parseLevel(args[1], "blosc", raw) : DEFAULT_BLOSC.clevel;
      const shuffle = args.length >= 3 ? parseShuffle(args[2], raw) : DEFAULT_BLOSC.shuffle;
      return {
        spec: { method: "blosc", cname, clevel, shuffle, blocksize: 0 },
        explicitCname: args.length >= 1,
        explicitLevel: args.length >= 2,
        explicitShuffle: args.length >= 3,
      };
    }
    default:
      return fail(
        `unknown method ${JSON.stringify(method)} (valid: ${COMPRESSION_METHODS.join(", ")})`,
        raw,
      );
  }
}

function applyConfig(config: CompressionConfig): CompressionSpec {
  const where = `{method: ${JSON.stringify(config.method)}}`;
  if (typeof config.method !== "string") fail("method must be a string", String(config.method));
  const parsed = parseString(config.method);
  const spec = parsed.spec;
  const { clevel, shuffle, cname } = config;
  const conflict = (field: string, given: unknown, inString: unknown): never =>
    fail(
      `${field} ${JSON.stringify(given)} contradicts ${JSON.stringify(inString)} in the method string ${where}`,
      config.method,
    );

  if (spec.method === "blosc") {
    if (cname !== undefined) {
      const c = parseCname(String(cname).toLowerCase(), config.method);
      if (parsed.explicitCname && c !== spec.cname) conflict("cname", cname, spec.cname);
      spec.cname = c;
    }
    if (clevel !== undefined) {
      checkLevel(clevel, "blosc", config.method);
      if (parsed.explicitLevel && clevel !== spec.clevel) conflict("clevel", clevel, spec.clevel);
      spec.clevel = clevel;
    }
    if (shuffle !== undefined) {
      const s = parseShuffle(String(shuffle).toLowerCase(), config.method);
      if (parsed.explicitShuffle && s !== spec.shuffle) conflict("shuffle", shuffle, spec.shuffle);
      spec.shuffle = s;
    }
    return spec;
  }

  if (cname !== undefined) {
    fail(
      `cname applies only to blosc (e.g. "blosc:${cname}"), not to ${spec.method}`,
      config.method,
    );
  }
  if (shuffle !== undefined && String(shuffle).toLowerCase() !== "noshuffle") {
    fail(
      `shuffle applies only to blosc (e.g. "blosc:zstd:3:${shuffle}"), not to ${spec.method}`,
      config.method,
    );
  }
  if (clevel !== undefined) {
    if (spec.method === "none" || spec.method === "lz4") {
      fail(`${spec.method} takes no level, got clevel ${clevel}`, config.method);
    }
    checkLevel(clevel, spec.method, config.method);
    if (parsed.explicitLevel && clevel !== spec.level) conflict("clevel", clevel, spec.level);
    spec.level = clevel;
  }
  return spec;
}

export function parseCompression(input: string | CompressionConfig): CompressionSpec {
  if (typeof input === "string") return parseString(input).spec;
  if (input === null || typeof input !== "object") {
    throw new CompressionError("expected a string or an object", String(input));
  }
  return applyConfig(input);
}

export function formatCompression(spec: CompressionSpec): string {
  switch (spec.method) {
    case "none":
    case "lz4":
      return spec.method;
    case "gzip":
    case "zlib":
    case "zstd":
      return `${spec.method}:${spec.level}`;
    case "blosc":
      return `blosc:${spec.cname}:${spec.clevel}:${spec.shuffle}`;
  }
}
