/**
 * Hyperslab reads: turn (start, count) into byte runs on disk, read them with as few positioned
 * reads as makes sense, and byte-swap the result in place into a native typed array.
 */
import type { DataArray, DType } from "../../dataset/types.js";
import { type ByteSource, readInto } from "../byte-source.js";

export interface SlabSource {
  source: ByteSource;
  begin: number;
  shape: number[];
  /** Byte strides per dimension. */
  strides: number[];
  elSize: number;
  dtype: Exclude<DType, "string">;
}

/**
 * Runs that are small and close together are fetched with one read of the span that covers them
 * and copied out: a syscall costs more than skipping a few KiB of page cache.
 */
const SMALL_RUN = 256 * 1024;
const MAX_GAP = 64 * 1024;
const MAX_WINDOW = 8 * 1024 * 1024;
/** Big runs are split so several reads proceed at once on libuv's thread pool. */
const PIECE = 16 * 1024 * 1024;
const IN_FLIGHT = 4;

/** Byte offsets of the runs a slab needs, plus the (equal) length of each run. */
export interface RunPlan {
  runBytes: number;
  nRuns: number;
  /** Yields the file offset of each run, in output order. */
  offsets(): Generator<number>;
}

export function planRuns(src: SlabSource, start: number[], count: number[]): RunPlan {
  const { shape, strides, begin } = src;
  const n = shape.length;
  // Fold inner dimensions into one run while they sit back to back on disk and the slab covers
  // them whole. A record dimension folds only when records are packed (stride == block size).
  let k = n;
  let block = src.elSize;
  let runBytes = src.elSize;
  while (k > 0 && strides[k - 1] === block) {
    k--;
    runBytes = count[k] * block;
    if (count[k] !== shape[k]) break;
    block *= shape[k];
  }
  let base = begin;
  for (let d = 0; d < n; d++) base += start[d] * strides[d];
  let nRuns = 1;
  for (let d = 0; d < k; d++) nRuns *= count[d];
  const outer = k;
  return {
    runBytes,
    nRuns,
    *offsets() {
      if (nRuns === 0) return;
      const idx = new Array<number>(outer).fill(0);
      let off = base;
      for (;;) {
        yield off;
        // Odometer over the outer dimensions, innermost fastest.
        let d = outer - 1;
        for (; d >= 0; d--) {
          idx[d]++;
          off += strides[d];
          if (idx[d] < count[d]) break;
          off -= idx[d] * strides[d];
          idx[d] = 0;
        }
        if (d < 0) return;
      }
    },
  };
}

/** A unit of I/O; `scratch(n)` lends the running worker's reusable buffer of at least n bytes. */
type Task = (scratch: (n: number) => Buffer) => Promise<void>;

export async function readSlab(
  src: SlabSource,
  start: number[],
  count: number[],
  onShortRead: (position: number, wanted: number, got: number) => never,
): Promise<DataArray> {
  let elems = 1;
  for (const c of count) elems *= c;
  const total = elems * src.elSize;
  // allocUnsafeSlow: not pooled, so byteOffset is 0 and the typed array owns the whole buffer.
  const out = Buffer.allocUnsafeSlow(total);
  if (total > 0) {
    const tasks = makeTasks(src.source, planRuns(src, start, count), out, onShortRead);
    await runBounded(tasks, IN_FLIGHT);
    swapInPlace(out, src.elSize);
  }
  return view(out, src.dtype, elems);
}

function* makeTasks(
  source: ByteSource,
  plan: RunPlan,
  out: Buffer,
  onShortRead: (position: number, wanted: number, got: number) => never,
): Generator<Task> {
  const { runBytes } = plan;
  const read = async (buf: Uint8Array, at: number, len: number, pos: number) => {
    const got = await readInto(source, buf, at, len, pos);
    if (got < len) onShortRead(pos, len, got);
  };

  if (runBytes >= SMALL_RUN) {
    let outAt = 0;
    for (const pos of plan.offsets()) {
      for (let p = 0; p < runBytes; p += PIECE) {
        const len = Math.min(PIECE, runBytes - p);
        const o = outAt + p;
        yield () => read(out, o, len, pos + p);
      }
      outAt += runBytes;
    }
    return;
  }

  // Small runs: gather neighbours into windows read in one go.
  let winStart = -1;
  let winEnd = -1;
  let winOut = 0;
  let positions: number[] = [];
  const flush = (): Task => {
    const s = winStart;
    const e = winEnd;
    const o = winOut;
    const ps = positions;
    if (ps.length * runBytes === e - s) return () => read(out, o, e - s, s);
    return async (lend) => {
      const scratch = lend(e - s);
      await read(scratch, 0, e - s, s);
      let at = o;
      for (const p of ps) {
        scratch.copy(out, at, p - s, p - s + runBytes);
        at += runBytes;
      }
    };
  };
  let outAt = 0;
  for (const pos of plan.offsets()) {
    if (
      positions.length > 0 &&
      (pos < winEnd || pos - winEnd > MAX_GAP || pos + runBytes - winStart > MAX_WINDOW)
    ) {
      yield flush();
      positions = [];
    }
    if (positions.length === 0) {
      winStart = pos;
      winOut = outAt;
    }
    positions.push(pos);
    winEnd = pos + runBytes;
    outAt += runBytes;
  }
  if (positions.length > 0) yield flush();
}

/** Run tasks with at most `limit` in flight; pulls lazily so millions of runs stay cheap. */
async function runBounded(tasks: Iterator<Task>, limit: number): Promise<void> {
  let failed = false;
  const worker = async (): Promise<void> => {
    let scratch: Buffer | undefined;
    const lend = (n: number): Buffer => {
      if (scratch === undefined || scratch.length < n) scratch = Buffer.allocUnsafeSlow(n);
      return scratch;
    };
    for (;;) {
      if (failed) return;
      const next = tasks.next();
      if (next.done) return;
      try {
        await next.value(lend);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** NetCDF-3 data is big-endian; Buffer's swaps are native code. */
function swapInPlace(buf: Buffer, elSize: number): void {
  if (elSize === 2) buf.swap16();
  else if (elSize === 4) buf.swap32();
  else if (elSize === 8) buf.swap64();
}

function view(buf: Buffer, dtype: SlabSource["dtype"], n: number): DataArray {
  const ab = buf.buffer;
  switch (dtype) {
    case "int8":
      return new Int8Array(ab, 0, n);
    case "uint8":
    case "char":
      return new Uint8Array(ab, 0, n);
    case "int16":
      return new Int16Array(ab, 0, n);
    case "uint16":
      return new Uint16Array(ab, 0, n);
    case "int32":
      return new Int32Array(ab, 0, n);
    case "uint32":
      return new Uint32Array(ab, 0, n);
    case "int64":
      return new BigInt64Array(ab, 0, n);
    case "uint64":
      return new BigUint64Array(ab, 0, n);
    case "float32":
      return new Float32Array(ab, 0, n);
    case "float64":
      return new Float64Array(ab, 0, n);
  }
}
