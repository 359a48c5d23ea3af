/**
 * What the remote-input tests compare: everything a Dataset shows (dimensions, attributes,
 * variables and every value, hashed) and every group below it, so a file read by URL can be
 * checked against the same file opened locally.
 */
import { createHash } from "node:crypto";
import type { Dataset } from "../../src/dataset/types.js";

export interface Snapshot {
  format: string;
  group: string;
  dims: unknown;
  attrs: unknown;
  variables: { name: string; dtype: string; shape: number[]; attrs: unknown; values: string }[];
  children: Snapshot[];
}

const json = (v: unknown) =>
  JSON.stringify(v, (_k, x) =>
    typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? [...x] : x,
  );

export async function snapshot(ds: Dataset): Promise<Snapshot> {
  const variables: Snapshot["variables"] = [];
  for (const v of ds.variables) {
    const values = await v.read(
      v.shape.map(() => 0),
      v.shape.slice(),
    );
    const hash = createHash("sha256");
    if (Array.isArray(values)) hash.update(json(values));
    else hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    variables.push({
      name: v.name,
      dtype: v.dtype,
      shape: v.shape,
      attrs: JSON.parse(json(v.attrs)),
      values: hash.digest("hex"),
    });
  }
  const children: Snapshot[] = [];
  for (const child of ds.children?.() ?? []) children.push(await snapshot(child));
  return {
    format: ds.format,
    group: ds.group,
    dims: ds.dims,
    attrs: JSON.parse(json(ds.attrs)),
    variables,
    children,
  };
}
