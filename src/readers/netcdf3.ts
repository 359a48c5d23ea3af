/**
 * Streaming NetCDF-3 reader (CDF-1 classic, CDF-2 64-bit offset, CDF-5 64-bit data). Opening reads
 * only the header; `variable.read` fetches just the bytes of the requested hyperslab.
 */
import type { Dataset, SourceFormat, Variable } from "../dataset/types.js";
import { InputError } from "../errors.js";
import { type ByteSource, FileByteSource } from "./byte-source.js";
import { baseOf } from "./detached-base.js";
import type { Netcdf3DetachedSource } from "./netcdf3/detached.js";
import { type CdfVersion, magicVersion, parseHeader } from "./netcdf3/header.js";
import { computeLayout, type VarLayout } from "./netcdf3/layout.js";
import { readVariable } from "./netcdf3/read.js";
import type { SlabSource } from "./netcdf3/slab.js";

const CORRUPT_HINT = "the file may be truncated or corrupt; check its size against the original";

const FORMATS: Record<CdfVersion, SourceFormat> = {
  1: "netcdf3-classic",
  2: "netcdf3-64bit-offset",
  5: "netcdf3-64bit-data",
};

/** The NetCDF-3 flavour announced by the first four bytes, or undefined if they are not CDF. */
export function netcdf3Magic(bytes: Uint8Array): SourceFormat | undefined {
  const v = magicVersion(bytes);
  return v === undefined ? undefined : FORMATS[v];
}

/** Open a local NetCDF-3 file (see `openNetcdf3Source` for any other byte source). */
export async function openNetcdf3(path: string): Promise<Dataset> {
  let source: ByteSource;
  try {
    source = await FileByteSource.open(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new InputError(`${path}: cannot open input: ${why}`, { path, cause: err });
  }
  return openNetcdf3Source(source);
}

/** A NetCDF-3 Dataset over `source`, which it owns: closing the Dataset closes the source. */
export async function openNetcdf3Source(source: ByteSource): Promise<Dataset> {
  const path = source.describe();
  const fail = (message: string): never => {
    throw new InputError(`${path}: ${message}`, { path, hint: CORRUPT_HINT });
  };
  try {
    const fileSize = await source.size();
    const header = await parseHeader(source, fileSize, fail);
    const layout = computeLayout(header, fileSize, fail);
    let closed = false;

    const makeVariable = (v: VarLayout): Variable => {
      const { header: h, shape } = v;
      const dtype = h.type.dtype;
      const src: SlabSource = {
        source,
        begin: v.begin,
        shape,
        strides: v.strides,
        elSize: h.type.size,
        dtype,
      };
      const variable: Variable & { detached(): Promise<Netcdf3DetachedSource> } = {
        name: h.name,
        dtype,
        dims: h.dimIds.map((id) => header.dims[id].name),
        shape,
        attrs: h.attrs,
        attrTypes: h.attrTypes,
        read: (start, count) => readVariable(path, h.name, src, start, count, () => closed),
        // The header's answer, for a thread that reads the file without parsing it again.
        detached: async () => ({
          kind: "netcdf3",
          ...baseOf(path, variable),
          dtype,
          begin: v.begin,
          strides: v.strides.slice(),
          elSize: h.type.size,
        }),
      };
      // Records interleave on disk, so one record is the natural unit to read.
      if (v.isRecord) variable.sourceChunks = [1, ...shape.slice(1)];
      return variable;
    };

    return {
      path,
      format: FORMATS[header.version],
      group: "/",
      dims: header.dims.map((d) => ({
        name: d.name,
        size: d.size === 0 ? layout.numrecs : d.size,
        unlimited: d.size === 0,
      })),
      variables: layout.vars.map(makeVariable),
      attrs: header.attrs,
      attrTypes: header.attrTypes,
      close: async () => {
        if (closed) return;
        closed = true;
        await source.close();
      },
    };
  } catch (err) {
    await source.close().catch(() => {});
    if (err instanceof InputError) throw err;
    throw new InputError(`${path}: cannot read NetCDF-3 file: ${(err as Error).message}`, {
      path,
      cause: err,
      hint: CORRUPT_HINT,
    });
  }
}
