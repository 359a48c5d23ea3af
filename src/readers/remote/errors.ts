/**
 * How a remote read fails. Fetchers throw the plain errors below for what a response means; the
 * source turns every failure it gives up on into one InputError line naming the URL, with what to
 * do (fetcher.failure).
 */
import { InputError } from "../../errors.js";

/** The object is not the version the reader pinned (412 to a conditional read, or other headers). */
export class ChangedError extends Error {
  override name = "ChangedError";
}

/** The server answered a Range request with the whole object (200, not 206). */
export class NoRangeError extends Error {
  override name = "NoRangeError";
}

/** A response whose body ended before the bytes it promised (retried like a dropped connection). */
export class TruncatedError extends Error {
  override name = "TruncatedError";
}

export function changedError(url: string, what: string, cause?: unknown): InputError {
  return new InputError(`${url}: the object changed while it was being read (${what})`, {
    path: url,
    cause,
    hint: "zarrify reads the version it opened and nothing else; run the command again once the object is no longer being replaced (nothing read after the change was kept)",
  });
}

export function noRangeError(url: string): InputError {
  return new InputError(
    `${url}: the server does not honour Range requests (it answered 200 with the whole file, not 206)`,
    {
      path: url,
      hint: "zarrify reads remote inputs by byte ranges; download the file first (curl -O) and convert the local copy, or serve it from a server with range support",
    },
  );
}
