/**
 * Where a layer of config input came from, and how a value that fails its check is reported:
 * the source (with the file line when known), the option as the user wrote it, and one
 * readable reason instead of zod's issue list.
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";
import type { Hint } from "../hint.js";

export type ConfigPath = (string | number)[];

/** Where a layer came from, for error messages. */
export interface ConfigSource {
  /** "options", "environment", "config file era5.yaml"... */
  name: string;
  /** Line of the value at `path` (keys as the user wrote them), for files. */
  line?(path: ConfigPath): number | undefined;
  /** What to call the value at `path`; default: the dotted path in quotes. */
  label?(path: ConfigPath): string | undefined;
}

export const OPTIONS_SOURCE: ConfigSource = { name: "options" };

export function where(source: ConfigSource, path: ConfigPath): string {
  const line = source.line?.(path);
  return line === undefined ? source.name : `${source.name}:${line}`;
}

/**
 * What to do about a bad value whose check has no advice of its own: where to correct it, and
 * where every option's form is written down.
 */
export function fixHint(source: ConfigSource): string {
  const docs = "docs/configuration.md lists every option and its values";
  if (source.name === "environment") return `correct or unset the variable; ${docs}`;
  if (source.line !== undefined) return `correct it in ${source.name}; ${docs}`;
  return docs;
}

function fail(source: ConfigSource, path: ConfigPath, message: string, hint?: Hint): never {
  const label = source.label?.(path) ?? `'${path.join(".")}'`;
  throw new ConfigError(`${where(source, path)}: ${label} ${message}`, {
    hint: hint ?? fixHint(source),
  });
}

/**
 * The issue to report. A failed union (string | object, boolean | object...) hides why the
 * alternative the user meant failed; when one alternative failed deeper inside the value, that
 * is the one.
 */
function innermost(issue: z.ZodIssue): z.ZodIssue {
  if (issue.code !== z.ZodIssueCode.invalid_union) return issue;
  for (const e of issue.unionErrors) {
    const deeper = e.issues.find((i) => i.path.length > issue.path.length);
    if (deeper) return innermost(deeper);
  }
  return issue;
}

const EXPECTED: Record<string, string> = {
  number: "a number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  integer: "a whole number",
};

function describeIssue(issue: z.ZodIssue): string {
  if (issue.code === z.ZodIssueCode.invalid_type) {
    if (issue.received === "undefined") return "is required";
    // Messages the schema set itself say it better than the generic one.
    if (!issue.message.startsWith("Expected")) return issue.message;
    return `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${issue.received}`;
  }
  if (issue.code === z.ZodIssueCode.invalid_enum_value) {
    return `must be one of ${issue.options.join(", ")}, not '${String(issue.received)}'`;
  }
  if (issue.code === z.ZodIssueCode.too_small && issue.type === "string") return "cannot be empty";
  return issue.message;
}

export function check<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  source: ConfigSource,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = innermost(result.error.issues[0]);
  // An empty key in a record ({"": 5}) is reported on the record itself.
  if (issue.path.at(-1) === "") fail(source, issue.path.slice(0, -1), "has an empty name");
  // A refinement may carry the hint of the error it reports (compression: the valid forms).
  const hint = issue.code === z.ZodIssueCode.custom ? (issue.params?.hint as Hint) : undefined;
  fail(source, issue.path, describeIssue(issue), hint);
}
