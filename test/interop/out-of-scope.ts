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
  // Since the whole group tree is converted: the compound variables of /level-3_binned_data.
  "tidync_S2008001.L3b_DAY_RRS.nc": {
    error: /'level-3_binned_data\/BinList'.*compound/i,
    options: {
      dropVariables: [
        "BinList",
        "BinIndex",
        "angstrom",
        "aot_865",
        "Rrs_412",
        "Rrs_443",
        "Rrs_490",
        "Rrs_510",
        "Rrs_555",
        "Rrs_670",
      ],
    },
  },
};
