/**
 * The configuration: one zod schema from which the option types, defaults, validation messages
 * and the docs table (configFieldDocs) all come.
 *
 * Inputs arrive in layers (CLI/API options, ZARRIFY_* environment, config file). Each layer is
 * normalised (snake_case and kebab-case keys → camelCase; `packing: true` → `{enabled: true}`;
 * "time:100,lat:50" and "a,b" strings → records and lists) and validated on its own, so an error
 * names where the bad value came from. resolveConfig then merges the layers (CLI > env > file) and
 * applies the defaults.
 *
 * Merging: packing merges field by field; chunking, shards, attrs and packing.manualRanges merge
 * key by key (a dimension, attribute or variable from a higher layer replaces the same one from a
 * lower layer); everything else, compression included, is replaced whole.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import type { Hint } from "../hint.js";
import { closest } from "../suggest.js";
import { CompressionError, parseCompression } from "../zarr/compression.js";
import { parseKeyValueInts } from "./chunking.js";

const positiveInt = (what: string) =>
  z
    .number({ invalid_type_error: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`);

const dimensionLengths = z.record(z.string().min(1), positiveInt("a positive integer"));

const names = z.array(z.string().min(1), {
  invalid_type_error: "must be a list of names (or one comma-separated string)",
});

const attrValue = z.union([z.string(), z.number(), z.array(z.string()), z.array(z.number())], {
  errorMap: () => ({ message: "must be a string, a number, or a list of strings or of numbers" }),
});

const range = z
  .object({
    min: z.number({ required_error: "needs min", invalid_type_error: "min must be a number" }),
    max: z.number({ required_error: "needs max", invalid_type_error: "max must be a number" }),
  })
  .strict()
  .refine((r) => r.min < r.max, { message: "min must be less than max" });

const compressionObject = z
  .object({
    method: z.string({ required_error: "needs a method" }).min(1),
    clevel: z.number().int().min(0).optional(),
    shuffle: z.string().min(1).optional(),
    cname: z.string().min(1).optional(),
  })
  .strict();

/**
 * A compression string or object is checked with the parser the writer uses, so a bad one fails
 * here, naming its source, instead of when the first array is laid out (or never, for verbs
 * that write no chunks). The value itself stays as given: it is parsed again where it is used.
 */
function checkCompression(
  value: string | z.output<typeof compressionObject>,
  ctx: z.RefinementCtx,
) {
  try {
    parseCompression(value);
  } catch (err) {
    if (!(err instanceof CompressionError)) throw err;
    const shown = JSON.stringify(value);
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `${shown} is invalid: ${err.reason}`,
      params: { hint: err.hintText },
    });
  }
}

const packingShape = {
  enabled: z
    .boolean()
    .default(true)
    .describe("Pack when a packing object is given; false turns it off."),
  bits: z
    .union([z.literal(8), z.literal(16), z.literal(32)], {
      errorMap: () => ({ message: "must be 8, 16 or 32" }),
    })
    .default(16)
    .describe("Integer width of packed values."),
  manualRanges: z
    .record(z.string().min(1), range)
    .default({})
    .describe("Per-variable {min, max} to pack into; wins over valid_min/valid_max and the data."),
  autoBufferFactor: z
    .number({ invalid_type_error: "must be a number" })
    .min(0, "must be at least 0")
    .max(1, "must be at most 1")
    .default(0.01)
    .describe(
      "Widening of a range computed from the data, as a fraction of it (a region archive should not rely on computed ranges).",
    ),
  checkRangeExceeded: z.boolean().default(true).describe("Check data against the packing range."),
  rangeExceededAction: z
    .enum(["warn", "error", "ignore"])
    .default("warn")
    .describe("What to do when data fall outside the packing range."),
  exclude: names.default([]).describe("Variables never packed (coordinates never are)."),
};

const packingObject = z.object(packingShape).strict();

/** The resolved configuration, every default applied. */
export const configSchema = z
  .object({
    chunking: dimensionLengths
      .optional()
      .describe(
        'Chunk length per dimension name, e.g. {time: 100, lat: 50} or "time:100,lat:50". Other dimensions: whole length, or the intelligent-chunking recommendation.',
      ),
    compression: z
      .union([z.string().trim().min(1), compressionObject], {
        errorMap: () => ({
          message:
            "must be a string such as 'blosc:zstd:3' or an object {method, clevel?, shuffle?, cname?}",
        }),
      })
      .superRefine(checkCompression)
      .optional()
      .describe(
        "none, gzip[:level], zlib[:level], zstd[:level], lz4, blosc[:cname[:clevel[:shuffle]]], or {method, clevel, shuffle, cname}. Unset: blosc:zstd:3.",
      ),
    packing: packingObject
      .default({ enabled: false })
      .describe(
        "Store floats as 8/16/32-bit integers with scale_factor/add_offset: true, false or {enabled, bits, manualRanges, autoBufferFactor, checkRangeExceeded, rangeExceededAction, exclude}.",
      ),
    variables: names
      .optional()
      .describe("Variables to write (their coordinates come along). Unset: all."),
    dropVariables: names.optional().describe("Variables to leave out."),
    attrs: z
      .record(z.string().min(1), attrValue)
      .optional()
      .describe('Extra global attributes, e.g. {title: "My archive"}.'),
    timeDim: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The time dimension. Unset: detected from CF attributes, then the unlimited dimension.",
      ),
    zarrFormat: z
      .union([z.literal(2), z.literal(3)], { errorMap: () => ({ message: "must be 2 or 3" }) })
      .default(3)
      .describe("Zarr format version."),
    group: z
      .string()
      .min(1)
      .optional()
      .describe("NetCDF-4 group to read instead of the root group."),
    targetChunkSizeMb: z
      .number({ invalid_type_error: "must be a number" })
      .positive("must be greater than 0")
      .default(50)
      .describe("Largest chunk zarrify makes on its own, in MB."),
    accessPattern: z
      .enum(["temporal", "spatial", "balanced"])
      .default("balanced")
      .describe("What intelligent chunking optimises for."),
    intelligentChunking: z
      .boolean()
      .default(false)
      .describe("Choose chunks from the archive's full dimensions and the access pattern."),
    retriesOnMissing: z
      .number({ invalid_type_error: "must be a whole number" })
      .int("must be a whole number")
      .min(0, "must be 0 or more")
      .default(0)
      .describe("Rewrites of a region that still has missing data after writing."),
    missingCheckVars: z
      .union([z.literal("all"), z.literal("none"), names], {
        errorMap: () => ({ message: 'must be "all", "none" or a list of variable names' }),
      })
      .default("all")
      .describe(
        'Variables checked for missing data after a region write: "all", "none" (or null) or a list.',
      ),
    jobs: positiveInt("a positive integer")
      .default(() => availableParallelism())
      .describe("Parallel workers. Unset: the number of CPUs."),
    shards: dimensionLengths
      .optional()
      .describe(
        "Zarr v3 shard length per dimension, e.g. {time: 720}; each shard holds whole chunks.",
      ),
    appendDim: z.string().min(1).default("time").describe("The dimension append extends."),
    onOverlap: z
      .enum(["skip", "error", "overwrite"])
      .default("skip")
      .describe("Appended times already in the archive: skip them, fail, or overwrite them."),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.shards !== undefined && c.zarrFormat === 2) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["shards"],
        message: "needs zarrFormat 3 (Zarr v2 has no sharding)",
      });
    }
  });

type Shape = typeof configSchema._def.schema.shape;
const SHAPE: Shape = configSchema._def.schema.shape;

type Loosened<T extends z.ZodRawShape> = {
  [K in keyof T]: T[K] extends z.ZodDefault<infer I> ? z.ZodOptional<I> : T[K];
};

function loosen<T extends z.ZodRawShape>(shape: T): Loosened<T> {
  const out: Record<string, z.ZodTypeAny> = {};
  for (const [key, field] of Object.entries(shape)) {
    out[key] = field instanceof z.ZodDefault ? field.removeDefault().optional() : field;
  }
  return out as Loosened<T>;
}

/** One layer of input: everything optional, no defaults; packing may be a boolean. */
export const configInputSchema = z
  .object({
    ...loosen(SHAPE),
    packing: z
      .union([z.boolean(), z.object(loosen(packingShape)).strict()], {
        errorMap: () => ({ message: "must be true, false or a packing object" }),
      })
      .optional(),
  })
  .strict();

export type ZarrifyConfig = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configInputSchema>;
export type PackingConfig = ZarrifyConfig["packing"];

/** The field schemas, for tools that derive things per field (environment coercion, docs). */
export const CONFIG_SHAPE = SHAPE;
export const PACKING_SHAPE = packingShape;
export const CONFIG_KEYS = Object.keys(SHAPE) as (keyof ZarrifyConfig)[];
export const PACKING_KEYS = Object.keys(packingShape) as (keyof PackingConfig)[];
const COMPRESSION_KEYS = Object.keys(compressionObject.shape);
const RANGE_KEYS = ["min", "max"];

// ---------------------------------------------------------------------------------------------
// Key spelling and suggestions

export function toCamelCase(key: string): string {
  return key.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function toSnakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

// ---------------------------------------------------------------------------------------------
// Sources, normalisation and validation of one layer

export type ConfigPath = (string | number)[];

/** Where a layer came from, for error messages. */
export interface ConfigSource {
  /** "options", "environment", "config file era5.yaml"... */
  name: string;
  /** Line of the value at `path` (keys as the user wrote them), for files. */
  line?(path: ConfigPath): number | undefined;
  /** What to call the value at `path`; default: the dotted path in quotes. */
  label?(path: ConfigPath): string | undefined;
}

export const OPTIONS_SOURCE: ConfigSource = { name: "options" };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function where(source: ConfigSource, path: ConfigPath): string {
  const line = source.line?.(path);
  return line === undefined ? source.name : `${source.name}:${line}`;
}

function fail(source: ConfigSource, path: ConfigPath, message: string, hint?: Hint): never {
  const label = source.label?.(path) ?? `'${path.join(".")}'`;
  throw new ConfigError(`${where(source, path)}: ${label} ${message}`, { hint });
}

/**
 * Rename `raw`'s keys to the canonical camelCase ones, failing on unknown keys (with the closest
 * valid one) and on a key given twice in two spellings.
 */
function canonicalKeys(
  raw: Record<string, unknown>,
  allowed: readonly string[],
  source: ConfigSource,
  path: ConfigPath,
  what: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const spelledAs: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    const canonical = toCamelCase(key);
    if (!allowed.includes(canonical)) {
      const guess = closest(key, allowed);
      const shown = guess && key.includes("_") ? toSnakeCase(guess) : guess;
      const hint = guess
        ? `; did you mean '${shown}'?`
        : `; valid ${what}s: ${allowed.map((k) => (key.includes("_") ? toSnakeCase(k) : k)).join(", ")}`;
      throw new ConfigError(`${where(source, [...path, key])}: unknown ${what} '${key}'${hint}`);
    }
    if (canonical in spelledAs) {
      throw new ConfigError(
        `${where(source, [...path, key])}: '${spelledAs[canonical]}' and '${key}' are the same option; give it once`,
      );
    }
    spelledAs[canonical] = key;
    if (value !== undefined) out[canonical] = value;
  }
  return out;
}

function splitList(value: unknown): unknown {
  return typeof value === "string"
    ? value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : value;
}

function lengthsFromString(value: unknown, source: ConfigSource, path: ConfigPath): unknown {
  if (typeof value !== "string") return value;
  try {
    return parseKeyValueInts(value, source.label?.(path) ?? path.join("."));
  } catch (err) {
    const e = err as ConfigError;
    throw new ConfigError(`${where(source, path)}: ${e.message}`, { hint: e.hintText });
  }
}

function normalizePacking(value: unknown, source: ConfigSource): unknown {
  if (typeof value === "boolean") return { enabled: value };
  if (!isPlainObject(value)) return value;
  const packing = canonicalKeys(value, PACKING_KEYS, source, ["packing"], "packing option");
  if ("exclude" in packing) packing.exclude = splitList(packing.exclude);
  if (isPlainObject(packing.manualRanges)) {
    const ranges: Record<string, unknown> = {};
    for (const [name, r] of Object.entries(packing.manualRanges)) {
      const at = ["packing", "manualRanges", name];
      ranges[name] = isPlainObject(r) ? canonicalKeys(r, RANGE_KEYS, source, at, "range key") : r;
    }
    packing.manualRanges = ranges;
  }
  return packing;
}

function normalize(raw: unknown, source: ConfigSource): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) {
    throw new ConfigError(`${source.name}: expected a mapping of option names to values`);
  }
  const c = canonicalKeys(raw, CONFIG_KEYS, source, [], "option");
  if ("packing" in c) c.packing = normalizePacking(c.packing, source);
  if (isPlainObject(c.compression)) {
    c.compression = canonicalKeys(
      c.compression,
      COMPRESSION_KEYS,
      source,
      ["compression"],
      "compression key",
    );
  }
  for (const key of ["chunking", "shards"] as const) {
    if (key in c) c[key] = lengthsFromString(c[key], source, [key]);
  }
  for (const key of ["variables", "dropVariables"] as const) {
    if (key in c) c[key] = splitList(c[key]);
  }
  if (c.missingCheckVars === null) c.missingCheckVars = "none";
  else if (
    typeof c.missingCheckVars === "string" &&
    !["all", "none"].includes(c.missingCheckVars)
  ) {
    c.missingCheckVars = splitList(c.missingCheckVars);
  }
  return c;
}

/**
 * The issue to report. A failed union (string | object, boolean | object...) hides why the
 * alternative the user meant failed; when one alternative failed deeper inside the value, that
 * is the one.
 */
function innermost(issue: z.ZodIssue): z.ZodIssue {
  if (issue.code !== z.ZodIssueCode.invalid_union) return issue;
  for (const e of issue.unionErrors) {
    const deeper = e.issues.find((i) => i.path.length > issue.path.length);
    if (deeper) return innermost(deeper);
  }
  return issue;
}

const EXPECTED: Record<string, string> = {
  number: "a number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  integer: "a whole number",
};

function describeIssue(issue: z.ZodIssue): string {
  if (issue.code === z.ZodIssueCode.invalid_type) {
    if (issue.received === "undefined") return "is required";
    // Messages the schema set itself say it better than the generic one.
    if (!issue.message.startsWith("Expected")) return issue.message;
    return `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${issue.received}`;
  }
  if (issue.code === z.ZodIssueCode.invalid_enum_value) {
    return `must be one of ${issue.options.join(", ")}, not '${String(issue.received)}'`;
  }
  if (issue.code === z.ZodIssueCode.too_small && issue.type === "string") return "cannot be empty";
  return issue.message;
}

function check<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  source: ConfigSource,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = innermost(result.error.issues[0]);
  // An empty key in a record ({"": 5}) is reported on the record itself.
  if (issue.path.at(-1) === "") fail(source, issue.path.slice(0, -1), "has an empty name");
  // A refinement may carry the hint of the error it reports (compression: the valid forms).
  const hint = issue.code === z.ZodIssueCode.custom ? (issue.params?.hint as Hint) : undefined;
  fail(source, issue.path, describeIssue(issue), hint);
}

/**
 * Normalise and validate one layer of input (keys in snake_case, kebab-case or camelCase; see the
 * module comment) and return it in canonical form. Errors are ConfigErrors naming the source.
 */
export function validateConfigInput(
  raw: unknown,
  source: ConfigSource = OPTIONS_SOURCE,
): ConfigInput {
  return check(configInputSchema, normalize(raw, source), source);
}

// ---------------------------------------------------------------------------------------------
// Merging and resolving

const MERGED_BY_KEY = new Set(["chunking", "shards", "attrs"]);

function mergeTwo(low: ConfigInput, high: ConfigInput): ConfigInput {
  const out: Record<string, unknown> = { ...low };
  for (const [key, value] of Object.entries(high)) {
    if (value === undefined) continue;
    const below = out[key];
    if (MERGED_BY_KEY.has(key) && isPlainObject(below) && isPlainObject(value)) {
      out[key] = { ...below, ...value };
    } else if (key === "packing") {
      const a = typeof below === "boolean" ? { enabled: below } : isPlainObject(below) ? below : {};
      const b =
        typeof value === "boolean" ? { enabled: value } : (value as Record<string, unknown>);
      const merged: Record<string, unknown> = { ...a };
      for (const [k, v] of Object.entries(b)) if (v !== undefined) merged[k] = v;
      if (isPlainObject(a.manualRanges) && isPlainObject(b.manualRanges)) {
        merged.manualRanges = { ...a.manualRanges, ...b.manualRanges };
      }
      out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  return out as ConfigInput;
}

/** Layers merged lowest first: a later layer wins (see the module comment for nested objects). */
export function mergeConfigInputs(...layers: (ConfigInput | undefined)[]): ConfigInput {
  return layers.reduce<ConfigInput>((acc, layer) => (layer ? mergeTwo(acc, layer) : acc), {});
}

export interface ConfigLayers {
  /** Command-line flags or library options (highest precedence). */
  cli?: ConfigInput;
  /** configFromEnv(process.env). */
  env?: ConfigInput;
  /** loadConfigFile(path) (lowest precedence above the defaults). */
  file?: ConfigInput;
}

/** The validated, fully defaulted configuration: CLI > environment > config file > defaults. */
export function resolveConfig(layers: ConfigLayers = {}): ZarrifyConfig {
  const merged = mergeConfigInputs(
    validateConfigInput(layers.file, { name: "config file" }),
    validateConfigInput(layers.env, { name: "environment" }),
    validateConfigInput(layers.cli, OPTIONS_SOURCE),
  );
  if (typeof merged.packing === "boolean") merged.packing = { enabled: merged.packing };
  return check(configSchema, merged, { name: "configuration" });
}

// ---------------------------------------------------------------------------------------------
// Documentation

export interface ConfigFieldDoc {
  /** camelCase key; nested packing fields as "packing.bits". */
  key: string;
  /** The snake_case spelling config files may use. */
  snakeKey: string;
  /** The environment variable that sets it. */
  envVar: string;
  /** Accepted values, e.g. "2 | 3", "integer > 0", "{dimension: integer}". */
  type: string;
  /** The default, as text ("" when unset means something described in the description). */
  default: string;
  description: string;
}

/** The schema under optional/default/nullable/effects wrappers. */
export function unwrapSchema(t: z.ZodTypeAny): z.ZodTypeAny {
  if (t instanceof z.ZodDefault || t instanceof z.ZodOptional || t instanceof z.ZodNullable) {
    return unwrapSchema(t._def.innerType);
  }
  if (t instanceof z.ZodEffects) return unwrapSchema(t._def.schema);
  return t;
}

function typeText(schema: z.ZodTypeAny): string {
  const t = unwrapSchema(schema);
  if (t instanceof z.ZodNumber) {
    const int = t.isInt ? "integer" : "number";
    const min = t.minValue;
    return min === null
      ? int
      : t._def.checks.some((c) => c.kind === "min" && !c.inclusive)
        ? `${int} > ${min}`
        : `${int} >= ${min}`;
  }
  if (t instanceof z.ZodString) return "string";
  if (t instanceof z.ZodBoolean) return "boolean";
  if (t instanceof z.ZodLiteral) return JSON.stringify(t.value);
  if (t instanceof z.ZodEnum)
    return (t.options as string[]).map((o) => JSON.stringify(o)).join(" | ");
  if (t instanceof z.ZodArray) return `${typeText(t.element)}[]`;
  if (t instanceof z.ZodUnion) return (t.options as z.ZodTypeAny[]).map(typeText).join(" | ");
  if (t instanceof z.ZodRecord) {
    return `{${t === unwrapSchema(SHAPE.attrs) ? "name" : "dimension"}: ${typeText(t.valueSchema)}}`;
  }
  if (t instanceof z.ZodObject) return `{${Object.keys(t.shape).join(", ")}}`;
  return "value";
}

/** One row per option (packing's fields as "packing.*"), for the docs table and --help text. */
export function configFieldDocs(): ConfigFieldDoc[] {
  const defaults = configSchema.parse({ jobs: 1 }) as Record<string, unknown>;
  const packingDefaults = packingObject.parse({}) as Record<string, unknown>;
  const text = (v: unknown) => (v === undefined ? "" : JSON.stringify(v));
  const rows: ConfigFieldDoc[] = [];
  for (const key of CONFIG_KEYS) {
    const field = SHAPE[key] as z.ZodTypeAny;
    rows.push({
      key,
      snakeKey: toSnakeCase(key),
      envVar: `ZARRIFY_${toSnakeCase(key).toUpperCase()}`,
      type: key === "packing" ? "boolean | {...}" : typeText(field),
      default:
        key === "jobs" ? "number of CPUs" : key === "packing" ? "false" : text(defaults[key]),
      description: field.description ?? "",
    });
    if (key !== "packing") continue;
    for (const sub of PACKING_KEYS) {
      const f = packingShape[sub] as z.ZodTypeAny;
      rows.push({
        key: `packing.${sub}`,
        snakeKey: `packing.${toSnakeCase(sub)}`,
        envVar: `ZARRIFY_PACKING_${toSnakeCase(sub).toUpperCase()}`,
        type: sub === "manualRanges" ? "{variable: {min, max}}" : typeText(f),
        default: text(packingDefaults[sub]),
        description: f.description ?? "",
      });
    }
  }
  return rows;
}

/** The options as a Markdown table. */
export function configMarkdownTable(): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [
    "| option | config file | environment | values | default | description |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of configFieldDocs()) {
    lines.push(
      `| \`${r.key}\` | \`${r.snakeKey}\` | \`${r.envVar}\` | ${esc(r.type)} | ${r.default ? `\`${esc(r.default)}\`` : ""} | ${esc(r.description)} |`,
    );
  }
  return lines.join("\n");
}
