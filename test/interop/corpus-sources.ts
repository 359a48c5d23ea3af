/**
 * What the corpus tests convert: the real files of ../shared/data/real, then our own fixtures
 * (test/fixtures), with the exceptions the reference stacks force on the comparison.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fixturesDir, real, realDir } from "../helpers/paths.js";

export const files = existsSync(realDir)
  ? readdirSync(realDir)
      .filter((f) => !f.endsWith(".md"))
      .sort()
  : [];

// The real corpus, then our own fixtures (test/fixtures, made by scripts/fixtures/*.py).
export const sources: [string, string][] = [
  ...files.map((f): [string, string] => [f, real(f)]),
  ...readdirSync(fixturesDir)
    .filter((f) => f.endsWith(".nc"))
    .sort()
    .map((f): [string, string] => [`fixture ${f}`, join(fixturesDir, f)]),
];

/**
 * Fixtures netCDF-C itself cannot read (both Debian 12's and sid's): numrecs = STREAMING, which
 * the NetCDF-3 format allows, comes back as 4294967295 records. Our reader is checked against
 * the files it was built from instead (test/readers/netcdf3.test.ts); here xarray is not asked.
 */
export const REFERENCE_CANNOT_READ = new Set([
  "fixture nc3_cdf2_record_streaming.nc",
  "fixture nc3_cdf5_types_streaming.nc",
]);

/**
 * Variables whose never-written chunks are NOFILL: they read as whatever memory held (netCDF-C
 * says so), different in every process, so there is no source value to compare with. They are
 * converted like the others; the readers' own tests (test/readers/hdf5-raw.test.ts) check them
 * against h5wasm within one process.
 */
export const UNDEFINED_IN_SOURCE: Record<string, string[]> = {
  "fixture nc4_raw_unallocated.nc": ["no_fill_sparse"],
};
