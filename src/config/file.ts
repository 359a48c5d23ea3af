/**
 * Config files: YAML or JSON (snake_case or camelCase keys) read into one validated layer for
 * resolveConfig, with errors that name the file and line. Apart from the environment's layer
 * (env.ts) because the YAML parser is a large module a run without --config never loads.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { ConfigError } from "../errors.js";
import { describeOsError, isOsError } from "../os-error.js";
import { toCamelCase } from "./normalize.js";
import { type ConfigInput, validateConfigInput } from "./schema.js";
import type { ConfigPath, ConfigSource } from "./source.js";

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The line of the value at `path` (or of its key, for a nested block) and the keys as the file
 * spells them, matching each canonical key to a key in any spelling.
 */
function locate(
  doc: Document,
  counter: LineCounter,
  path: ConfigPath,
): { line?: number; written: ConfigPath } {
  let node: unknown = doc.contents;
  let line: number | undefined;
  const written: ConfigPath = [];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) =>
          isScalar(p.key) &&
          (String(p.key.value) === String(seg) || toCamelCase(String(p.key.value)) === seg),
      );
      if (!pair) break;
      written.push(String((pair.key as { value: unknown }).value));
      const keyRange = (pair.key as Node).range;
      if (keyRange) line = counter.linePos(keyRange[0]).line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number" && node.items[seg] !== undefined) {
      written.push(seg);
      node = node.items[seg];
      const range = (node as Node).range;
      if (range) line = counter.linePos(range[0]).line;
    } else {
      break;
    }
  }
  if (written.length === path.length && isScalar(node) && node.range) {
    line = counter.linePos(node.range[0]).line;
  }
  return { line, written: [...written, ...path.slice(written.length)] };
}

function formatOf(name: string, text: string): "json" | "yaml" {
  const ext = extname(name).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

/**
 * Parse config text (YAML or JSON; by `name`'s extension, else by content) into a validated layer.
 * `name` is used in error messages ("era5.yaml:12: ...").
 */
export function parseConfigText(text: string, name: string, format?: "json" | "yaml"): ConfigInput {
  const fmt = format ?? formatOf(name, text);
  const counter = new LineCounter();
  let data: unknown;
  let doc: Document;
  if (fmt === "json") {
    try {
      data = JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      const position = /position (\d+)/.exec(message);
      const at = position ? `:${lineOf(text, Number(position[1]))}` : "";
      throw new ConfigError(
        `${name}${at}: not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, "")}`,
        { hint: `fix the JSON there: one object of "option": value pairs` },
      );
    }
    // JSON is YAML; the document only serves to find lines for later errors.
    doc = parseDocument(text, { lineCounter: counter });
  } else {
    doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
    const error = doc.errors[0];
    if (error !== undefined) {
      const line = error.linePos?.[0]?.line;
      const message = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      throw new ConfigError(
        `${name}${line === undefined ? "" : `:${line}`}: not valid YAML: ${message}`,
        { hint: "fix the YAML there: one option per line as name: value, lists in [ ]" },
      );
    }
    data = doc.toJS();
  }
  const source: ConfigSource = {
    name,
    line: (path) => locate(doc, counter, path).line,
    label: (path) => `'${locate(doc, counter, path).written.join(".")}'`,
  };
  return validateConfigInput(data ?? {}, source);
}

/** Read a YAML or JSON config file (snake_case or camelCase keys) into a validated layer. */
export async function loadConfigFile(path: string): Promise<ConfigInput> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let why = `cannot be read (${(err as Error).message})`;
    let hint: string | undefined;
    if (code === "ENOENT") [why, hint] = ["does not exist", "check the path of the config file"];
    else if (code === "EISDIR") [why, hint] = ["is a directory", "give a YAML or JSON file"];
    else if (isOsError(err)) {
      const os = describeOsError(err, { reading: true });
      [why, hint] = [`cannot be read (${os.message})`, os.hint];
    }
    throw new ConfigError(`config file ${path} ${why}`, { cause: err, hint });
  }
  return parseConfigText(text, path);
}
