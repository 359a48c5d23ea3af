/**
 * Field schemas more than one config area uses, and unwrapSchema for the code that reads the
 * schema back field by field (environment coercion, the docs table).
 */
import { z } from "zod";

export const positiveInt = (what: string) =>
  z
    .number({ invalid_type_error: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`);

export const dimensionLengths = z.record(z.string().min(1), positiveInt("a positive integer"));

export const names = z.array(z.string().min(1), {
  invalid_type_error: "must be a list of names (or one comma-separated string)",
});

/** The schema under optional/default/nullable/effects wrappers. */
export function unwrapSchema(t: z.ZodTypeAny): z.ZodTypeAny {
  if (t instanceof z.ZodDefault || t instanceof z.ZodOptional || t instanceof z.ZodNullable) {
    return unwrapSchema(t._def.innerType);
  }
  if (t instanceof z.ZodEffects) return unwrapSchema(t._def.schema);
  return t;
}
