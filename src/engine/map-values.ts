/**
 * A piece's values in the archive's stored form, by its ValueMapping: the one place read values
 * are turned into what the archive stores, for every verb.
 */
import type { DataArray } from "../dataset/types.js";
import { ConversionError } from "../errors.js";
import { hint, opt } from "../hint.js";
import { packValues } from "../plan/packing.js";
import { toArchive } from "../region/values.js";
import type { ValueMapping } from "./job.js";

export interface Mapped {
  data: DataArray;
  /** Values outside the archive's range, clipped to it. */
  outOfRange: number;
}

function pack(raw: DataArray, mapping: Extract<ValueMapping, { kind: "pack" }>, where: string) {
  const { packing } = mapping;
  if (!(raw instanceof Float32Array || raw instanceof Float64Array)) {
    throw new ConversionError(`${where}: only float data can be packed`);
  }
  const r = packValues(raw, packing.params, undefined, { missing: packing.missing });
  const outOfRange = r.belowMin + r.aboveMax;
  if (outOfRange > 0 && packing.onExceeded === "error") {
    const { min, max } = packing.params;
    const from =
      packing.rangeSource === "data"
        ? "the data"
        : packing.rangeSource === "manual"
          ? "packing.manualRanges"
          : "its valid_min/valid_max";
    throw new ConversionError(
      `${where}: ${outOfRange} value(s) outside the packing range [${min}, ${max}] (from ${from})`,
      {
        hint: hint`widen the range with ${opt("packing.manualRanges")}, or set ${opt("packing.rangeExceededAction", "warn")} to clip them`,
      },
    );
  }
  return { data: r.packed, outOfRange };
}

/** `where` names the variable for errors ("variable 't2m'", "in.nc: t2m"). */
export function mapValues(raw: DataArray, mapping: ValueMapping, where: string): Mapped {
  switch (mapping.kind) {
    case "same":
      return { data: raw, outOfRange: 0 };
    case "pack":
      return pack(raw, mapping, where);
    case "form": {
      const r = toArchive(raw, mapping.src, mapping.dst, where);
      return { data: r.data, outOfRange: r.clipped };
    }
  }
}
