/**
 * The CLI's single error path: one clear line (plus the hint, when there is one), a stack trace
 * only at -vv, and an exit code per error class so scripts can branch on it.
 */
import {
  ConfigError,
  ConversionError,
  InputError,
  RegionError,
  RetryLimitExceededError,
  ZarrifyError,
} from "../errors.js";
import { asUserError } from "../os-error.js";

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  input: 3,
  region: 4,
  retryLimit: 5,
  incomplete: 6,
} as const;

export function exitCodeFor(raw: unknown): number {
  const err = asUserError(raw);
  if (err instanceof ConfigError) return EXIT.usage;
  if (err instanceof InputError) return EXIT.input;
  if (err instanceof RegionError) return EXIT.region;
  if (err instanceof RetryLimitExceededError) return EXIT.retryLimit;
  if (err instanceof ConversionError) return EXIT.failure;
  return EXIT.failure;
}

export function formatError(raw: unknown, verbosity: number): string {
  // An OS error that reached here unwrapped is still the user's environment, not a bug.
  const err = asUserError(raw);
  const lines: string[] = [];
  if (err instanceof ZarrifyError) {
    lines.push(`zarrify: error: ${err.message}`);
    const hint = err.hintFor("cli");
    if (hint) lines.push(`  hint: ${hint}`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    lines.push(`zarrify: internal error: ${message}`);
    lines.push("  hint: this is a bug in zarrify; rerun with -vv and report the output");
  }
  if (verbosity >= 2 && raw instanceof Error && raw.stack) lines.push(raw.stack);
  return lines.join("\n");
}
