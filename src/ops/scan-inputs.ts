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

/** Files opened at once: opening is mostly h5wasm on this thread, the rest is reads to overlap. */
const OPEN_IN_FLIGHT = 4;

/**
 * Datasets a scan leaves open for the caller's next pass at most (`keep`): each saves that pass
 * an open (~20 ms of this thread), and each holds two descriptors and HDF5's cache of its
 * metadata meanwhile.
 */
export const KEPT_OPEN = 32;

/**
 * Opens each file, widens the scan by it, and hands it to `visit` before closing it; results in
 * the files' order. A few files are open at once, so one's reads overlap another's parsing. A
 * failure stops the scan and is reported for the first failing file in the list, as a scan one
 * file at a time would: every file before it was opened by then.
 */
export async function scanInputs<T>(
  files: readonly string[],
  config: ZarrifyConfig,
  visit: (ds: Dataset, path: string) => Promise<T>,
  /**
   * Datasets open already (taken instead of opening the file, and left open), and where up to
   * KEPT_OPEN of those the scan opens are left open instead of closed; the caller closes them.
   */
  keep?: Map<string, Dataset>,
): Promise<{ scan: InputScan; results: T[] }> {
  const scan: InputScan = { ranges: {}, strings: new Map() };
  const results: T[] = new Array(files.length);
  const failures = new Map<number, unknown>();
  let next = 0;
  const one = async (i: number) => {
    const path = files[i];
    const kept = keep?.get(path);
    const ds = kept ?? (await openDataset(path, { group: config.group }));
    let close = kept === undefined;
    try {
      results[i] = await visit(ds, path);
      // Widening takes minima and maxima: the same whatever order the files finish in.
      await widenScannedRanges(ds, config, scan.ranges);
      await widenStringLengths(ds, config.zarrFormat, scan.strings);
      if (close && keep && keep.size < KEPT_OPEN && !keep.has(path)) {
        keep.set(path, ds);
        close = false;
      }
    } finally {
      if (close) await ds.close();
    }
  };
  const lane = async () => {
    while (next < files.length && failures.size === 0) {
      const i = next++;
      await one(i).catch((err) => {
        failures.set(i, err);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPEN_IN_FLIGHT, files.length) }, lane));
  if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
  return { scan, results };
}
