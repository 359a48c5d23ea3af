/**
 * Variables read without their Dataset. The thread that opened a file asks each variable how it
 * can be read from the bare file (`detachedSource`: plain, structured-clone friendly data); another
 * thread turns that into a `Variable` over a byte source of the file (`openDetached`), with no
 * header parsed again and, for NetCDF-4/HDF5, no h5wasm: the engine's workers read this way.
 *
 * NetCDF-3 variables always detach (their layout is the header's). HDF5 variables detach when the
 * raw chunk path reads them and every read of them has an answer there; strings, filters it does
 * not undo and undecidable fill values do not, and are read through their Dataset as before.
 * `ZARRIFY_DETACHED=0` turns detaching off.
 */
import type { Dataset, Variable } from "../dataset/types.js";
import { InputError } from "../errors.js";
import { isRemoteInput } from "../location.js";
import { asUserError } from "../os-error.js";
import { type ByteSource, FileByteSource } from "./byte-source.js";
import { type Hdf5DetachedSource, openHdf5Detached } from "./hdf5/detached.js";
import { type Netcdf3DetachedSource, openNetcdf3Detached } from "./netcdf3/detached.js";
import { openRemoteSource } from "./remote/open.js";

export type { Hdf5DetachedSource, Netcdf3DetachedSource };
export type DetachedSource = Hdf5DetachedSource | Netcdf3DetachedSource;

type Detachable = Variable & { detached?: () => Promise<DetachedSource | undefined> };

export function detachingEnabled(): boolean {
  return process.env.ZARRIFY_DETACHED !== "0";
}

/** How `variable` reads without its Dataset, or undefined when it cannot (ask while it is open). */
export async function detachedSource(variable: Variable): Promise<DetachedSource | undefined> {
  const detached = (variable as Detachable).detached;
  if (!detachingEnabled() || typeof detached !== "function") return undefined;
  return detached.call(variable);
}

/** The detached sources of the variables of `dataset` named in `names` that have one. */
export async function detachVariables(
  dataset: Dataset,
  names: Iterable<string>,
): Promise<Record<string, DetachedSource>> {
  const wanted = new Set(names);
  const out: Record<string, DetachedSource> = {};
  for (const v of dataset.variables) {
    if (!wanted.has(v.name)) continue;
    const source = await detachedSource(v);
    if (source) out[v.name] = source;
  }
  return out;
}

/**
 * A Variable reading `desc` through `source`, a byte source of the same file that the caller
 * owns (several variables of a file share one). `closed` tells reads the caller closed it.
 */
export function openDetached(
  desc: DetachedSource,
  source: ByteSource,
  closed?: () => boolean,
): Variable {
  return desc.kind === "hdf5"
    ? openHdf5Detached(desc, source, closed)
    : openNetcdf3Detached(desc, source, closed);
}

/**
 * The byte source detached variables of the file at `path` read through; errors as openDataset's.
 * A remote input (its URL as `path`) is read at `version`, the version the describing thread
 * pinned (`inputVersion`), so a file replaced in between fails instead of mixing versions.
 */
export async function openDetachedSource(path: string, version?: string): Promise<ByteSource> {
  if (isRemoteInput(path)) return openRemoteSource(path, { version });
  try {
    return await FileByteSource.open(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new InputError(`${path}: cannot open input: no such file`, { path, cause: err });
    }
    throw asUserError(err, { path, reading: true, context: "cannot open input" });
  }
}

/** `openDetached` over a file source of its own; `close` closes it. */
export async function openDetachedFile(
  desc: DetachedSource,
  version?: string,
): Promise<{ variable: Variable; close(): Promise<void> }> {
  const source = await openDetachedSource(desc.path, version);
  let closed = false;
  return {
    variable: openDetached(desc, source, () => closed),
    close: async () => {
      if (closed) return;
      closed = true;
      await source.close();
    },
  };
}
