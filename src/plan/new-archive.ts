/**
 * What every new archive's plan starts from, whichever verb lays it out (convert, multi-file
 * convert, create-template, analyze's trial conversion): the variables to write and the encoding
 * options, both from the configuration. Pure, like the rest of plan/; the verbs in ops/ share it
 * without importing each other.
 */
import type { ZarrifyConfig } from "../config/schema.js";
import { selectVariables } from "../dataset/coords.js";
import type { Dataset, Variable } from "../dataset/types.js";
import { InputError } from "../errors.js";
import { hint, opt } from "../hint.js";
import { parseCompression } from "../zarr/compression.js";
import { refuseUnknownChunkDims } from "./chunk-dims.js";
import type { ConvertPlanOptions } from "./convert-plan.js";

/** The seed's examples use it throughout; Debian's numcodecs and zarrita both decode it. */
export const DEFAULT_COMPRESSION = "blosc:zstd:3";

/**
 * Variables to write: the selection, refusing what the reader could not represent. Every new
 * archive (convert, create-template, multi-file convert) is planned through here, so this is also
 * where chunk lengths are checked against the input's dimensions.
 */
export function selectForWrite(ds: Dataset, config: ZarrifyConfig): Variable[] {
  // A group's variables may use dimensions declared in a parent group: both count.
  const dims = new Set([...ds.dims.map((d) => d.name), ...ds.variables.flatMap((v) => v.dims)]);
  refuseUnknownChunkDims(config.chunking, [...dims], ds.path);
  if (config.shards !== "auto") refuseUnknownChunkDims(config.shards, [...dims], ds.path, "shards");
  const variables = selectVariables(
    ds,
    config.variables,
    config.dropVariables,
    (ds.unsupported ?? []).map((u) => u.name),
  );
  refuseUnrepresentable(ds, config);
  return variables;
}

/** Never drop data silently: an unrepresentable variable the selection includes is an error. */
function refuseUnrepresentable(ds: Dataset, config: ZarrifyConfig): void {
  const all = ds.unsupported ?? [];
  const included = config.variables?.length
    ? all.filter((u) => config.variables?.includes(u.name))
    : all;
  const hit = included.filter((u) => !config.dropVariables?.includes(u.name));
  if (hit.length > 0) {
    const list = hit.map((u) => `'${u.name}' (${u.reason})`).join(", ");
    throw new InputError(`${ds.path}: cannot convert variable ${list}`, {
      path: ds.path,
      hint: hint`leave it out with ${opt(
        "dropVariables",
        hit.map((u) => u.name),
      )}`,
    });
  }
}

/** The encoding part of the plan options, from the configuration. */
export function encodingOptions(
  config: ZarrifyConfig,
  timeDim: string | undefined,
): ConvertPlanOptions {
  return {
    zarrFormat: config.zarrFormat,
    compression: parseCompression(config.compression ?? DEFAULT_COMPRESSION),
    chunking: config.chunking ?? {},
    targetChunkSizeMb: config.targetChunkSizeMb,
    extraAttrs: config.attrs,
    timeDim,
  };
}
