/**
 * Operating-system errors (Node's errors with `code`, `syscall`, `path`) in words a user can act
 * on. A permission problem or a full disk is the user's environment, not a bug in zarrify, and
 * must read as such: one line naming the path, and what to do about it.
 */
import { ConversionError, InputError, type ZarrifyError } from "./errors.js";
import { message, opt } from "./hint.js";

export function isOsError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException | undefined;
  return e instanceof Error && typeof e.code === "string" && /^E[A-Z0-9]+$/.test(e.code);
}

/** What went wrong and what to do, per errno; `reading` picks the advice for inputs. */
const EXPLAIN: Record<string, (reading: boolean) => [string, string]> = {
  EACCES: (reading) => [
    "permission denied",
    reading
      ? "check the file's permissions (ls -l) and those of its directories"
      : "choose a location you can write to, or fix the permissions of the directory (ls -ld)",
  ],
  EPERM: (reading) => EXPLAIN.EACCES(reading),
  EROFS: () => ["read-only file system", "write to a location on a writable file system"],
  ENOTDIR: () => [
    "a component of the path is a file, not a directory",
    "check the path: a file stands where a directory is needed",
  ],
  EEXIST: () => [
    "already exists and is in the way",
    "remove or rename what is there, or choose another path",
  ],
  EISDIR: () => ["is a directory", "give a file path"],
  ENOENT: (reading) => [
    "no such file or directory",
    reading ? "check the path" : "check that the parent directories exist",
  ],
  ENOSPC: () => ["no space left on the device", "free some space, or write elsewhere"],
  EDQUOT: () => ["disk quota exceeded", "free some space or write elsewhere"],
  EMFILE: () => [
    "too many open files",
    message`raise the limit (ulimit -n) or use fewer ${opt("jobs")}`,
  ],
  ENFILE: () => EXPLAIN.EMFILE(false),
  ENAMETOOLONG: () => ["the path is too long", "choose a shorter path"],
  ELOOP: () => ["too many levels of symbolic links", "check the symbolic links on the path"],
  EIO: () => [
    "input/output error",
    "the device reported an error: check the disk or network mount",
  ],
  EBUSY: () => ["resource busy", "something else is using it; try again when it is free"],
  EXDEV: () => [
    "crosses file systems",
    "keep the output and its parent directory on one file system",
  ],
};

export interface OsErrorText {
  message: string;
  hint?: string;
}

/**
 * "<path>: <what> (<syscall>)" and a hint. `path` replaces the error's own when the caller knows
 * a better name for it (a store key rather than its temp file); `reading` says whether it was
 * being read (an input) rather than written.
 */
export function describeOsError(
  err: NodeJS.ErrnoException,
  options: { path?: string; reading?: boolean } = {},
): OsErrorText {
  const path = options.path ?? err.path;
  const known = EXPLAIN[err.code ?? ""]?.(options.reading ?? false);
  // Node's own message repeats code, syscall and path: keep only the words when the code is new.
  const what = known?.[0] ?? err.message.replace(/^E[A-Z0-9]+: /, "").replace(/, \w+ '.*'$/, "");
  const call = err.syscall ? ` (${err.syscall})` : "";
  return { message: `${path ? `${path}: ` : ""}${what}${call}`, hint: known?.[1] };
}

/**
 * An OS error as the ZarrifyError it is: InputError when reading an input, ConversionError
 * otherwise. `context` prefixes the message ("cannot create the output directory"). Anything
 * else is returned unchanged, so callers can `throw asUserError(err, ...)` in any catch.
 */
export function asUserError(
  err: unknown,
  options: { path?: string; reading?: boolean; context?: string } = {},
): unknown {
  if (!isOsError(err)) return err;
  const { message, hint } = describeOsError(err, options);
  const text = options.context ? `${options.context}: ${message}` : message;
  const made: ZarrifyError = options.reading
    ? new InputError(text, { cause: err, hint, path: options.path ?? err.path })
    : new ConversionError(text, { cause: err, hint });
  return made;
}
