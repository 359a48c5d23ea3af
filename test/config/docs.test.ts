import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { DOC, withTable } from "../../scripts/config-docs.js";

it("docs/configuration.md has the schema's current option table", () => {
  const doc = readFileSync(DOC, "utf8");
  expect(doc, "run `npx tsx scripts/config-docs.ts` to regenerate").toBe(withTable(doc));
});
