/**
 * Verbs take one options object: their own keys plus any configuration key (the seed's
 * `create_template(template_dataset=..., chunking=...)` style). The configuration part goes
 * through the schema, which rejects unknown keys, so the verb's own keys are taken out first.
 */
export function splitOptions<T extends object, K extends keyof T>(
  all: T,
  own: readonly K[],
): { own: Pick<T, K>; config: Omit<T, K> } {
  const mine = {} as Pick<T, K>;
  const config = { ...all } as T;
  for (const key of own) {
    if (key in all) mine[key] = all[key];
    delete config[key];
  }
  return { own: mine, config };
}
