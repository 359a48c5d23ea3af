/**
 * ZARRIFY_* environment variables read into one validated layer for resolveConfig (CLI > env >
 * file > defaults), with errors that name the variable. Config files are file.ts.
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { closest } from "../suggest.js";
import { unwrapSchema } from "./fields.js";
import { toSnakeCase } from "./normalize.js";
import { PACKING_KEYS, PACKING_SHAPE } from "./packing.js";
import { CONFIG_KEYS, CONFIG_SHAPE, type ConfigInput, validateConfigInput } from "./schema.js";
import type { ConfigPath } from "./source.js";

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
