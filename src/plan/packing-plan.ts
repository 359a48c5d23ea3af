/**
 * Which variables get packed, into what, and what their ArrayPlan becomes. Pure: the range is
 * passed in (from the config, the attributes, or a data scan the op did).
 *
 * Packed: float32/float64 variables that are data, not coordinates — not a dimension coordinate,
 * not named by any `coordinates` or `bounds` attribute, not time-like — and not in
 * `packing.exclude`. Range priority (SPEC §3): `manualRanges` > `valid_min`/`valid_max`/
 * `valid_range` > the data's own range widened by `autoBufferFactor`.
 */
import type { ZarrifyConfig } from "../config/schema.js";
import { auxiliaryNames, isDimensionCoordinate, isTimeLike } from "../dataset/coords.js";
import type { Dataset, DType, Variable } from "../dataset/types.js";
import {
  type ArrayPacking,
  type PackAttrType,
  packingParams,
  type RangeSource,
  rangeFromAttributes,
  widenRange,
} from "./packing.js";
import type { ArrayPlan } from "./write-plan.js";

export type PackingConfig = ZarrifyConfig["packing"];

/** Variables the packing config applies to. */
export function packableVariables(
  ds: Dataset,
  variables: readonly Variable[],
  config: PackingConfig,
): Variable[] {
  if (!config.enabled) return [];
  const coordinates = auxiliaryNames(ds);
  return variables.filter(
    (v) =>
      (v.dtype === "float32" || v.dtype === "float64") &&
      v.dims.length > 0 &&
      !isDimensionCoordinate(v) &&
      !coordinates.has(v.name) &&
      !isTimeLike(v) &&
      !config.exclude.includes(v.name),
  );
}

function scalars(value: unknown): number[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((x): x is number => typeof x === "number");
}

export function missingValues(v: Variable): number[] {
  return [...scalars(v.attrs._FillValue), ...scalars(v.attrs.missing_value)];
}

/** The range that needs no data scan, with where it came from; undefined: scan the data. */
export function declaredRange(
  v: Variable,
  config: PackingConfig,
): { min: number; max: number; source: RangeSource } | undefined {
  const manual = config.manualRanges[v.name];
  if (manual) return { ...manual, source: "manual" };
  const attrs = rangeFromAttributes(v.attrs, v.name);
  return attrs && { ...attrs, source: "attributes" };
}

export function packingFor(
  v: Variable,
  config: PackingConfig,
  range: { min: number; max: number; source: RangeSource },
): ArrayPacking {
  const widened =
    range.source === "data" || range.min === range.max
      ? widenRange(range.min, range.max, range.source === "data" ? config.autoBufferFactor : 0)
      : range;
  const attrType: PackAttrType = v.dtype === "float32" ? "float32" : "float64";
  return {
    params: packingParams(widened.min, widened.max, config.bits, attrType),
    missing: missingValues(v),
    rangeSource: range.source,
    onExceeded: config.checkRangeExceeded ? config.rangeExceededAction : "ignore",
  };
}

/** The ArrayPlan of a packed variable: integer dtype, CF packing attributes, reserved fill. */
export function packArray(array: ArrayPlan, packing: ArrayPacking, sourceDtype: DType): ArrayPlan {
  const { params } = packing;
  const attrs = { ...array.attrs };
  delete attrs.missing_value;
  attrs._FillValue = params.fillValue;
  attrs.scale_factor = params.scaleFactor;
  attrs.add_offset = params.addOffset;
  const attrType = sourceDtype === "float32" ? "float32" : "float64";
  return {
    ...array,
    dtype: params.dtype,
    attrs,
    attrTypes: {
      ...(array.attrTypes ?? {}),
      _FillValue: params.dtype,
      scale_factor: attrType,
      add_offset: attrType,
    },
    fillValue: params.fillValue,
    packing,
  };
}
