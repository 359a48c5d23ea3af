/** Errors cross the worker boundary as plain objects; rebuild the typed class on this side. */
import {
  ConfigError,
  ConversionError,
  InputError,
  RegionError,
  RetryLimitExceededError,
  ZarrifyError,
} from "../errors.js";
import { Hint } from "../hint.js";
import type { SerializedError } from "./job.js";

const CLASSES: Record<string, typeof ZarrifyError> = {
  ZarrifyError,
  ConversionError,
  ConfigError,
  InputError,
  RegionError,
  RetryLimitExceededError,
};

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    return {
      name: err.name,
      message: err.message,
      hint: (err as ZarrifyError).hint,
      // The structure, so the receiving process renders options for its own caller.
      hintParts: (err as ZarrifyError).hintText?.parts,
      stack: err.stack,
    };
  }
  return { name: "Error", message: String(err) };
}

export function deserializeError(e: SerializedError): Error {
  const Class = CLASSES[e.name];
  const err = Class
    ? new Class(e.message, { hint: e.hintParts ? new Hint(e.hintParts) : e.hint })
    : new ConversionError(`internal error in a worker: ${e.message}`);
  if (e.stack) err.stack = e.stack;
  return err;
}
