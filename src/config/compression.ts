/**
 * The compression option: its object form ({method, clevel, shuffle, cname}, the alternative to
 * a string such as "blosc:zstd:3"), the keys a layer may spell it with, and its check.
 */
import { z } from "zod";
import { CompressionError, parseCompression } from "../zarr/compression.js";

export const compressionObject = z
  .object({
    method: z.string({ required_error: "needs a method" }).min(1),
    clevel: z.number().int().min(0).optional(),
    shuffle: z.string().min(1).optional(),
    cname: z.string().min(1).optional(),
  })
  .strict();

/**
 * A compression string or object is checked with the parser the writer uses, so a bad one fails
 * here, naming its source, instead of when the first array is laid out (or never, for verbs
 * that write no chunks). The value itself stays as given: it is parsed again where it is used.
 */
export function checkCompression(
  value: string | z.output<typeof compressionObject>,
  ctx: z.RefinementCtx,
) {
  try {
    parseCompression(value);
  } catch (err) {
    if (!(err instanceof CompressionError)) throw err;
    const shown = JSON.stringify(value);
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `${shown} is invalid: ${err.reason}`,
      params: { hint: err.hintText },
    });
  }
}

export const COMPRESSION_KEYS = Object.keys(compressionObject.shape);
