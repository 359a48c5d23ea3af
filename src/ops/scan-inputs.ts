/**
 * What laying out one archive from many files must know from all of them, not only the first:
 * the data range of each variable to pack that has no declared range (a range from the first file
 * alone would clip the others), and the longest string of each string variable (Zarr v3 stores
 * strings at a fixed length). Multi-file convert gathers both in the pass that reads each file's
 * time axis or record count.
 */
import type { ZarrifyConfig } from "../config/schema.js";
import type { Dataset } from "../dataset/types.js";
import { openDataset } from "../readers/index.js";
import { widenScannedRanges } from "./packing.js";
import { type StringLengths, widenStringLengths } from "./strings.js";

export interface InputScan {
  ranges: Record<string, { min: number; max: number }>;
  strings: StringLengths;
}

/** Opens each file in turn, widens the scan by it, and hands it to `visit` before closing it. */
export async function scanInputs<T>(
  files: readonly string[],
  config: ZarrifyConfig,
  visit: (ds: Dataset, path: string) => Promise<T>,
): Promise<{ scan: InputScan; results: T[] }> {
  const scan: InputScan = { ranges: {}, strings: new Map() };
  const results: T[] = [];
  for (const path of files) {
    const ds = await openDataset(path, { group: config.group });
    try {
      results.push(await visit(ds, path));
      await widenScannedRanges(ds, config, scan.ranges);
      await widenStringLengths(ds, config.zarrFormat, scan.strings);
    } finally {
      await ds.close();
    }
  }
  return { scan, results };
}
