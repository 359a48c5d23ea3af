/**
 * `openHdf5`: a NetCDF-4/HDF5 file (or one of its groups) as a lazy `Dataset`, shaped the way
 * netCDF4-python shows it. Variables whose type we cannot represent are left out of `variables`
 * and listed in `unsupported`, so the caller decides whether that is an error
 * (`requireSupported`).
 */
import type { Dataset, Dimension } from "../../dataset/types.js";
import { InputError } from "../../errors.js";
import { hint, opt } from "../../hint.js";
import type { ByteSource } from "../byte-source.js";
import { mountRemote, type RemoteMount } from "../remote/h5-mount.js";
import { readAttrs } from "./attrs.js";
import { checkFillHeaps } from "./global-heap.js";
import { type DimInfo, type GroupInfo, type Layout, readLayout } from "./layout.js";
import { CorruptError } from "./le-reader.js";
import { planRaw, type RawPlan } from "./raw-chunks.js";
import { RawFile } from "./raw-file.js";
import { type H5Module, h5module, hdf5ErrorSummary, retire } from "./runtime.js";
import { describeFilters, type Hdf5Variable, makeVariable } from "./variable.js";

const CORRUPT_HINT = "the file may be truncated or corrupt; check its size against the original";

export interface UnsupportedVariable {
  name: string;
  reason: string;
}

export type Hdf5Dataset = Dataset & {
  variables: Hdf5Variable[];
  /** Variables of the group that cannot be converted, and why. */
  unsupported: UnsupportedVariable[];
  /** What was left out of the model: attributes of types we cannot hold, HDF5 objects netCDF hides. */
  warnings: string[];
};

export interface OpenHdf5Options {
  /** Group path: "/grp1", "grp1", "/a/b". Default: the root group. */
  group?: string;
  /**
   * Read chunks ourselves where the storage allows (raw-chunks.ts), h5wasm for the rest.
   * Default: on, unless the environment sets ZARRIFY_HDF5_RAW=0.
   */
  raw?: boolean;
  /**
   * The file is remote (`path` is its URL): h5wasm reads it through a mount of the remote source
   * (remote/h5-mount.ts) at `version`, and the raw path through `source`, which the Dataset then
   * owns.
   */
  remote?: { source: ByteSource; version: string };
}

interface FileState {
  module: H5Module;
  fileId: bigint;
  open: boolean;
  /** The raw read path's view of the file, opened on first use; undefined if it cannot be. */
  raw?: Promise<RawFile | undefined>;
  /** A remote file's byte source (for the raw path) and its mount for h5wasm. */
  remote?: { source: ByteSource; mount: RemoteMount };
}

function closeRaw(state: FileState): Promise<void> {
  const raw = state.raw;
  state.raw = undefined;
  const remote = state.remote;
  state.remote = undefined;
  remote?.mount.release();
  const closing = raw ? raw.then((f) => f?.close()).catch(() => {}) : Promise.resolve();
  return remote ? closing.then(() => remote.source.close().catch(() => {})) : closing;
}

/** The error a remote read behind a failed HDF5 call gave, if that is why it failed. */
function remoteFailure(state: FileState | undefined): InputError | undefined {
  const err = state?.remote?.mount.ioError();
  return err instanceof InputError ? err : undefined;
}

function rawFile(state: FileState, path: string): Promise<RawFile | undefined> {
  state.raw ??= (state.remote ? RawFile.over(state.remote.source) : RawFile.open(path)).catch(
    () => undefined,
  );
  return state.raw;
}

/** An HDF5 object reference is the object header's address (8 bytes, little-endian). */
function objectAddress(state: FileState, hdf5Path: string): number {
  const ref = Uint8Array.from(state.module.create_object_reference(state.fileId, hdf5Path));
  if (ref.length !== 8) throw new Error(`object reference of ${ref.length} bytes`);
  return Number(new DataView(ref.buffer).getBigUint64(0, true));
}

/**
 * Refuses a file whose variable-length fill values name a global heap collection libhdf5 would
 * hang on (`global-heap.ts`), before h5wasm reads any dataset's metadata.
 */
async function guardGlobalHeaps(state: FileState, path: string): Promise<void> {
  const { module, fileId } = state;
  const addresses: number[] = [];
  const walk = (group: string) => {
    for (const name of module.get_names(fileId, group, false)) {
      const child = group === "/" ? `/${name}` : `${group}/${name}`;
      let type: number;
      try {
        type = module.get_type(fileId, child);
      } catch {
        continue; // readLayout reports it
      }
      if (type === module.H5G_GROUP) walk(child);
      else if (type === module.H5G_DATASET) {
        try {
          addresses.push(objectAddress(state, child));
        } catch {
          // No address: nothing to check; h5wasm says what is wrong with it.
        }
      }
    }
  };
  walk("/");
  const file = await rawFile(state, path);
  if (!file || addresses.length === 0) return;
  try {
    await checkFillHeaps(file, addresses);
  } catch (err) {
    if (!(err instanceof CorruptError)) throw err;
    throw new InputError(`${path}: cannot read the HDF5 structure: ${err.message}`, {
      path,
      hint: CORRUPT_HINT,
    });
  }
}

/** The raw plan of the dataset at `hdf5Path`, or why there is none. */
async function rawPlanFor(
  state: FileState,
  path: string,
  hdf5Path: string,
  filters: { id: number; cd_values: number[] }[],
  extent: number[],
  elementSize: number,
): Promise<RawPlan> {
  const file = await rawFile(state, path);
  if (!file || !state.open) return { report: { raw: false, reason: "no raw access to the file" } };
  let address: number;
  try {
    address = objectAddress(state, hdf5Path);
  } catch (err) {
    return { report: { raw: false, reason: `no object address: ${hdf5ErrorSummary(err)}` } };
  }
  return planRaw({ file, address, filters, extent, elementSize });
}

/**
 * A file nobody closed is closed once its Dataset and all its Variables are garbage: they all hold
 * the same anchor object, which is what the registry watches.
 */
const finalizer = new FinalizationRegistry<FileState>((state) => {
  if (state.open) {
    state.open = false;
    try {
      state.module.close_file(state.fileId);
    } catch {
      // Nothing to report to: the Dataset is gone.
    }
  }
  void closeRaw(state);
});

function normalizeGroup(group: string | undefined): string {
  if (group === undefined) return "/";
  const parts = group.split("/").filter((p) => p.length > 0);
  return `/${parts.join("/")}`;
}

function openFile(module: H5Module, path: string, h5Path = path, state?: FileState): bigint {
  let fileId: bigint;
  try {
    fileId = module.open(h5Path, module.H5F_ACC_RDONLY, false, -1, -1);
  } catch (err) {
    const remote = remoteFailure(state);
    if (remote) throw remote;
    throw new InputError(`${path}: not a readable HDF5 file: ${hdf5ErrorSummary(err)}`, {
      path,
      cause: err,
      hint: CORRUPT_HINT,
    });
  }
  if (fileId < 0n) {
    throw new InputError(`${path}: not a readable HDF5 file`, { path });
  }
  return fileId;
}

/** Dimensions a group sees: its own, plus ancestors' dimensions its variables use. */
function visibleDims(layout: Layout, group: GroupInfo, used: Set<number>, path: string): DimInfo[] {
  const ids = new Set(group.dimIds);
  for (const id of used) ids.add(id);
  const dims = [...ids].map((id) => layout.dims.get(id) as DimInfo).sort((a, b) => a.id - b.id);
  const byName = new Map<string, DimInfo>();
  for (const dim of dims) {
    const other = byName.get(dim.name);
    if (other) {
      throw new InputError(
        `${path}: group '${group.path}' uses two different dimensions named '${dim.name}' (in '${other.groupPath}' and '${dim.groupPath}')`,
        { path, hint: hint`open the group whose dimension you need with ${opt("group")}` },
      );
    }
    byName.set(dim.name, dim);
  }
  return dims;
}

function buildDataset(
  module: H5Module,
  fileId: bigint,
  path: string,
  layout: Layout,
  group: GroupInfo,
  anchor: { state: FileState },
  raw: boolean,
  owner = true,
): Hdf5Dataset {
  const warnings: string[] = [];
  const unsupported: UnsupportedVariable[] = [];
  const variables: Hdf5Variable[] = [];
  const used = new Set<number>();

  for (const item of layout.ignored) {
    const parent = item.path.slice(0, item.path.lastIndexOf("/")) || "/";
    if (parent === group.path) warnings.push(`skipped HDF5 object '${item.path}': ${item.reason}`);
  }

  for (const info of group.vars) {
    if (info.type.kind !== "data") {
      unsupported.push({ name: info.name, reason: info.type.reason });
      continue;
    }
    const filterList = module.get_dataset_filters(fileId, info.path);
    const filters = describeFilters(filterList);
    if (filters.missing) {
      unsupported.push({ name: info.name, reason: filters.missing });
      continue;
    }
    const { elementSize } = info.type;
    const dims = info.dimIds.map((id) => layout.dims.get(id));
    if (!dims.every((d) => d !== undefined)) {
      unsupported.push({ name: info.name, reason: "its dimensions cannot be determined" });
      continue;
    }
    for (const dim of dims) used.add(dim.id);
    const { attrs, attrTypes, dropped } = readAttrs(module, fileId, info.path, info.attrNames);
    for (const name of dropped) {
      warnings.push(`variable '${info.name}': attribute '${name}' has a type netCDF cannot hold`);
    }
    variables.push(
      makeVariable({
        module,
        fileId,
        filePath: path,
        name: info.name,
        hdf5Path: info.path,
        dtype: info.type.dtype,
        encoding: info.type.encoding,
        elementSize: info.type.elementSize,
        dims: dims.map((d) => d.name),
        shape: dims.map((d) => d.length),
        extent: info.meta.shape ?? [],
        attrs,
        attrTypes,
        chunks: info.meta.chunks ?? undefined,
        filters: filters.labels,
        enumMembers: info.type.enumMembers,
        isOpen: () => anchor.state.open,
        ioError: () => remoteFailure(anchor.state),
        rawPlan: raw
          ? () =>
              rawPlanFor(
                anchor.state,
                path,
                info.path,
                filterList,
                info.meta.shape ?? [],
                elementSize,
              )
          : undefined,
      }),
    );
  }

  const dims: Dimension[] = visibleDims(layout, group, used, path).map((d) => ({
    name: d.name,
    size: d.length,
    unlimited: d.unlimited,
  }));
  const { attrs, attrTypes, dropped } = readAttrs(module, fileId, group.path, group.attrNames);
  for (const name of dropped) warnings.push(`attribute '${name}' has a type netCDF cannot hold`);

  return {
    path,
    format: "hdf5",
    group: group.path,
    dims,
    variables,
    attrs,
    attrTypes,
    unsupported,
    warnings,
    children: () =>
      group.children.map((child) => {
        // A child group's attributes and filters are read only now, long after the open's
        // error handling: what HDF5 throws here is the file's damage, said as the open says it.
        try {
          return buildDataset(module, fileId, path, layout, child, anchor, raw, false);
        } catch (err) {
          if (err instanceof InputError) throw err;
          retire(module);
          throw new InputError(
            `${path}: cannot read the HDF5 group '${child.path}': ${hdf5ErrorSummary(err)}`,
            { path, cause: err, hint: CORRUPT_HINT },
          );
        }
      }),
    async close() {
      // Children share the file with the Dataset that opened it; only that one closes it.
      if (!owner || !anchor.state.open) return;
      anchor.state.open = false;
      finalizer.unregister(anchor.state);
      // HDF5 first: a remote file's mount must outlive its last read.
      try {
        module.close_file(fileId);
      } finally {
        await closeRaw(anchor.state);
      }
    },
  };
}

export async function openHdf5(path: string, options: OpenHdf5Options = {}): Promise<Hdf5Dataset> {
  const module = await h5module();
  let fileId: bigint;
  const opening: FileState = { module, fileId: -1n, open: false };
  try {
    if (options.remote) {
      const mount = await mountRemote(
        (module as unknown as { FS: unknown }).FS,
        path,
        options.remote.version,
      );
      opening.remote = { source: options.remote.source, mount };
    }
    fileId = openFile(module, path, opening.remote?.mount.path, opening);
  } catch (err) {
    // A mount that failed never reached HDF5; a failed open did.
    if (opening.remote !== undefined || !options.remote) retire(module);
    await closeRaw(opening);
    if (options.remote) await options.remote.source.close().catch(() => {});
    throw err;
  }
  const state: FileState = { module, fileId, open: true, remote: opening.remote };
  const anchor = { state };
  try {
    await guardGlobalHeaps(state, path);
    const layout = readLayout(module, fileId, path);
    const groupPath = normalizeGroup(options.group);
    const group = layout.groups.get(groupPath);
    if (!group) {
      const known = [...layout.groups.keys()].map((g) => `'${g}'`).join(", ");
      throw new InputError(`${path}: no group '${groupPath}' in this file (groups: ${known})`, {
        path,
        hint: hint`pass one of the listed groups with ${opt("group")}`,
      });
    }
    const raw = options.raw ?? process.env.ZARRIFY_HDF5_RAW !== "0";
    const dataset = buildDataset(module, fileId, path, layout, group, anchor, raw);
    finalizer.register(anchor, state, state);
    return dataset;
  } catch (err) {
    state.open = false;
    // Our own InputErrors (unknown group, …) carry no cause; anything else came out of HDF5.
    const fromHdf5 = !(err instanceof InputError) || err.cause !== undefined;
    if (fromHdf5) retire(module);
    try {
      module.close_file(fileId);
    } catch {
      // The instance may have aborted; it is retired and the original error is what matters.
    }
    const remote = remoteFailure(state);
    await closeRaw(state);
    if (remote) throw remote;
    if (err instanceof InputError) throw err;
    throw new InputError(`${path}: cannot read the HDF5 file: ${hdf5ErrorSummary(err)}`, {
      path,
      cause: err,
      hint: CORRUPT_HINT,
    });
  }
}

/**
 * Throw the InputError a conversion should stop with when `dataset` has variables we cannot
 * represent among those selected (all of them when `selected` is omitted).
 */
export function requireSupported(dataset: Hdf5Dataset, selected?: Iterable<string>): void {
  const wanted = selected ? new Set(selected) : undefined;
  const bad = dataset.unsupported.filter((u) => !wanted || wanted.has(u.name));
  if (bad.length === 0) return;
  const list = bad.map((u) => `'${u.name}' (${u.reason})`).join(", ");
  throw new InputError(
    `${dataset.path}: cannot convert variable${bad.length > 1 ? "s" : ""} ${list}`,
    {
      path: dataset.path,
      hint: hint`use ${opt("variables")}/${opt("dropVariables")} to leave it out`,
    },
  );
}
