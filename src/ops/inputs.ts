/**
 * Input file lists for many-file verbs: paths, glob patterns (`*`, `?`, `[...]`, `**`), and list
 * files (`--files-from`, one path per line, `#` comments), then `--shard i/n` for job arrays.
 * Node 20 has no fs.glob, and a shell may not expand quoted patterns, so zarrify expands them.
 * Remote inputs take part as they are: s3:// and http(s):// URLs in arguments and list files,
 * and s3:// patterns, which list the bucket (readers/remote/list.ts); http has no listing, so an
 * http(s) URL with a pattern in it is refused with what to do instead.
 *
 * The result is sorted and de-duplicated: every shard of a job array computes the same list, so
 * "every n-th file" partitions it exactly.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { ConfigError, InputError } from "../errors.js";
import { hint, message, opt } from "../hint.js";
import { inputLocation, isRemoteInput } from "../location.js";
import { inputIdentity } from "../readers/identity.js";
import { hasGlob, listS3Pattern } from "../readers/remote/list.js";
import { isUtf8, legibleName } from "../util/file-name.js";
import { GLOB_MAGIC, segmentSource } from "../util/glob.js";

function segmentRegex(segment: string): RegExp {
  return new RegExp(`^${segmentSource(segment)}$`);
}

interface Entry {
  name: string;
  dir: boolean;
  /** The name's bytes when they are not valid UTF-8 (`name` then has U+FFFD in their place). */
  invalid?: Buffer;
}

function listDir(dir: string): Entry[] {
  try {
    // As bytes: a name that is not UTF-8 would otherwise come back as another name, silently.
    return readdirSync(dir, { withFileTypes: true, encoding: "buffer" })
      .filter((e) => e.name[0] !== 0x2e)
      .map((e) => ({
        name: e.name.toString("utf8"),
        dir: e.isDirectory(),
        invalid: isUtf8(e.name) ? undefined : e.name,
      }));
  } catch {
    return [];
  }
}

/** A matching entry zarrify cannot open by name: refused, rather than left out of the inputs. */
function entryPath(base: string, e: Entry): string {
  if (e.invalid === undefined) return join(base, e.name);
  const shown = join(base, legibleName(e.invalid));
  throw new InputError(`${shown}: the name is not valid UTF-8, so zarrify cannot open it`, {
    path: shown,
    hint: "rename it to a UTF-8 name (e.g. with convmv -f latin1 -t utf-8), or use a pattern that leaves it out",
  });
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
    for (const e of listDir(base)) if (e.dir) expandFrom(entryPath(base, e), segments, out);
    return;
  }
  if (!GLOB_MAGIC.test(head)) {
    expandFrom(join(base, head), rest, out);
    return;
  }
  const re = segmentRegex(head);
  for (const e of listDir(base)) {
    if (re.test(e.name)) expandFrom(entryPath(base, e), rest, out);
  }
}

/** Files matching a pattern, absolute; a plain path is returned as given (errors name it so). */
export function expandPattern(pattern: string): string[] {
  if (!GLOB_MAGIC.test(pattern)) return [pattern];
  const absolute = resolve(pattern);
  const root = isAbsolute(absolute) ? sep : "";
  const segments = absolute.split(sep).filter(Boolean);
  const firstMagic = segments.findIndex((s) => GLOB_MAGIC.test(s));
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
      // A URL is taken as written (not relative to the list file); anything else is a path.
      if (inputLocation(l).kind !== "local") return l;
      return resolve(base, l);
    });
}

/**
 * What identifies an input in lists, markers and job ids: a local path made absolute, a URL as
 * written (URLs name one object whatever the working directory).
 */
export function inputKey(input: string): string {
  return isRemoteInput(input) ? input : resolve(input);
}

/** Sizes of remote inputs that a listing reported, so counting bytes needs no request each. */
const listedSizes = new Map<string, number>();

/** Files of one pattern or name: local ones expanded here, s3:// ones by listing the bucket. */
async function expandInput(pattern: string): Promise<string[]> {
  const loc = inputLocation(pattern);
  if (loc.kind === "local") return expandPattern(pattern);
  if (!hasGlob(loc.kind === "s3" ? loc.key : new URL(loc.url).pathname)) return [pattern];
  if (loc.kind === "http") {
    throw new ConfigError(`${pattern}: http(s) URLs cannot be patterns: http has no listing`, {
      hint: hint`name each URL, or list them one per line in a file for ${opt("filesFrom")}`,
    });
  }
  const found = await listS3Pattern(loc.bucket, loc.key);
  for (const o of found) listedSizes.set(o.url, o.size);
  return found.map((o) => o.url);
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

export async function collectInputs(sel: InputSelection): Promise<string[]> {
  // Keyed by absolute path, so a file named twice (relative, absolute, in a list) counts once;
  // the first spelling is kept for messages.
  const all = new Map<string, string>();
  const add = (f: string) => {
    const key = inputKey(f);
    if (!all.has(key)) all.set(key, f);
  };
  for (const p of sel.patterns) {
    const found = await expandInput(p);
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
export async function fileSize(path: string): Promise<number> {
  if (!isRemoteInput(path)) {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  }
  const listed = listedSizes.get(path);
  if (listed !== undefined) return listed;
  try {
    return (await inputIdentity(path)).size;
  } catch {
    return 0;
  }
}

/** `fileSize` of each input, a few remote ones at a time. */
export async function totalSize(paths: readonly string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < paths.length; i += 16) {
    const sizes = await Promise.all(paths.slice(i, i + 16).map(fileSize));
    total += sizes.reduce((a, b) => a + b, 0);
  }
  return total;
}
