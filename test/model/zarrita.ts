/**
 * The archive's t2m as zarrita reads it: an independent reader (metadata, codecs, shards, fill
 * values), compared with zarrify's own reading of the same archive.
 */
import * as zarr from "zarrita";
import { fsReader } from "../helpers/zarrita.js";

export async function zarritaT2m(archive: string, format: 2 | 3): Promise<Float32Array> {
  const store = await zarr.withConsolidatedMetadata(fsReader(archive, { strictJson: true }), {
    format: format === 2 ? "v2" : "v3",
  });
  const root = await zarr.open(store, { kind: "group" });
  const arr = await zarr.open(root.resolve("t2m"), { kind: "array" });
  return (await zarr.get(arr)).data as Float32Array;
}

/** Same values, NaN equal to NaN; the first differences as lines. */
export function sameCells(a: ArrayLike<number>, b: ArrayLike<number>): string[] {
  const out: string[] = [];
  if (a.length !== b.length) return [`lengths ${a.length} and ${b.length}`];
  for (let i = 0; i < a.length && out.length < 10; i++) {
    if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) {
      out.push(`cell ${i}: ${a[i]} and ${b[i]}`);
    }
  }
  return out;
}
