/**
 * String lengths for Zarr v3. xarray writes strings as fixed-length UTF-32 (`<Un`) and reads
 * them back as such; variable-length strings would come back as `object`. So a v3 archive's
 * string arrays get the length of their longest string, measured from the data when the archive
 * is laid out (this is I/O, hence here and not in plan/), and a region write checks its file's
 * strings fit before it writes anything.
 */
import type { Dataset, Variable } from "../dataset/types.js";
import { RegionError } from "../errors.js";
import type { WritePlan } from "../plan/write-plan.js";
import { codePointLength } from "../zarr/codecs/utf32.js";
import type { ArrayMeta } from "../zarr/metadata.js";

/** The longest string of a string variable, in code points (0 when empty). */
export async function longestString(v: Variable): Promise<number> {
  if (v.shape.some((n) => n === 0)) return 0;
  const values = (await v.read(
    v.shape.map(() => 0),
    v.shape,
  )) as string[];
  let longest = 0;
  for (const s of values) longest = Math.max(longest, codePointLength(s ?? ""));
  return longest;
}

/** Longest strings per variable name, over every file a multi-file archive is laid out from. */
export type StringLengths = Map<string, number>;

/** Widens `lengths` by `ds`'s string variables (Zarr v3 only: v2 strings have no length). */
export async function widenStringLengths(
  ds: Dataset,
  zarrFormat: 2 | 3,
  lengths: StringLengths,
): Promise<void> {
  if (zarrFormat !== 3) return;
  for (const v of ds.variables) {
    if (v.dtype !== "string") continue;
    lengths.set(v.name, Math.max(lengths.get(v.name) ?? 0, await longestString(v)));
  }
}

/**
 * The plan with `stringLength` set on every string array of a Zarr v3 plan: the longest string
 * of `ds`, or of all the files `known` was widened by.
 */
export async function sizeStrings(
  ds: Dataset,
  plan: WritePlan,
  known?: ReadonlyMap<string, number>,
): Promise<WritePlan> {
  if (plan.zarrFormat !== 3 || !plan.arrays.some((a) => a.dtype === "string")) return plan;
  const byName = new Map(ds.variables.map((v) => [v.name, v]));
  const arrays = await Promise.all(
    plan.arrays.map(async (a) => {
      const v = byName.get(a.source);
      if (a.dtype !== "string" || v === undefined) return a;
      const longest = known?.get(a.source) ?? (await longestString(v));
      return { ...a, stringLength: Math.max(1, longest) };
    }),
  );
  return { ...plan, arrays };
}

/** Refuses, before anything is written, a file whose strings are longer than the archive's. */
export async function checkStringsFit(
  ds: Dataset,
  targets: readonly { name: string; meta: ArrayMeta }[],
): Promise<void> {
  for (const { name, meta } of targets) {
    if (meta.dtype !== "string" || meta.stringLength === undefined) continue;
    const v = ds.variables.find((x) => x.name === name);
    if (v === undefined) continue;
    const longest = await longestString(v);
    if (longest > meta.stringLength) {
      throw new RegionError(
        `${ds.path}: variable '${name}' holds strings of up to ${longest} characters; the archive stores at most ${meta.stringLength}`,
        {
          hint: "Zarr v3 strings have the fixed length of the longest string seen when the archive was laid out: recreate the template from a file with the longest strings, or use Zarr v2",
        },
      );
    }
  }
}
