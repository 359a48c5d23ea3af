/**
 * What normalising any layer's raw mapping needs: key spellings (snake_case, kebab-case →
 * camelCase, and back for messages), unknown keys refused with the closest valid one, and
 * "a,b" strings as lists.
 */
import { ConfigError } from "../errors.js";
import { closest } from "../suggest.js";
import { type ConfigPath, type ConfigSource, fixHint, where } from "./source.js";

export function toCamelCase(key: string): string {
  return key.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function toSnakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Rename `raw`'s keys to the canonical camelCase ones, failing on unknown keys (with the closest
 * valid one) and on a key given twice in two spellings.
 */
export function canonicalKeys(
  raw: Record<string, unknown>,
  allowed: readonly string[],
  source: ConfigSource,
  path: ConfigPath,
  what: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const spelledAs: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    const canonical = toCamelCase(key);
    if (!allowed.includes(canonical)) {
      const guess = closest(key, allowed);
      const shown = guess && key.includes("_") ? toSnakeCase(guess) : guess;
      const suggestion = guess
        ? `; did you mean '${shown}'?`
        : `; valid ${what}s: ${allowed.map((k) => (key.includes("_") ? toSnakeCase(k) : k)).join(", ")}`;
      throw new ConfigError(
        `${where(source, [...path, key])}: unknown ${what} '${key}'${suggestion}`,
        { hint: guess ? `rename '${key}' to '${shown}'` : fixHint(source) },
      );
    }
    if (canonical in spelledAs) {
      throw new ConfigError(
        `${where(source, [...path, key])}: '${spelledAs[canonical]}' and '${key}' are the same option; give it once`,
        { hint: `remove one of '${spelledAs[canonical]}' and '${key}'` },
      );
    }
    spelledAs[canonical] = key;
    if (value !== undefined) out[canonical] = value;
  }
  return out;
}

export function splitList(value: unknown): unknown {
  return typeof value === "string"
    ? value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : value;
}
