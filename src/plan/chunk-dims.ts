/**
 * Chunk and shard lengths must name dimensions the input has. A misspelt or guessed name (`tiem:10`, or
 * `lat:` on data whose dimension is `latitude`) would otherwise be dropped without a word and the
 * archive written with chunks nobody asked for.
 */
import { ConfigError } from "../errors.js";
import { hint, opt } from "../hint.js";
import { didYouMean } from "../suggest.js";

/**
 * Refuses chunk lengths for dimensions not in `dims` (the dimensions of the whole input: a name
 * that only some variables have is fine, it chunks those). `source` names the input in the message.
 */
export function refuseUnknownChunkDims(
  chunking: Readonly<Record<string, number>> | undefined,
  dims: readonly string[],
  source: string,
  key: "chunking" | "shards" = "chunking",
): void {
  const unknown = Object.keys(chunking ?? {}).filter((d) => !dims.includes(d));
  if (unknown.length === 0) return;
  const guesses = unknown.map((d) => [d, didYouMean(d, dims)] as const);
  const named = guesses
    .map(([d, guess]) => (guess ? `'${d}' (did you mean '${guess}'?)` : `'${d}'`))
    .join(", ");
  const [first, guess] = guesses[0];
  const dim = guess ?? dims[0] ?? first;
  const length = chunking?.[first];
  throw new ConfigError(
    `${key}: ${source} has no dimension ${named}; its dimensions are ${dims.join(", ") || "none"}`,
    {
      hint: hint`name the input's dimensions, e.g. ${opt(key, { [dim]: length })}`,
    },
  );
}
