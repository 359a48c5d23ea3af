/**
 * Input file lists for many-file verbs: paths, glob patterns (`*`, `?`, `[...]`, `**`), and list
 * files (`--files-from`, one path per line, `#` comments), then `--shard i/n` for job arrays.
 * Node 20 has no fs.glob, and a shell may not expand quoted patterns, so zarrify expands them.
 *
 * The result is sorted and de-duplicated: every shard of a job array computes the same list, so
 * "every n-th file" partitions it exactly.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { ConfigError, InputError } from "../errors.js";
import { hint, message, opt } from "../hint.js";
import { localPath } from "../location.js";

const MAGIC = /[*?[]/;

function segmentRegex(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = segment
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function listDir(dir: string): { name: string; dir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith("."))
      .map((e) => ({ name: e.name, dir: e.isDirectory() }));
  } catch {
    return [];
  }
}

function expandFrom(base: string, segments: string[], out: Set<string>): void {
  if (segments.length === 0) {
    try {
      if (statSync(base).isFile()) out.add(base);
    } catch {
      // vanished between listing and stat: nothing to add
    }
    return;
  }
  const [head, ...rest] = segments;
  if (head === "**") {
    // A trailing "**" means every file below, as Python's glob(recursive=True) reads it.
    if (rest.length === 0) {
      expandFrom(base, ["**", "*"], out);
      return;
    }
    expandFrom(base, rest, out);
    for (const e of listDir(base)) if (e.dir) expandFrom(join(base, e.name), segments, out);
    return;
  }
  if (!MAGIC.test(head)) {
    expandFrom(join(base, head), rest, out);
    return;
  }
  const re = segmentRegex(head);
  for (const e of listDir(base)) {
    if (re.test(e.name)) expandFrom(join(base, e.name), rest, out);
  }
}

/** Files matching a pattern, absolute; a plain path is returned as given (errors name it so). */
export function expandPattern(pattern: string): string[] {
  if (!MAGIC.test(pattern)) return [pattern];
  const absolute = resolve(pattern);
  const root = isAbsolute(absolute) ? sep : "";
  const segments = absolute.split(sep).filter(Boolean);
  const firstMagic = segments.findIndex((s) => MAGIC.test(s));
  const base = root + segments.slice(0, firstMagic).join(sep);
  const out = new Set<string>();
  expandFrom(base || sep, segments.slice(firstMagic), out);
  return [...out];
}

export function readFileList(listFile: string): string[] {
  let text: string;
  try {
    text = readFileSync(listFile, "utf8");
  } catch (err) {
    throw new InputError(
      message`${opt("filesFrom")} ${listFile}: cannot read it (${(err as Error).message})`,
      {
        path: listFile,
        hint: "give a text file with one input path per line",
      },
    );
  }
  const base = dirname(resolve(listFile));
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      localPath(l, "input");
      return resolve(base, l);
    });
}

export interface Shard {
  index: number;
  count: number;
}

/** "i/n" with 0 <= i < n; `auto` from a scheduler's environment is ops/job-array.ts. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index >= count) {
    throw new ConfigError(
      message`${opt("shard")} '${text}': expected i/n with 0 <= i < n, e.g. 0/4`,
      {
        hint: hint`shard i of n takes every n-th file starting at the i-th; in a SLURM job array or a Kubernetes Indexed Job, ${opt("shard", "auto")} takes i and n from the environment`,
      },
    );
  }
  return { index, count };
}

export interface InputSelection {
  patterns: readonly string[];
  filesFrom?: string;
  shard?: Shard;
}

export function collectInputs(sel: InputSelection): string[] {
  // Keyed by absolute path, so a file named twice (relative, absolute, in a list) counts once;
  // the first spelling is kept for messages.
  const all = new Map<string, string>();
  const add = (f: string) => {
    const key = resolve(f);
    if (!all.has(key)) all.set(key, f);
  };
  for (const p of sel.patterns) {
    localPath(p, "input");
    const found = expandPattern(p);
    if (found.length === 0) {
      throw new InputError(`${p}: no file matches this pattern`, {
        path: p,
        hint: "check the pattern; quote it so zarrify, not the shell, expands it",
      });
    }
    for (const f of found) add(f);
  }
  if (sel.filesFrom) for (const f of readFileList(sel.filesFrom)) add(f);
  const sorted = [...all.keys()].sort().map((k) => all.get(k) as string);
  if (!sel.shard) return sorted;
  const { index, count } = sel.shard;
  return sorted.filter((_, i) => i % count === index);
}

/** Bytes of an input, for progress; a file that vanished counts as empty (its read fails later). */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
