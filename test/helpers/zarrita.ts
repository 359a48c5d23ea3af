import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * zarr-python writes non-finite attributes as Python json's bare NaN/Infinity tokens, which
 * zarrita's JSON.parse rejects: as strings, zarrita can still check everything else.
 */
function nanTokensAsStrings(text: string): string {
  return text.replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1"$2"');
}

/**
 * The read-only store zarrita needs, over a directory: an independent reader of our output.
 * `strictJson` quotes bare NaN/Infinity in metadata documents (see nanTokensAsStrings).
 */
export function fsReader(root: string, options: { strictJson?: boolean } = {}) {
  const reader = {
    async get(key: string): Promise<Uint8Array | undefined> {
      try {
        const bytes = new Uint8Array(await readFile(join(root, key)));
        if (options.strictJson && key.endsWith("zarr.json")) {
          return new TextEncoder().encode(nanTokensAsStrings(new TextDecoder().decode(bytes)));
        }
        return bytes;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
    },
    /** zarrita reads shards by range: their index (a suffix), then each inner chunk. */
    async getRange(
      key: string,
      range: { offset: number; length: number } | { suffixLength: number },
    ): Promise<Uint8Array | undefined> {
      const whole = await reader.get(key);
      if (whole === undefined) return undefined;
      if ("suffixLength" in range) return whole.subarray(whole.length - range.suffixLength);
      return whole.subarray(range.offset, range.offset + range.length);
    },
  };
  return reader;
}
