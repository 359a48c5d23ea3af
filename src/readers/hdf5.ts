/** NetCDF-4 / HDF5 input, read through h5wasm. See hdf5/open.ts for the model it produces. */
export { HDF5_SNIFF_BYTES, hdf5Magic } from "./hdf5/magic.js";
export {
  type Hdf5Dataset,
  type OpenHdf5Options,
  openHdf5,
  requireSupported,
  type UnsupportedVariable,
} from "./hdf5/open.js";
export type { Hdf5Variable } from "./hdf5/variable.js";
