/** zarrify's own version, from package.json (one level up from both src/ and dist/). */
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function version(): string {
  cached ??= JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
    .version as string;
  return cached as string;
}
