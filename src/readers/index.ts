/**
 * `openDataset`: sniff the magic bytes and hand the file to the reader that knows the format.
 * Anything we cannot read gets an InputError that says what the file looks like instead.
 *
 * Inputs may be local paths or remote (s3://bucket/key, http(s)://): a remote file is opened at
 * its current version (or the `version` a caller pinned) and read by byte ranges
 * (readers/remote/): NetCDF-3 and the raw HDF5 path through the source itself, h5wasm through a
 * mount of it (remote/h5-mount.ts). Nothing is downloaded whole.
 */
import { closeSync, existsSync, openSync, readSync, type Stats, statSync } from "node:fs";
import { readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Dataset } from "../dataset/types.js";
import { InputError } from "../errors.js";
import { hint, message, opt, verb } from "../hint.js";
import { inputLocation } from "../location.js";
import { asUserError } from "../os-error.js";
import { type ByteSource, FileByteSource } from "./byte-source.js";
import { h5module } from "./hdf5/runtime.js";
import { HDF5_SNIFF_BYTES, hdf5Magic, openHdf5 } from "./hdf5.js";
import { netcdf3Magic, openNetcdf3Source } from "./netcdf3.js";
import { openRemoteSource } from "./remote/open.js";
import { versionToken } from "./remote/version.js";

export interface OpenOptions {
  /** HDF5 group path to open instead of the root ("/grp1", "a/b"). */
  group?: string;
  /**
   * For a remote input: the version token (`inputVersion`) it must still have, so a worker reads
   * exactly what the thread that planned the work opened.
   */
  version?: string;
}

/** HDF5 may put its superblock at 0, 512, 1024, 2048, … so sniff a little more than a header. */
const SNIFF_BYTES = 4096;

const KNOWN_SIGNATURES: Array<[RegExp | ((b: Uint8Array) => boolean), string]> = [
  [(b) => b[0] === 0x1f && b[1] === 0x8b, "a gzip-compressed file (decompress it first)"],
  [(b) => b[0] === 0x50 && b[1] === 0x4b, "a ZIP archive (unpack it first)"],
  [/^GRIB/, "a GRIB file (convert it to NetCDF first, e.g. with cdo or grib_to_netcdf)"],
  [/^\x89PNG/, "a PNG image"],
  [/^%PDF/, "a PDF document"],
  // Valid CDF-1/2/5 never get here, so a CDF signature means an unknown version byte.
  [/^CDF/, "a NetCDF-3 file with an unknown version byte"],
  [/^\{/, "a JSON document"],
];

function describe(bytes: Uint8Array): string {
  if (bytes.length === 0) return "the file is empty";
  const head = Buffer.from(bytes.subarray(0, 16)).toString("latin1");
  for (const [test, what] of KNOWN_SIGNATURES) {
    if (typeof test === "function" ? test(bytes) : test.test(head)) return `it is ${what}`;
  }
  const sample = bytes.subarray(0, 512);
  const printable = sample.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127));
  const preview = JSON.stringify(Buffer.from(bytes.subarray(0, 12)).toString("latin1"));
  return printable
    ? `it looks like a text file (starts with ${preview})`
    : `unrecognised magic bytes ${preview}`;
}

function specialKind(info: Stats): string {
  if (info.isFIFO()) return "a named pipe (FIFO)";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isSocket()) return "a socket";
  return "not a regular file";
}

function isZarrDirectory(path: string): boolean {
  return ["zarr.json", ".zgroup", ".zarray"].some((doc) => existsSync(join(path, doc)));
}

/**
 * Starts loading the HDF5 runtime when `path` is a local HDF5 file, for a caller that will open
 * it after other work (parsing, starting threads): the runtime's binary then compiles on V8's
 * background threads meanwhile, and the open finds it ready. Whatever is wrong with the file is
 * left for the open to report.
 */
export function warmUpFor(path: string | undefined): void {
  if (path === undefined || inputLocation(path).kind !== "local") return;
  const head = new Uint8Array(HDF5_SNIFF_BYTES);
  let read = 0;
  try {
    // Not a FIFO or a device: opening one blocks, or never ends.
    if (!statSync(path).isFile()) return;
    const fd = openSync(path, "r");
    try {
      read = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return;
  }
  if (hdf5Magic(head.subarray(0, read))) h5module().catch(() => {});
}

export async function openDataset(path: string, options: OpenOptions = {}): Promise<Dataset> {
  if (inputLocation(path).kind !== "local") return openRemoteDataset(path, options);
  let bytes: Uint8Array;
  let source: ByteSource | undefined;
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      if (isZarrDirectory(path)) {
        throw new InputError(`${path}: is a Zarr archive, not a NetCDF file`, {
          path,
          hint: hint`zarrify's inputs are NetCDF files; read the archive with xarray.open_zarr, or check it with ${verb("validate")}`,
        });
      }
      throw new InputError(`${path}: is a directory, not a NetCDF file`, {
        path,
        hint: "pass the .nc files inside it, or a glob such as 'dir/*.nc'",
      });
    }
    // Opening a FIFO blocks until a writer comes, and a device (/dev/zero) never ends: refuse
    // both before the open, by what stat says they are.
    if (!info.isFile()) {
      throw new InputError(`${path}: is ${specialKind(info)}, not a regular file`, {
        path,
        hint: "give the path of a NetCDF file; to read a stream, save it to a file first",
      });
    }
    source = await FileByteSource.open(path);
    bytes = await source.read(0, Math.min(SNIFF_BYTES, info.size));
  } catch (err) {
    await source?.close().catch(() => {});
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      const target = await readlink(path).catch(() => undefined);
      const what =
        target === undefined
          ? "no such file"
          : `it is a symbolic link to ${target}, which does not exist`;
      throw new InputError(`${path}: cannot open input: ${what}`, {
        path,
        cause: err,
        hint: target === undefined ? "check the path" : "fix or remove the link",
      });
    }
    throw asUserError(err, { path, reading: true, context: "cannot open input" });
  }

  if (netcdf3Magic(bytes)) return openNetcdf3Checked(source, path, options);
  // h5wasm opens the path itself (it needs a filesystem path).
  await source.close();
  if (hdf5Magic(bytes)) return openHdf5(path, { group: options.group });
  throw new InputError(`${path}: not a NetCDF or HDF5 file: ${describe(bytes)}`, {
    path,
    hint: "zarrify reads NetCDF-3 (CDF-1/2/5) and NetCDF-4/HDF5 files",
  });
}

async function openNetcdf3Checked(
  source: ByteSource,
  path: string,
  options: OpenOptions,
): Promise<Dataset> {
  if (options.group && options.group !== "/") {
    await source.close();
    throw new InputError(
      message`${path}: NetCDF-3 files have no groups, so ${opt("group", options.group)} cannot apply`,
      { path, hint: hint`leave out ${opt("group")} for this file` },
    );
  }
  return openNetcdf3Source(source);
}

async function openRemoteDataset(url: string, options: OpenOptions): Promise<Dataset> {
  const source = await openRemoteSource(url, { version: options.version });
  let bytes: Uint8Array;
  try {
    bytes = await source.read(0, Math.min(SNIFF_BYTES, await source.size()));
  } catch (err) {
    await source.close().catch(() => {});
    throw err;
  }
  if (netcdf3Magic(bytes)) return openNetcdf3Checked(source, url, options);
  if (hdf5Magic(bytes)) {
    const version = versionToken(source.version());
    return openHdf5(url, { group: options.group, remote: { source, version } });
  }
  await source.close();
  throw new InputError(`${url}: not a NetCDF or HDF5 file: ${describe(bytes)}`, {
    path: url,
    hint: "zarrify reads NetCDF-3 (CDF-1/2/5) and NetCDF-4/HDF5 files",
  });
}
