/**
 * Hints that name options, for both kinds of caller. An error's hint says what to do next, and
 * that is often "set this option"; but a library caller who passed `{ dropVariables: [...] }`
 * cannot use "--drop-variables", nor a CLI user "dropVariables". So a hint names options and verbs
 * structurally (`opt`, `verb`) and is rendered for its reader: flags and `zarrify <verb>` for the
 * CLI, camelCase options and functions for the library.
 *
 *   hint`leave it out with ${opt("dropVariables", ["obs"])}`
 *     CLI:     leave it out with --drop-variables obs
 *     library: leave it out with dropVariables: ["obs"]
 *
 * A flag is its option's key in kebab-case (nested packing keys prefixed `packing-`), as the
 * CLI's flags are defined (src/cli/common.ts), so no second table can drift from the config.
 */
import type { ConfigInput, PackingConfig } from "./config/schema.js";

export type Audience = "cli" | "library";

/**
 * Options a hint may name: the config's keys (packing's as "packing.<key>") and the verbs' own
 * options (RunParallelOptions, CreateTemplateOptions, WriteRegionOptions, the queue's options).
 */
export type HintOption =
  | Exclude<keyof ConfigInput, "packing">
  | "packing"
  | `packing.${Exclude<keyof PackingConfig, "enabled">}`
  | "overwrite"
  | "resume"
  | "freq"
  | "globalStart"
  | "globalEnd"
  | "region"
  | "filesFrom"
  | "shard"
  | "template"
  | "queue";

export type HintValue = string | number | boolean | readonly (string | number)[] | object;

/** The library functions behind the CLI's verbs. */
const VERB_FUNCTIONS = {
  convert: "convertToZarr()",
  "create-template": "createTemplate()",
  "write-region": "writeRegion()",
  run: "runParallel()",
  append: "appendToZarr()",
  validate: "validateArchive()",
  analyze: "analyzeFile()",
  "queue submit": "submitFiles()",
  "queue work": "runWorkers()",
} as const;

export type Verb = keyof typeof VERB_FUNCTIONS;

/** Plain data (it crosses the IPC channel to `run`'s workers as JSON). */
export type HintPart = string | { option: HintOption; value?: HintValue } | { verb: Verb };

export class Hint {
  constructor(readonly parts: readonly HintPart[]) {}

  render(audience: Audience): string {
    return this.parts.map((p) => renderPart(p, audience)).join("");
  }
}

/** An option, with the value the user should give it (none: the option is only named). */
export function opt(option: HintOption, value?: HintValue): HintPart {
  return value === undefined ? { option } : { option, value };
}

/** A verb: `zarrify <verb>` on the command line, its function in the library. */
export function verb(name: Verb): HintPart {
  return { verb: name };
}

/** The tag that builds a Hint: literal text, plain values as text, opt()/verb() structurally. */
export function hint(strings: TemplateStringsArray, ...values: (string | number | HintPart)[]) {
  const parts: HintPart[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i < values.length) {
      const v = values[i];
      parts.push(typeof v === "object" ? v : String(v));
    }
  });
  return new Hint(parts);
}

/**
 * For error messages and report lines that name an option: rendered at once for this process's
 * reader, since a message is a plain string.
 *   message`run needs ${opt("globalStart")} and ${opt("globalEnd")}`
 */
export function message(strings: TemplateStringsArray, ...values: (string | number | HintPart)[]) {
  return hint(strings, ...values).render(processAudience);
}

/** Who reads `err.hint` in this process; the CLI sets "cli" once at startup (src/cli/bin.ts). */
let processAudience: Audience = "library";

export function setHintAudience(audience: Audience): void {
  processAudience = audience;
}

export function hintAudience(): Audience {
  return processAudience;
}

function renderPart(p: HintPart, audience: Audience): string {
  if (typeof p === "string") return p;
  if ("verb" in p) return audience === "cli" ? `zarrify ${p.verb}` : VERB_FUNCTIONS[p.verb];
  return audience === "cli" ? cliOption(p.option, p.value) : libraryOption(p.option, p.value);
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The flag as src/cli/common.ts defines it, with the value as the shell takes it. */
function cliOption(option: HintOption, value: HintValue | undefined): string {
  const flag = kebab(option.replace(".", "-"));
  if (value === undefined || value === true) return `--${flag}`;
  if (value === false) return `--no-${flag}`;
  if (Array.isArray(value)) return `--${flag} ${value.join(",")}`;
  if (typeof value === "object") {
    const entries = Object.entries(value);
    // Dimension lengths (chunking, shards) have a short form; other objects are JSON.
    if (entries.every(([, v]) => typeof v === "number")) {
      return `--${flag} ${entries.map(([k, v]) => `${k}:${v}`).join(",")}`;
    }
    return `--${flag} '${JSON.stringify(value)}'`;
  }
  return `--${flag} ${value}`;
}

/** The option as a library caller writes it in the options object. */
function libraryOption(option: HintOption, value: HintValue | undefined): string {
  const [outer, inner] = option.split(".");
  if (value === undefined) return option;
  const entry = `${inner ?? outer}: ${jsLiteral(value)}`;
  return inner === undefined ? entry : `${outer}: { ${entry} }`;
}

function jsLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsLiteral).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const body = Object.entries(value)
      .map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${jsLiteral(v)}`)
      .join(", ");
    return `{ ${body} }`;
  }
  return JSON.stringify(value);
}
