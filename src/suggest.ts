/**
 * "Did you mean" for names the user typed: config keys, environment variables, dimension names.
 * A suggestion is only made when it is plausibly what was meant, so a wrong guess never misleads.
 */

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, "");

/**
 * The candidate closest to `word` ignoring case and separators, if it is within `maxDistance` edits
 * (default: half the word's length, at least 2), i.e. plausibly a typo.
 */
export function closest(
  word: string,
  candidates: readonly string[],
  maxDistance?: number,
): string | undefined {
  const w = norm(word);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = levenshtein(w, norm(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= (maxDistance ?? Math.max(2, Math.ceil(w.length / 2))) ? best : undefined;
}

/**
 * The name `word` most likely stands for: a typo (`tiem` → `time`), or an abbreviation that is
 * the start of exactly one candidate (`lat` → `latitude`, `lon` → `longitude`), which edit
 * distance alone misses because the full names are many edits away.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = norm(word);
  if (w === "") return undefined;
  // The abbreviation first: "lat" is 2 edits from "lev" but means "latitude".
  const prefixed = candidates.filter((c) => norm(c).startsWith(w));
  if (prefixed.length === 1) return prefixed[0];
  return closest(word, candidates);
}
