/**
 * Hints name options for whoever reads them: flags on the command line, options in the library.
 * The mechanism (src/hint.ts), a scan that keeps every hint in src/ on it, and one error seen
 * from both sides.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { afterEach, describe, expect, it } from "vitest";
import { formatError } from "../src/cli/report-error.js";
import { deserializeError, serializeError } from "../src/engine/errors.js";
import { ConfigError, RegionError, type ZarrifyError } from "../src/errors.js";
import { hint, hintAudience, message, opt, setHintAudience, verb } from "../src/hint.js";
import { convertToZarr } from "../src/ops/convert.js";
import { writeGrid } from "./helpers/grid-nc.js";
import { cliBin, repoRoot, tempDir } from "./helpers/paths.js";

afterEach(() => setHintAudience("library"));

describe("Hint", () => {
  const both = (h: ReturnType<typeof hint>) => [h.render("cli"), h.render("library")];

  it("renders each kind of option value as a flag and as a library option", () => {
    expect(both(hint`leave it out with ${opt("dropVariables", ["obs", "qc"])}`)).toEqual([
      "leave it out with --drop-variables obs,qc",
      'leave it out with dropVariables: ["obs", "qc"]',
    ]);
    expect(both(hint`pass ${opt("resume")}, ${opt("overwrite", true)}`)).toEqual([
      "pass --resume, --overwrite",
      "pass resume, overwrite: true",
    ]);
    expect(both(hint`e.g. ${opt("chunking", { time: 10, lat: 5 })}`)).toEqual([
      "e.g. --chunking time:10,lat:5",
      "e.g. chunking: { time: 10, lat: 5 }",
    ]);
    expect(both(hint`${opt("packing.rangeExceededAction", "warn")}`)).toEqual([
      "--packing-range-exceeded-action warn",
      'packing: { rangeExceededAction: "warn" }',
    ]);
    expect(both(hint`${opt("packing.manualRanges", { "t-2m": { min: 0, max: 1 } })}`)).toEqual([
      `--packing-manual-ranges '{"t-2m":{"min":0,"max":1}}'`,
      'packing: { manualRanges: { "t-2m": { min: 0, max: 1 } } }',
    ]);
    expect(
      both(hint`${opt("packing.checkRangeExceeded", false)} ${opt("targetChunkSizeMb", 50)}`),
    ).toEqual([
      "--no-packing-check-range-exceeded --target-chunk-size-mb 50",
      "packing: { checkRangeExceeded: false } targetChunkSizeMb: 50",
    ]);
    expect(both(hint`make it with ${verb("create-template")} (${7} steps)`)).toEqual([
      "make it with zarrify create-template (7 steps)",
      "make it with createTemplate() (7 steps)",
    ]);
  });

  it("err.hint follows the process's audience; hintFor and plain strings are fixed", () => {
    const err = new RegionError("x", { hint: hint`pass ${opt("onOverlap", "skip")}` });
    expect(err.hint).toBe('pass onOverlap: "skip"');
    setHintAudience("cli");
    expect(err.hint).toBe("pass --on-overlap skip");
    expect(err.hintFor("library")).toBe('pass onOverlap: "skip"');
    expect(new ConfigError("y", { hint: "check the path" }).hint).toBe("check the path");
    expect(new ConfigError("z").hint).toBeUndefined();
  });

  it("keeps its structure across the worker boundary (run's failures)", () => {
    const sent = JSON.parse(
      JSON.stringify(serializeError(new RegionError("m", { hint: hint`${opt("freq", "1D")}` }))),
    );
    const back = deserializeError(sent) as ZarrifyError;
    expect(back).toBeInstanceOf(RegionError);
    expect([back.hintFor("cli"), back.hintFor("library")]).toEqual(["--freq 1D", 'freq: "1D"']);
  });

  it("the CLI prints the flag form", () => {
    const err = new ConfigError("bad", { hint: hint`use ${opt("timeDim", "report")}` });
    expect(formatError(err, 0)).toBe("zarrify: error: bad\n  hint: use --time-dim report");
  });
});

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Literal text in `node` (string literals and the fixed parts of templates, tagged or not). */
function literalTexts(node: ts.Node): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (
      ts.isStringLiteral(n) ||
      ts.isNoSubstitutionTemplateLiteral(n) ||
      ts.isTemplateHead(n) ||
      ts.isTemplateMiddle(n) ||
      ts.isTemplateTail(n)
    ) {
      out.push(n.text);
    }
    // opt()/verb() arguments are option keys and values, rendered per caller: not hint text.
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
      if (n.expression.text === "opt" || n.expression.text === "verb") return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

describe("every hint in src/ names options for both callers", () => {
  it("no hint's text spells a --flag or a zarrify verb (use opt() and verb())", () => {
    const cliOnly =
      /--[a-z]|\bzarrify (convert|create-template|write-region|run|append|validate|analyze)\b/;
    // Flags of the other programs hints tell users to run (sbatch --array, aws s3api --bucket):
    // zarrify has no such option, so they read the same to library and CLI callers.
    const foreign = /--(array|bucket)\b/g;
    const offenders: string[] = [];
    let hints = 0;
    for (const file of sources(join(repoRoot, "src"))) {
      const rel = relative(repoRoot, file);
      // The CLI's own code speaks to CLI users only.
      if (rel.startsWith(join("src", "cli"))) continue;
      const text = readFileSync(file, "utf8");
      const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node) => {
        const isHint =
          (ts.isPropertyAssignment(n) && n.name.getText(sf) === "hint") ||
          (ts.isTaggedTemplateExpression(n) && n.tag.getText(sf) === "hint");
        if (isHint) {
          hints++;
          const init = ts.isPropertyAssignment(n) ? n.initializer : n.template;
          for (const t of literalTexts(init)) {
            if (cliOnly.test(t.replace(foreign, ""))) {
              const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
              offenders.push(`${rel}:${line}: ${t}`);
            }
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(hints).toBeGreaterThan(50); // the scan does see the hints
    expect(offenders).toEqual([]);
  });
});

describe("one error, two renderings", () => {
  const dir = tempDir();
  const nc = join(dir, "a.nc");
  writeGrid(nc, { times: 2, y: 2, x: 3 });
  const existing = join(dir, "exists.zarr");
  mkdirSync(existing);

  it("library: the option to pass", async () => {
    const err = await convertToZarr(nc, existing).catch((e: ZarrifyError) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ZarrifyError).hint).toBe(
      "choose a new output path, or pass overwrite: true to replace it",
    );
  });

  it("CLI: the flag to pass", () => {
    const r = spawnSync(process.execPath, [cliBin, "convert", nc, existing], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      "  hint: choose a new output path, or pass --overwrite to replace it",
    );
  });
});

describe("messages that name an option", () => {
  it("render for this process's reader, like hints", () => {
    const before = hintAudience();
    try {
      setHintAudience("cli");
      expect(message`${verb("run")} needs ${opt("globalStart")}`).toBe(
        "zarrify run needs --global-start",
      );
      setHintAudience("library");
      expect(message`${verb("run")} needs ${opt("globalStart")}`).toBe(
        "runParallel() needs globalStart",
      );
    } finally {
      setHintAudience(before);
    }
  });
});
