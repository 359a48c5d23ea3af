/**
 * The options as documentation: one row per option (packing's fields as "packing.*"), derived
 * from the schema, for docs/configuration.md (scripts/config-docs.ts) and --help text. A test
 * keeps the docs file in step with it.
 */
import { z } from "zod";
import { unwrapSchema } from "./fields.js";
import { toSnakeCase } from "./normalize.js";
import { PACKING_KEYS, PACKING_SHAPE, packingObject } from "./packing.js";
import { CONFIG_KEYS, CONFIG_SHAPE, configSchema } from "./schema.js";

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
    return `{${t === unwrapSchema(CONFIG_SHAPE.attrs) ? "name" : "dimension"}: ${typeText(t.valueSchema)}}`;
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
    const field = CONFIG_SHAPE[key] as z.ZodTypeAny;
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
      const f = PACKING_SHAPE[sub] as z.ZodTypeAny;
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
