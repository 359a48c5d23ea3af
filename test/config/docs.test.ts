import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DOC, withTable } from "../../scripts/config-docs.js";
import { configFieldDocs, configMarkdownTable } from "../../src/config/docs.js";
import { PACKING_KEYS } from "../../src/config/packing.js";
import { CONFIG_KEYS } from "../../src/config/schema.js";

it("docs/configuration.md has the schema's current option table", () => {
  const doc = readFileSync(DOC, "utf8");
  expect(doc, "run `npx tsx scripts/config-docs.ts` to regenerate").toBe(withTable(doc));
});

describe("docs metadata", () => {
  it("describes every option and packing field", () => {
    const docs = configFieldDocs();
    expect(docs.map((d) => d.key)).toEqual([
      ...CONFIG_KEYS.flatMap((k) =>
        k === "packing" ? [k, ...PACKING_KEYS.map((p) => `packing.${p}`)] : [k],
      ),
    ]);
    for (const d of docs) expect(d.description.length, d.key).toBeGreaterThan(10);
    const byKey = Object.fromEntries(docs.map((d) => [d.key, d]));
    expect(byKey.targetChunkSizeMb).toMatchObject({
      snakeKey: "target_chunk_size_mb",
      envVar: "ZARRIFY_TARGET_CHUNK_SIZE_MB",
      type: "number > 0",
      default: "50",
    });
    expect(byKey.zarrFormat.type).toBe("2 | 3");
    expect(byKey.jobs.default).toBe("number of CPUs");
    expect(byKey["packing.bits"]).toMatchObject({ envVar: "ZARRIFY_PACKING_BITS", default: "16" });
    expect(byKey.chunking.type).toBe("{dimension: integer > 0}");
  });

  it("prints a Markdown table with one row per option", () => {
    const table = configMarkdownTable().split("\n");
    expect(table[0]).toBe(
      "| option | config file | environment | values | default | description |",
    );
    expect(table.length).toBe(2 + configFieldDocs().length);
    expect(table.find((l) => l.startsWith("| `onOverlap`"))).toContain(
      '"skip" \\| "error" \\| "overwrite"',
    );
  });
});
