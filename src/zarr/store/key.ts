/**
 * Store key validation shared by the store implementations.
 *
 *   checkKey(key): string          returns the key or throws ConversionError
 *   checkPrefix(prefix): string    like checkKey, but "" (the root) is allowed
 */
import { ConversionError } from "../../errors.js";

const RESERVED_SUFFIXES = [".zarrify-tmp", ".zarrify-lock"];

export function checkKey(key: string): string {
  const parts = key.split("/");
  const bad =
    key === "" ||
    parts.some((p) => p === "" || p === "." || p === "..") ||
    key.includes("\\") ||
    key.includes("\0") ||
    RESERVED_SUFFIXES.some((s) => key.endsWith(s));
  if (bad) throw new ConversionError(`Invalid store key ${JSON.stringify(key)}.`);
  return key;
}

export function checkPrefix(prefix: string): string {
  return prefix === "" ? prefix : checkKey(prefix.replace(/\/$/, ""));
}
