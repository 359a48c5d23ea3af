/** zarrify's own version, from its package.json. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./package-files.js";

let cached: string | undefined;

export function version(): string {
  cached ??= JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8"))
    .version as string;
  return cached as string;
}
