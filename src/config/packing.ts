/**
 * The packing options: their fields (with defaults and the descriptions the docs table shows)
 * and the normalisation of a packing value in one layer, where `packing: true`/`false` stands
 * for `{enabled: true/false}`.
 */
import { z } from "zod";
import { names } from "./fields.js";
import { canonicalKeys, isPlainObject, splitList } from "./normalize.js";
import type { ConfigSource } from "./source.js";

const range = z
  .object({
    min: z.number({ required_error: "needs min", invalid_type_error: "min must be a number" }),
    max: z.number({ required_error: "needs max", invalid_type_error: "max must be a number" }),
  })
  .strict()
  .refine((r) => r.min < r.max, { message: "min must be less than max" });

export const PACKING_SHAPE = {
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

export const packingObject = z.object(PACKING_SHAPE).strict();

export const PACKING_KEYS = Object.keys(PACKING_SHAPE) as (keyof typeof PACKING_SHAPE)[];
const RANGE_KEYS = ["min", "max"];

export function normalizePacking(value: unknown, source: ConfigSource): unknown {
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
