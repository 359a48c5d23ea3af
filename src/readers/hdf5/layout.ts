/**
 * The netCDF view of an HDF5 file's structure: groups, dimensions and which dimensions each
 * variable uses, reproducing netCDF-C's open (libhdf5/hdf5open.c) so names and numbering match
 * ncdump and netCDF4-python:
 *
 * 1. Read pass, pre-order (a group's datasets in link order, then its child groups): every
 *    dimension-scale dataset defines a dimension (id from `_Netcdf4Dimid`, else the next free id);
 *    scales whose NAME says "This is a netCDF dimension but not a netCDF variable" are dimensions
 *    only. Variables take their dimension ids from `_Netcdf4Coordinates` when present.
 * 2. Match pass, children before parents: other variables find the dimension scale attached to
 *    each axis in their group or an ancestor; a variable with no scale on its first axis gets
 *    phony dimensions — reusing a dimension of the group with the same length and unlimited-ness
 *    not already used by an earlier axis, else creating `phony_dim_<next id>` in that group.
 *
 * The length of an unlimited dimension is the largest extent of any variable using it.
 */
import { InputError } from "../../errors.js";
import { readAttr } from "./attrs.js";
import { type H5Module, hdf5ErrorSummary, isUnlimitedExtent, type Metadata } from "./runtime.js";
import { type Classified, classify } from "./types.js";

export interface DimInfo {
  id: number;
  name: string;
  groupPath: string;
  length: number;
  unlimited: boolean;
  /** HDF5 path of the dimension-scale dataset; undefined for phony dimensions. */
  scalePath?: string;
}

export interface VarInfo {
  name: string;
  /** HDF5 path of the dataset. */
  path: string;
  groupPath: string;
  meta: Metadata;
  type: Classified;
  attrNames: string[];
  /** Dimension ids per axis; -1 until resolved. */
  dimIds: number[];
  isScale: boolean;
}

export interface GroupInfo {
  path: string;
  parent?: GroupInfo;
  children: GroupInfo[];
  /** Dimension ids defined here, in creation order. */
  dimIds: number[];
  /** netCDF variables (including ones whose type we cannot represent), in link order. */
  vars: VarInfo[];
  attrNames: string[];
}

export interface Layout {
  root: GroupInfo;
  groups: Map<string, GroupInfo>;
  dims: Map<number, DimInfo>;
  /** HDF5 objects netCDF-C does not show at all (references, odd types, external links). */
  ignored: { path: string; reason: string }[];
}

const CORRUPT_HINT = "the file may be truncated or corrupt; check its size against the original";
const DIM_WITHOUT_VARIABLE = "This is a netCDF dimension but not a netCDF variable";
/** netCDF-C's prefix for a non-coordinate variable that has a dimension's name. */
const NON_COORD_PREPEND = "_nc4_non_coord_";

function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

class LayoutReader {
  private nextDimId = 0;
  private readonly dims = new Map<number, DimInfo>();
  private readonly groups = new Map<string, GroupInfo>();
  private readonly ignored: Layout["ignored"] = [];

  constructor(
    private readonly module: H5Module,
    private readonly fileId: bigint,
  ) {}

  read(): Layout {
    const root = this.readGroup("/", undefined);
    this.match(root);
    this.resolveUnlimitedLengths();
    return { root, groups: this.groups, dims: this.dims, ignored: this.ignored };
  }

  private readGroup(path: string, parent: GroupInfo | undefined): GroupInfo {
    const m = this.module;
    const group: GroupInfo = {
      path,
      parent,
      children: [],
      dimIds: [],
      vars: [],
      attrNames: m.get_attribute_names(this.fileId, path),
    };
    this.groups.set(path, group);
    const childGroups: string[] = [];
    for (const name of m.get_names(this.fileId, path, false)) {
      const objPath = childPath(path, name);
      let type: number;
      try {
        type = m.get_type(this.fileId, objPath);
      } catch (err) {
        // Links that lead nowhere have a type (H5G_LINK, H5G_UDLINK); an object whose header
        // cannot be read is damage, and skipping it would drop a variable with only a warning.
        throw new Error(`object '${objPath}': ${hdf5ErrorSummary(err)}`, { cause: err });
      }
      if (type === m.H5G_GROUP) childGroups.push(objPath);
      else if (type === m.H5G_DATASET) this.readDataset(group, name, objPath);
      else if (type === m.H5G_LINK || type === m.H5G_UDLINK) {
        this.ignored.push({ path: objPath, reason: "broken or external link" });
      }
      // Named datatypes (netCDF user types) are only needed through the datasets that use them.
    }
    for (const child of childGroups) group.children.push(this.readGroup(child, group));
    return group;
  }

  private readDataset(group: GroupInfo, name: string, path: string): void {
    const m = this.module;
    const meta = m.get_dataset_metadata(this.fileId, path);
    const attrNames = m.get_attribute_names(this.fileId, path);
    const rank = meta.shape?.length ?? 0;
    const scaleName = rank > 0 ? m.get_scale_name(this.fileId, path) : null;
    let scaleDim: DimInfo | undefined;
    if (scaleName !== null) {
      scaleDim = this.addDim(group, name, meta, path, attrNames);
      if (scaleName.startsWith(DIM_WITHOUT_VARIABLE)) return;
    }
    const type: Classified =
      meta.shape === null
        ? { kind: "ignored", reason: "a dataset with a NULL dataspace holds no values" }
        : classify(meta);
    if (type.kind === "ignored") {
      if (scaleDim) this.dropDim(group, scaleDim);
      this.ignored.push({ path, reason: type.reason });
      return;
    }
    const varName = name.startsWith(NON_COORD_PREPEND)
      ? name.slice(NON_COORD_PREPEND.length)
      : name;
    const variable: VarInfo = {
      name: varName,
      path,
      groupPath: group.path,
      meta,
      type,
      attrNames,
      dimIds: new Array<number>(rank).fill(-1),
      isScale: scaleDim !== undefined,
    };
    const coords = attrNames.includes("_Netcdf4Coordinates")
      ? this.intAttr(path, "_Netcdf4Coordinates")
      : undefined;
    if (coords && coords.length === rank) variable.dimIds = coords;
    else if (scaleDim && rank === 1) variable.dimIds = [scaleDim.id];
    group.vars.push(variable);
  }

  private addDim(
    group: GroupInfo,
    name: string,
    meta: Metadata,
    scalePath: string,
    attrNames: string[],
  ): DimInfo {
    let id = this.nextDimId;
    if (attrNames.includes("_Netcdf4Dimid")) {
      const [assigned] = this.intAttr(scalePath, "_Netcdf4Dimid");
      id = assigned;
      this.nextDimId = Math.max(this.nextDimId, assigned + 1);
    } else {
      this.nextDimId++;
    }
    const shape = meta.shape ?? [0];
    const dim: DimInfo = {
      id,
      name,
      groupPath: group.path,
      length: shape[0],
      unlimited: isUnlimitedExtent(meta.maxshape?.[0] ?? 0),
      scalePath,
    };
    if (this.dims.has(id)) {
      throw new Error(`dimension id ${id} of '${scalePath}' is already used`);
    }
    this.dims.set(id, dim);
    group.dimIds.push(id);
    return dim;
  }

  private dropDim(group: GroupInfo, dim: DimInfo): void {
    this.dims.delete(dim.id);
    group.dimIds = group.dimIds.filter((id) => id !== dim.id);
  }

  /** An integer attribute as numbers, whatever its stored width (netCDF-C converts to int). */
  private intAttr(path: string, name: string): number[] {
    const value = readAttr(this.module, this.fileId, path, name);
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((v) => typeof v === "number" || typeof v === "bigint")) {
      throw new Error(`${path}: hidden attribute ${name} is not an integer`);
    }
    return values.map(Number);
  }

  /** Children first, then this group's variables — the order netCDF-C numbers phony dims in. */
  private match(group: GroupInfo): void {
    for (const child of group.children) this.match(child);
    for (const variable of group.vars) {
      const rank = variable.dimIds.length;
      if (rank === 0 || variable.dimIds.every((id) => id >= 0)) continue;
      if (variable.dimIds.some((id) => id >= 0)) continue; // partially known: keep what we have
      const scales = this.attachedScales(variable.path, rank);
      if (scales[0].length > 0) {
        for (let d = 0; d < rank; d++) {
          const dim = scales[d].length > 0 ? this.findScale(group, scales[d][0]) : undefined;
          variable.dimIds[d] = dim ? dim.id : this.phonyDim(group, variable, d).id;
        }
      } else {
        for (let d = 0; d < rank; d++) variable.dimIds[d] = this.phonyDim(group, variable, d).id;
      }
    }
  }

  private attachedScales(path: string, rank: number): string[][] {
    // libhdf5's dimension-scale calls read DIMENSION_LIST whole; with a damaged dataspace (an
    // attribute's extent is fixed, so a maximum that differs is damage) they allocated 1.2 GB
    // before failing (found by the fuzzer). Checked from its metadata first, which reads nothing.
    if (this.module.get_attribute_names(this.fileId, path).includes("DIMENSION_LIST")) {
      const meta = this.module.get_attribute_metadata(this.fileId, path, "DIMENSION_LIST");
      const { shape, maxshape } = meta;
      if (shape?.length !== 1 || shape[0] !== rank || maxshape?.[0] !== shape[0]) {
        throw new Error(
          `${path}: its DIMENSION_LIST attribute has extent [${shape}] and maximum [${maxshape}] (a variable of rank ${rank} has one fixed extent [${rank}])`,
        );
      }
    }
    const out: string[][] = [];
    for (let d = 0; d < rank; d++) out.push(this.module.get_attached_scales(this.fileId, path, d));
    return out;
  }

  /** The dimension whose scale dataset is `scalePath`, searched here and up the ancestors. */
  private findScale(group: GroupInfo, scalePath: string): DimInfo | undefined {
    for (let g: GroupInfo | undefined = group; g; g = g.parent) {
      for (const id of g.dimIds) {
        const dim = this.dims.get(id);
        if (dim?.scalePath === scalePath) return dim;
      }
    }
    for (const dim of this.dims.values()) if (dim.scalePath === scalePath) return dim;
    return undefined;
  }

  private phonyDim(group: GroupInfo, variable: VarInfo, axis: number): DimInfo {
    const length = variable.meta.shape?.[axis] ?? 0;
    const unlimited = isUnlimitedExtent(variable.meta.maxshape?.[axis] ?? 0);
    for (const id of group.dimIds) {
      const dim = this.dims.get(id);
      if (!dim || dim.length !== length || dim.unlimited !== unlimited) continue;
      if (variable.dimIds.slice(0, axis).includes(id)) continue;
      return dim;
    }
    const dim: DimInfo = {
      id: this.nextDimId++,
      name: `phony_dim_${this.nextDimId - 1}`,
      groupPath: group.path,
      length,
      unlimited,
    };
    this.dims.set(dim.id, dim);
    group.dimIds.push(dim.id);
    return dim;
  }

  private resolveUnlimitedLengths(): void {
    const longest = new Map<number, number>();
    for (const group of this.groups.values()) {
      for (const variable of group.vars) {
        variable.dimIds.forEach((id, axis) => {
          const extent = variable.meta.shape?.[axis] ?? 0;
          longest.set(id, Math.max(longest.get(id) ?? 0, extent));
        });
      }
    }
    for (const dim of this.dims.values()) {
      if (dim.unlimited) dim.length = longest.get(dim.id) ?? 0;
    }
  }
}

export function readLayout(module: H5Module, fileId: bigint, filePath: string): Layout {
  try {
    return new LayoutReader(module, fileId).read();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${filePath}: cannot read the HDF5 structure: ${hdf5ErrorSummary(err)}`, {
      path: filePath,
      cause: err,
      hint: CORRUPT_HINT,
    });
  }
}
