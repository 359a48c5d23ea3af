/**
 * Where configuration comes from besides the command line: YAML/JSON config files and ZARRIFY_*
 * environment variables. Each returns one validated layer for resolveConfig (CLI > env > file >
 * defaults), with errors that name the file and line, or the variable.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { describeOsError, isOsError } from "../os-error.js";
import { closest } from "../suggest.js";
import { unwrapSchema } from "./fields.js";
import { toCamelCase, toSnakeCase } from "./normalize.js";
import { PACKING_KEYS, PACKING_SHAPE } from "./packing.js";
import { CONFIG_KEYS, CONFIG_SHAPE, type ConfigInput, validateConfigInput } from "./schema.js";
import type { ConfigPath, ConfigSource } from "./source.js";

export { type ConfigInput, resolveConfig, type ZarrifyConfig } from "./schema.js";

// ---------------------------------------------------------------------------------------------
// Config files

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The line of the value at `path` (or of its key, for a nested block) and the keys as the file
 * spells them, matching each canonical key to a key in any spelling.
 */
function locate(
  doc: Document,
  counter: LineCounter,
  path: ConfigPath,
): { line?: number; written: ConfigPath } {
  let node: unknown = doc.contents;
  let line: number | undefined;
  const written: ConfigPath = [];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) =>
          isScalar(p.key) &&
          (String(p.key.value) === String(seg) || toCamelCase(String(p.key.value)) === seg),
      );
      if (!pair) break;
      written.push(String((pair.key as { value: unknown }).value));
      const keyRange = (pair.key as Node).range;
      if (keyRange) line = counter.linePos(keyRange[0]).line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number" && node.items[seg] !== undefined) {
      written.push(seg);
      node = node.items[seg];
      const range = (node as Node).range;
      if (range) line = counter.linePos(range[0]).line;
    } else {
      break;
    }
  }
  if (written.length === path.length && isScalar(node) && node.range) {
    line = counter.linePos(node.range[0]).line;
  }
  return { line, written: [...written, ...path.slice(written.length)] };
}

function formatOf(name: string, text: string): "json" | "yaml" {
  const ext = extname(name).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

/**
 * Parse config text (YAML or JSON; by `name`'s extension, else by content) into a validated layer.
 * `name` is used in error messages ("era5.yaml:12: ...").
 */
export function parseConfigText(text: string, name: string, format?: "json" | "yaml"): ConfigInput {
  const fmt = format ?? formatOf(name, text);
  const counter = new LineCounter();
  let data: unknown;
  let doc: Document;
  if (fmt === "json") {
    try {
      data = JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      const position = /position (\d+)/.exec(message);
      const at = position ? `:${lineOf(text, Number(position[1]))}` : "";
      throw new ConfigError(
        `${name}${at}: not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, "")}`,
        { hint: `fix the JSON there: one object of "option": value pairs` },
      );
    }
    // JSON is YAML; the document only serves to find lines for later errors.
    doc = parseDocument(text, { lineCounter: counter });
  } else {
    doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
    const error = doc.errors[0];
    if (error !== undefined) {
      const line = error.linePos?.[0]?.line;
      const message = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      throw new ConfigError(
        `${name}${line === undefined ? "" : `:${line}`}: not valid YAML: ${message}`,
        { hint: "fix the YAML there: one option per line as name: value, lists in [ ]" },
      );
    }
    data = doc.toJS();
  }
  const source: ConfigSource = {
    name,
    line: (path) => locate(doc, counter, path).line,
    label: (path) => `'${locate(doc, counter, path).written.join(".")}'`,
  };
  return validateConfigInput(data ?? {}, source);
}

/** Read a YAML or JSON config file (snake_case or camelCase keys) into a validated layer. */
export async function loadConfigFile(path: string): Promise<ConfigInput> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let why = `cannot be read (${(err as Error).message})`;
    let hint: string | undefined;
    if (code === "ENOENT") [why, hint] = ["does not exist", "check the path of the config file"];
    else if (code === "EISDIR") [why, hint] = ["is a directory", "give a YAML or JSON file"];
    else if (isOsError(err)) {
      const os = describeOsError(err, { reading: true });
      [why, hint] = [`cannot be read (${os.message})`, os.hint];
    }
    throw new ConfigError(`config file ${path} ${why}`, { cause: err, hint });
  }
  return parseConfigText(text, path);
}

// ---------------------------------------------------------------------------------------------
// Environment

const ENV_PREFIX = "ZARRIFY_";

type EnvKind = "number" | "boolean" | "json" | "string" | "stringOrJson" | "booleanOrJson";

function kindOf(schema: z.ZodTypeAny): EnvKind {
  const t = unwrapSchema(schema);
  if (t instanceof z.ZodNumber) return "number";
  if (t instanceof z.ZodBoolean) return "boolean";
  if (t instanceof z.ZodUnion) {
    const options = (t.options as z.ZodTypeAny[]).map(unwrapSchema);
    if (options.every((o) => o instanceof z.ZodLiteral && typeof o.value === "number"))
      return "number";
    if (options.some((o) => o instanceof z.ZodObject)) return "stringOrJson";
    return "string";
  }
  // "time:10,lat:5" strings are parsed by the schema's normalisation, like "a,b" lists.
  if (t instanceof z.ZodRecord)
    return unwrapSchema(t.valueSchema) instanceof z.ZodNumber ? "string" : "json";
  if (t instanceof z.ZodObject) return "json";
  return "string";
}

interface EnvTarget {
  path: [string] | [string, string];
  kind: EnvKind;
}

const ENV_TARGETS = new Map<string, EnvTarget>();
for (const key of CONFIG_KEYS) {
  const kind = key === "packing" ? "booleanOrJson" : kindOf(CONFIG_SHAPE[key] as z.ZodTypeAny);
  ENV_TARGETS.set(toSnakeCase(key).toUpperCase(), { path: [key], kind });
}
for (const key of PACKING_KEYS) {
  ENV_TARGETS.set(`PACKING_${toSnakeCase(key).toUpperCase()}`, {
    path: ["packing", key],
    kind: kindOf(PACKING_SHAPE[key] as z.ZodTypeAny),
  });
}

/** Every ZARRIFY_* variable configFromEnv reads. */
export const ENV_VARS: readonly string[] = [...ENV_TARGETS.keys()].map((k) => ENV_PREFIX + k);

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

function coerce(kind: EnvKind, raw: string, name: string): unknown {
  const value = raw.trim();
  const bad = (expected: string): never => {
    throw new ConfigError(`environment: ${name} must be ${expected}, not '${raw}'`, {
      hint: `set ${name} to ${expected}, or unset it`,
    });
  };
  const json = (): unknown => {
    try {
      return JSON.parse(value);
    } catch (err) {
      throw new ConfigError(`environment: ${name} is not valid JSON: ${(err as Error).message}`, {
        hint: `e.g. ${name}='{"key": "value"}'`,
      });
    }
  };
  switch (kind) {
    case "number":
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value)) bad("a number");
      return Number(value);
    case "boolean":
    case "booleanOrJson": {
      const lower = value.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      if (kind === "booleanOrJson" && value.startsWith("{")) return json();
      return bad(
        kind === "boolean"
          ? "true or false (or 1/0, yes/no, on/off)"
          : "true, false or a JSON object",
      );
    }
    case "json":
      return json();
    case "stringOrJson":
      return value.startsWith("{") ? json() : value;
    default:
      return value;
  }
}

/**
 * The configuration layer set by ZARRIFY_* variables: the option name in upper snake case
 * (ZARRIFY_TARGET_CHUNK_SIZE_MB=25, ZARRIFY_ZARR_FORMAT=2, ZARRIFY_CHUNKING="time:10,lat:5",
 * ZARRIFY_COMPRESSION=zstd:3, ZARRIFY_PACKING=true, ZARRIFY_PACKING_BITS=8, ZARRIFY_ATTRS='{...}',
 * ZARRIFY_VARIABLES=a,b). Values are coerced to the option's type; empty values count as unset.
 * A ZARRIFY_* name that is a near miss of a real one is an error; other ZARRIFY_* names are left
 * to whoever uses them.
 */
export function configFromEnv(env: Record<string, string | undefined>): ConfigInput {
  const raw: Record<string, unknown> = {};
  const setBy = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined || value.trim() === "") continue;
    const key = name.slice(ENV_PREFIX.length);
    const target = ENV_TARGETS.get(key);
    if (target === undefined) {
      const guess = key.length >= 4 ? closest(key, [...ENV_TARGETS.keys()], 3) : undefined;
      if (guess !== undefined) {
        throw new ConfigError(
          `environment: unknown variable ${name}; did you mean ${ENV_PREFIX}${guess}?`,
          { hint: `rename it to ${ENV_PREFIX}${guess}, or unset it` },
        );
      }
      continue;
    }
    const v = coerce(target.kind, value, name);
    if (target.path.length === 1) {
      const [top] = target.path;
      const fromSubVars = raw[top];
      // ZARRIFY_PACKING (true or a JSON object) with ZARRIFY_PACKING_BITS=8: the specific one wins.
      if (top === "packing" && typeof fromSubVars === "object" && fromSubVars !== null) {
        raw[top] =
          typeof v === "boolean"
            ? { enabled: v, ...fromSubVars }
            : { ...(v as object), ...fromSubVars };
      } else {
        raw[top] = v;
      }
    } else {
      const [top, sub] = target.path;
      const current = raw[top];
      const base =
        typeof current === "boolean" ? { enabled: current } : ((current ?? {}) as object);
      raw[top] = { ...base, [sub]: v };
    }
    setBy.set(target.path.join("."), name);
  }
  const label = (path: ConfigPath): string | undefined => {
    for (let n = Math.min(2, path.length); n >= 1; n--) {
      const name = setBy.get(path.slice(0, n).join("."));
      if (name !== undefined) return path.length > n ? `${name} ('${path.join(".")}')` : name;
    }
    return undefined;
  };
  return validateConfigInput(raw, { name: "environment", label });
}
