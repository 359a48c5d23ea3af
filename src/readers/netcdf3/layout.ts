/**
 * Where each variable's bytes live: record size, number of records, byte strides per dimension,
 * and the check (done at open, as netCDF-C does) that every variable's data fits in the file.
 */
import type { NcHeader, NcVar } from "./header.js";

export interface VarLayout {
  header: NcVar;
  shape: number[];
  isRecord: boolean;
  begin: number;
  /** Byte distance between consecutive indices of each dimension (recsize for the record dim). */
  strides: number[];
}

export interface FileLayout {
  numrecs: number;
  recsize: number;
  vars: VarLayout[];
}

export function computeLayout(
  h: NcHeader,
  fileSize: number,
  fail: (message: string) => never,
): FileLayout {
  const isRecord = (v: NcVar): boolean => v.dimIds.length > 0 && h.dims[v.dimIds[0]].size === 0;
  /** Bytes of one record's worth (or all) of the variable, before padding. */
  const unpadded = (v: NcVar): number => {
    let n = v.type.size;
    for (let d = isRecord(v) ? 1 : 0; d < v.dimIds.length; d++) n *= h.dims[v.dimIds[d]].size;
    return n;
  };

  const recVars = h.vars.filter(isRecord);
  // Each variable's slot in a record is padded to 4 bytes, except when there is exactly one
  // record variable: then records are packed back to back (netCDF-C's NC_computeshapes).
  let recsize =
    recVars.length === 1
      ? unpadded(recVars[0])
      : recVars.reduce((s, v) => s + pad4(unpadded(v)), 0);
  if (!Number.isSafeInteger(recsize)) recsize = Number.POSITIVE_INFINITY;

  let numrecs = h.numrecs ?? 0;
  if (h.numrecs === undefined && recVars.length > 0) {
    // STREAMING: as many whole records as the file holds for every record variable.
    numrecs = Number.POSITIVE_INFINITY;
    for (const v of recVars) {
      const fit = Math.floor((fileSize - v.begin - unpadded(v)) / recsize) + 1;
      numrecs = Math.min(numrecs, Math.max(0, fit));
    }
  }

  const vars = h.vars.map((v): VarLayout => {
    const rec = isRecord(v);
    const shape = v.dimIds.map((id, d) => (rec && d === 0 ? numrecs : h.dims[id].size));
    const strides = new Array<number>(shape.length);
    let s = v.type.size;
    for (let d = shape.length - 1; d >= 0; d--) {
      strides[d] = rec && d === 0 ? recsize : s;
      s *= shape[d];
    }
    const bytes = unpadded(v);
    const hasData = rec ? numrecs > 0 : bytes > 0;
    if (hasData) {
      const end = v.begin + (rec ? (numrecs - 1) * recsize : 0) + bytes;
      if (!(end <= fileSize)) {
        fail(
          `variable ${v.name} data extends past end of file (file is ${fileSize} bytes, needs ${end}); the file is truncated or corrupt`,
        );
      }
      if (v.begin < h.headerEnd) {
        fail(
          `bad header: variable ${v.name} data starts at offset ${v.begin}, inside the header (which ends at ${h.headerEnd})`,
        );
      }
    }
    return { header: v, shape, isRecord: rec, begin: v.begin, strides };
  });

  return { numrecs, recsize, vars };
}

function pad4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}
