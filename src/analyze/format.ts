/**
 * Numbers as the analyze report writes them, in its advice sentences and its tables alike, so a
 * size or step reads the same wherever it appears.
 */
import { MIB } from "./sizes.js";

/** Three significant digits, no trailing zeros. */
export function sig(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** "4.21 MB", "37.5 KB", "812 B" (MB = 2^20 bytes, as everywhere in zarrify). */
export function formatBytes(bytes: number): string {
  if (bytes >= MIB) return `${sig(bytes / MIB)} MB`;
  if (bytes >= 1024) return `${sig(bytes / 1024)} KB`;
  return `${bytes} B`;
}

export function formatNumber(x: number): string {
  if (x === 0) return "0";
  return Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3 ? x.toExponential(2) : sig(x);
}
