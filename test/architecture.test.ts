/**
 * The module graph of src/ keeps the shape docs/architecture.md draws: no import circles, and
 * dependencies pointing one way between the directories.
 *
 * Only relative imports are followed (packages and node: builtins are leaves). `import type`
 * counts like any other import: a circle through types still means two modules that cannot be
 * understood, moved or split apart from each other, and the type usually belongs in a module of
 * its own that both sides import. Dynamic `import()` counts too (`ts.preProcessFile` reports it).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/paths.js";

const srcRoot = join(repoRoot, "src");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Module name relative to src/, e.g. "ops/convert.ts". */
const moduleName = (path: string) => relative(srcRoot, path).split("\\").join("/");

/** Every relative import and re-export of every module in src/, resolved to module names. */
function moduleGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(srcRoot)) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith(".")) continue;
      // Sources import "./x.js"; the module on disk is x.ts.
      const target = resolve(dirname(file), fileName).replace(/\.js$/, ".ts");
      targets.add(moduleName(target));
    }
    graph.set(moduleName(file), [...targets].sort());
  }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const seen = new Map<string, { index: number; low: number }>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    const node = { index: next, low: next };
    next++;
    seen.set(v, node);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      const known = seen.get(w);
      if (known === undefined) {
        visit(w);
        node.low = Math.min(node.low, seen.get(w)?.low ?? node.low);
      } else if (onStack.has(w)) {
        node.low = Math.min(node.low, known.index);
      }
    }
    if (node.low === node.index) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
        onStack.delete(w);
        component.push(w);
      }
      if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!seen.has(v)) visit(v);
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

/** One concrete circle inside a component, for a readable failure: a → b → … → a. */
function oneCircle(graph: Map<string, string[]>, component: string[]): string {
  const members = new Set(component);
  const start = component[0];
  const path: string[] = [start];
  const seen = new Set<string>([start]);
  const walk = (v: string): boolean => {
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) return true;
      if (seen.has(w)) continue;
      seen.add(w);
      path.push(w);
      if (walk(w)) return true;
      path.pop();
    }
    return false;
  };
  walk(start);
  return [...path, start].join(" → ");
}

/**
 * Edges left out of the circle check, each with the reason and what removes it. Keep this list
 * short: the test below fails once an edge here no longer exists, so it cannot go stale.
 *
 * hint.ts → config/schema.ts is type-only (HintOption is typed by the config's keys, so
 * `opt("dropVariables")` is checked at compile time) and closes hint → config/schema → errors →
 * hint. Removing it means the typed `opt()` leaves hint.ts for a module under config/ (hint.ts
 * keeping `option: string`), which touches every caller of opt() and config/schema.ts, which is
 * being changed for compression validation at the same time; done after that lands.
 */
const ALLOWED_EDGES: [from: string, to: string][] = [["hint.ts", "config/schema.ts"]];

const fullGraph = moduleGraph();
const graph = new Map(
  [...fullGraph].map(([m, targets]) => [
    m,
    targets.filter((t) => !ALLOWED_EDGES.some(([a, b]) => a === m && b === t)),
  ]),
);
const dirOf = (module: string) => (module.includes("/") ? module.split("/")[0] : "");

/** Every import from one of `from`'s directories into one of `to`'s, as "a → b". */
function crossings(from: string[], to: string[]): string[] {
  const out: string[] = [];
  for (const [module, targets] of graph) {
    if (!from.includes(dirOf(module))) continue;
    for (const target of targets) if (to.includes(dirOf(target))) out.push(`${module} → ${target}`);
  }
  return out;
}

describe("module graph of src/", () => {
  it("finds the modules and their imports", () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get("ops/convert.ts")?.length).toBeGreaterThan(0);
    for (const targets of graph.values()) {
      for (const target of targets) expect(graph.has(target), target).toBe(true);
    }
  });

  it("still has every edge it allows (so the allowance goes when the edge does)", () => {
    for (const [from, to] of ALLOWED_EDGES) expect(fullGraph.get(from), from).toContain(to);
  });

  it("has no import circles", () => {
    const found = cycles(graph).map((c) => `${oneCircle(graph, c)}   [component: ${c.join(", ")}]`);
    expect(found).toEqual([]);
  });

  // The layering of docs/architecture.md ("knows about" column and "Dependencies point one way").
  it("keeps readers and zarr apart", () => {
    expect(crossings(["readers"], ["zarr"])).toEqual([]);
    expect(crossings(["zarr"], ["readers"])).toEqual([]);
  });

  it("keeps readers, zarr and dataset below plan, engine, region, ops and cli", () => {
    expect(
      crossings(["readers", "zarr", "dataset"], ["plan", "engine", "region", "ops", "cli"]),
    ).toEqual([]);
  });

  it("keeps dataset free of readers and zarr", () => {
    expect(crossings(["dataset"], ["readers", "zarr"])).toEqual([]);
  });

  it("keeps plan pure: no engine, region, ops or cli, no readers", () => {
    expect(crossings(["plan"], ["engine", "region", "ops", "cli", "readers"])).toEqual([]);
  });

  it("keeps region and engine below ops and cli", () => {
    expect(crossings(["region", "engine"], ["ops", "cli"])).toEqual([]);
  });

  it("lets only cli import cli", () => {
    const outside = [...new Set([...graph.keys()].map(dirOf))].filter((d) => d !== "cli");
    expect(crossings(outside, ["cli"])).toEqual([]);
  });

  // `zarrify --version` or `convert` must not load BullMQ, ioredis or every other verb's modules
  // (they cost 0.3 s of start-up): commands import their ops when their action runs.
  it("lets cli/commands import ops and queue only on demand", () => {
    const eager: string[] = [];
    for (const file of sourceFiles(join(srcRoot, "cli", "commands"))) {
      const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
      for (const st of source.statements) {
        if (!ts.isImportDeclaration(st) || st.importClause?.isTypeOnly) continue;
        const target = (st.moduleSpecifier as ts.StringLiteral).text;
        if (/\/(ops|queue)\//.test(target) && !target.endsWith("/queue/env.js")) {
          eager.push(`${moduleName(file)} → ${target}`);
        }
      }
    }
    expect(eager).toEqual([]);
  });
});
