import type { ConvertOptions } from "../../src/ops/convert.js";

/**
 * Real files with variables Zarr/xarray cannot represent. Each must be refused with a clear,
 * specific error by default, and convert once the user leaves those variables out, exactly as the
 * error's hint tells them to. docs/formats.md lists the same files with the reason.
 */
export const OUT_OF_SCOPE: Record<
  string,
  { error: RegExp; options: ConvertOptions & { dropVariables: string[] } }
> = {
  "netcdf-c_ref_tst_compounds.nc": {
    error: /'obs'.*compound/i,
    options: { dropVariables: ["obs"] },
  },
};
