/**
 * The configuration: one zod schema from which the option types, defaults, validation messages
 * and the docs table (docs.ts) all come. This module holds the top-level schema and turns layers
 * of input into the configuration; the areas with a shape of their own (packing.ts,
 * compression.ts), key spellings (normalize.ts) and the reporting of bad values (source.ts) are
 * beside it.
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
import { hint, opt } from "../hint.js";
import { lengthsFromString } from "./chunking.js";
import { COMPRESSION_KEYS, checkCompression, compressionObject } from "./compression.js";
import { dimensionLengths, names, positiveInt } from "./fields.js";
import { canonicalKeys, isPlainObject, splitList } from "./normalize.js";
import { normalizePacking, PACKING_SHAPE, packingObject } from "./packing.js";
import { type ConfigSource, check, OPTIONS_SOURCE } from "./source.js";

const attrValue = z.union([z.string(), z.number(), z.array(z.string()), z.array(z.number())], {
  errorMap: () => ({ message: "must be a string, a number, or a list of strings or of numbers" }),
});

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
    shards: z
      .union([z.literal("auto"), dimensionLengths], {
        errorMap: () => ({
          message: 'must be "auto" or shard lengths by dimension, e.g. {time: 720}',
        }),
      })
      .optional()
      .describe(
        'Zarr v3 shard length per dimension, e.g. {time: 720}; each shard holds whole chunks. "auto": the shards proposed for the chunks chosen, about 256 MB uncompressed each (docs/analyze.md#shards).',
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
        message: `${c.shards === "auto" ? 'is "auto", which ' : ""}needs zarrFormat 3 (Zarr v2 has no sharding)`,
        params: { hint: hint`set ${opt("zarrFormat", 3)}, or leave out ${opt("shards")}` },
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
      .union([z.boolean(), z.object(loosen(PACKING_SHAPE)).strict()], {
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
export const CONFIG_KEYS = Object.keys(SHAPE) as (keyof ZarrifyConfig)[];

// ---------------------------------------------------------------------------------------------
// Normalisation and validation of one layer

function normalize(raw: unknown, source: ConfigSource): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) {
    throw new ConfigError(`${source.name}: expected a mapping of option names to values`, {
      hint: "write one option per line as name: value, e.g. chunking: {time: 100}",
    });
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
  if (typeof c.shards === "string" && c.shards.trim().toLowerCase() === "auto") c.shards = "auto";
  for (const key of ["chunking", "shards"] as const) {
    if (key in c && c[key] !== "auto") c[key] = lengthsFromString(c[key], source, [key]);
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
