/**
 * Seeded mutations of NetCDF-3 and HDF5 files for the fuzzer (scripts/fuzz.ts). A mutation is a
 * list of plain-data ops, so a crasher is stored as "source file + ops" (test/fuzz/crashers/*.json)
 * and replayed byte for byte without keeping the mutated file, which for the real corpus we may
 * not copy into the repository.
 *
 * Random bytes rarely get past a magic number or a checksum-free length field in a way that
 * matters, so most ops aim at structure: the 4-byte words of a NetCDF-3 header, and the bytes
 * after HDF5 signatures (superblock, object headers, B-tree nodes, heaps, chunk index blocks).
 */

import { seededRandom } from "../helpers/random.js";
import { checksum, fixSuperblock, objectHeader, superblock } from "./structure.js";

export type Op =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; bytes: number[] }
  /** An integer field overwritten: `value` as decimal text (it may exceed 2^53). */
  | { kind: "int"; at: number; width: 1 | 2 | 4 | 8; value: string; le: boolean }
  | { kind: "truncate"; length: number }
  /** Copy `length` bytes from `from` over the bytes at `to` (same length, so offsets survive). */
  | { kind: "splice"; from: number; to: number; length: number }
  /** Insert a copy of [from, from + length) at `at` (shifts everything after it). */
  | { kind: "dup"; from: number; length: number; at: number }
  /**
   * Recompute the HDF5 checksums this module can place (superblock, object headers and their
   * continuation blocks, v2 B-tree, fixed and extensible array headers), so libhdf5 parses the
   * damage instead of stopping at "incorrect metadata checksum".
   */
  | { kind: "rechecksum" };

export interface Mutation {
  seed: number;
  ops: Op[];
}

export function applyOps(input: Uint8Array, ops: Op[]): Uint8Array {
  let b = new Uint8Array(input);
  for (const op of ops) {
    switch (op.kind) {
      case "flip":
        if (op.at < b.length) b[op.at] ^= 1 << (op.bit & 7);
        break;
      case "set":
        for (let i = 0; i < op.bytes.length && op.at + i < b.length; i++) {
          b[op.at + i] = op.bytes[i];
        }
        break;
      case "int": {
        const v = BigInt.asUintN(op.width * 8, BigInt(op.value));
        for (let i = 0; i < op.width && op.at + i < b.length; i++) {
          const shift = BigInt(8 * (op.le ? i : op.width - 1 - i));
          b[op.at + i] = Number((v >> shift) & 0xffn);
        }
        break;
      }
      case "truncate":
        b = b.slice(0, Math.min(op.length, b.length));
        break;
      case "splice": {
        if (op.to >= b.length) break;
        const src = b.slice(op.from, op.from + op.length);
        b.set(src.subarray(0, Math.min(src.length, b.length - op.to)), op.to);
        break;
      }
      case "rechecksum":
        rechecksum(b);
        break;
      case "dup": {
        const src = b.slice(op.from, op.from + op.length);
        const at = Math.min(op.at, b.length);
        const out = new Uint8Array(b.length + src.length);
        out.set(b.subarray(0, at), 0);
        out.set(src, at);
        out.set(b.subarray(at), at + src.length);
        b = out;
        break;
      }
    }
  }
  return b;
}

function rechecksum(b: Uint8Array): void {
  let O = 8;
  let L = 8;
  try {
    const s = superblock(b);
    O = s.offsetSize;
    L = s.lengthSize;
    fixSuperblock(b);
  } catch {
    // No v2/v3 superblock (v0/v1 have no checksum): object headers may still have one.
  }
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
  const each = (sig: string, f: (at: number) => void) => {
    for (let at = text.indexOf(sig); at >= 0; at = text.indexOf(sig, at + 1)) {
      try {
        f(at);
      } catch {
        // A structure the mutation broke beyond parsing keeps its old checksum.
      }
    }
  };
  each("OHDR", (at) => {
    const h = objectHeader(b, at, O);
    for (const blk of h.blocks) checksum(b, blk.from, blk.checksumAt);
  });
  each("BTHD", (at) => checksum(b, at, at + 16 + O + 2 + L));
  each("FAHD", (at) => checksum(b, at, at + 8 + L + O));
  each("EAHD", (at) => checksum(b, at, at + 12 + 6 * L + O));
}

export type Format = "netcdf3" | "hdf5" | "other";

export function formatOf(b: Uint8Array): Format {
  if (b[0] === 0x43 && b[1] === 0x44 && b[2] === 0x46) return "netcdf3";
  for (let at = 0; at + 8 <= b.length; at = at === 0 ? 512 : at * 2) {
    if (b[at] === 0x89 && b[at + 1] === 0x48 && b[at + 2] === 0x44 && b[at + 3] === 0x46) {
      return "hdf5";
    }
  }
  return "other";
}

const HDF5_SIGNATURES = [
  "\x89HDF",
  "OHDR",
  "OCHK",
  "TREE",
  "HEAP",
  "SNOD",
  "GCOL",
  "BTHD",
  "BTIN",
  "BTLF",
  "FAHD",
  "FADB",
  "EAHD",
  "EAIB",
  "EASB",
  "EADB",
  "FRHP",
  "FHDB",
  "FHIB",
  "FSHD",
  "SMTB",
];

/**
 * Offsets worth mutating: for HDF5 the 96 bytes after each signature, and the v1 object headers
 * (found by their version byte and a plausible message count, which is cheap and catches most);
 * for NetCDF-3 the header's 4-byte-aligned words (its fields are all 4-aligned).
 */
export function hotOffsets(b: Uint8Array, format: Format): number[] {
  const out: number[] = [];
  if (format === "netcdf3") {
    const end = Math.min(b.length, netcdf3HeaderGuess(b));
    for (let at = 4; at + 4 <= end; at += 4) out.push(at);
    return out;
  }
  if (format === "hdf5") {
    const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
    for (const sig of HDF5_SIGNATURES) {
      for (let at = text.indexOf(sig); at >= 0; at = text.indexOf(sig, at + 1)) {
        for (let k = 4; k < 96 && at + k < b.length; k++) out.push(at + k);
      }
    }
    // v1 object headers: version 1, reserved 0, message count < 64, 8-aligned.
    for (let at = 0; at + 16 <= b.length; at += 8) {
      if (b[at] === 1 && b[at + 1] === 0 && b[at + 3] === 0 && b[at + 2] > 0 && b[at + 2] < 64) {
        for (let k = 0; k < 64 && at + k < b.length; k++) out.push(at + k);
      }
    }
  }
  return out;
}

/** Headers of real NetCDF-3 files are a few KiB; past 64 KiB the words are data. */
function netcdf3HeaderGuess(b: Uint8Array): number {
  return Math.min(b.length, 64 * 1024);
}

/** Values that sit on the edges integer checks get wrong. */
const BOUNDARY: bigint[] = [
  0n,
  1n,
  2n,
  3n,
  4n,
  7n,
  8n,
  0x7fn,
  0x80n,
  0xffn,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x7fffffffn,
  0x80000000n,
  0xfffffffen,
  0xffffffffn,
  0x100000000n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 62n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 2n,
  2n ** 64n - 1n,
];

/** One random mutation of `b` (1–4 ops), deterministic for (`b`, `seed`). */
export function mutate(b: Uint8Array, seed: number): Mutation {
  const r = seededRandom(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (n: number) => Math.floor(r() * n);
  const format = formatOf(b);
  const hot = hotOffsets(b, format);
  const where = (): number => (hot.length > 0 && r() < 0.8 ? pick(hot) : int(b.length));
  const ops: Op[] = [];
  const n = 1 + Math.floor(r() ** 2 * 4);
  let length = b.length;
  for (let i = 0; i < n; i++) {
    const choice = r();
    if (choice < 0.2) ops.push({ kind: "flip", at: where(), bit: int(8) });
    else if (choice < 0.35) {
      const fill = pick([0x00, 0xff, 0x7f, 0x80]);
      ops.push({ kind: "set", at: where(), bytes: new Array(1 + int(8)).fill(fill) });
    } else if (choice < 0.7) {
      const width = pick([1, 2, 4, 4, 8, 8] as const);
      let value = pick(BOUNDARY);
      if (r() < 0.3) value = BigInt(int(length * 2 + 16));
      // NetCDF-3 fields are big-endian; HDF5's little-endian.
      const le = format === "netcdf3" ? r() < 0.1 : r() < 0.9;
      ops.push({ kind: "int", at: where(), width, value: value.toString(), le });
    } else if (choice < 0.82) {
      const cut = r() < 0.5 ? int(Math.min(length, 4096)) : int(length);
      ops.push({ kind: "truncate", length: cut });
      length = Math.min(length, cut);
    } else if (choice < 0.92) {
      const len = 1 + int(Math.min(256, Math.max(1, length)));
      ops.push({ kind: "splice", from: where(), to: where(), length: len });
    } else {
      const len = 1 + int(Math.min(512, Math.max(1, length)));
      ops.push({ kind: "dup", from: where(), length: len, at: where() });
      length += len;
    }
  }
  if (format === "hdf5" && r() < 0.7) ops.push({ kind: "rechecksum" });
  return { seed, ops };
}
