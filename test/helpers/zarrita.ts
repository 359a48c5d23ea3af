import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** The read-only store zarrita needs, over a directory: an independent reader of our output. */
export function fsReader(root: string) {
  return {
    async get(key: string): Promise<Uint8Array | undefined> {
      try {
        return new Uint8Array(await readFile(join(root, key)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
    },
  };
}
