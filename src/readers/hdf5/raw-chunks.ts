/**
 * The raw read path of one HDF5 dataset: its storage and chunk index are parsed once, then each
 * hyperslab is assembled from the chunks it touches — positioned reads, filters undone in JS and
 * node:zlib (`filters.ts`), the overlap copied into the result — and byte-swapped to
 * little-endian. Returns the same bytes h5wasm's H5Dread would.
 *
 * `planRaw` answers "not raw" (with the reason) for anything it does not read; a read touching
 * unallocated storage whose fill value is undecidable answers `undefined` and goes to h5wasm too.
 */
import { product } from "../../util/shape.js";
import { readInto } from "../byte-source.js";
import { copyBox, directOffset, strides, swap } from "./box-copy.js";
import { type ChunkEntry, ChunkTable, readChunkIndex } from "./chunk-index.js";
import type { ChunkTableData } from "./chunk-table.js";
import { ChunkDataError, decodeChunk, type RawFilter, rawFilters } from "./filters.js";
import { CorruptError, FormatError, UNDEFINED_ADDRESS } from "./le-reader.js";
import type { RawFile } from "./raw-file.js";
import { INDEX_NAMES, readStorage, type Storage } from "./storage.js";
import type { Superblock } from "./superblock.js";

/** Largest chunk (unfiltered bytes) the raw path allocates; bigger ones stay on h5wasm. */
const MAX_CHUNK_BYTES = 512 * 2 ** 20;
/** Chunks read and decoded at once for one hyperslab. */
const IN_FLIGHT = 4;
/** A contiguous read this long is taken whole even if the box needs little of it. */
const SPARSE_SPAN = 8 * 2 ** 20;

export interface RawPlanInput {
  file: RawFile;
  /** Object header address of the dataset. */
  address: number;
  filters: RawFilter[];
  /** Stored extent as h5wasm reports it; the raw path must agree. */
  extent: number[];
  elementSize: number;
}

/** How a dataset is read, for tests and diagnostics. */
export interface RawReport {
  raw: boolean;
  /** "chunked/v1 B-tree", "contiguous", "compact", … when the storage was understood. */
  storage?: string;
  /** Why the dataset stays on h5wasm. */
  reason?: string;
  /** Allocated chunks, for chunked storage. */
  chunks?: number;
}

/**
 * `corrupt`: the storage metadata is damaged (`CorruptError`), so reads must fail rather than
 * go to h5wasm.
 */
export type RawPlan = { report: RawReport; dataset?: RawDataset; corrupt?: string };

/**
 * A planned RawDataset as plain data (structured-clone friendly): the object header's address,
 * the parsed storage and, below TABLE_LIMIT entries, the chunk table itself, so another thread
 * reads the dataset without parsing its header or index again (`hdf5/detached.ts`).
 */
export interface RawDescription {
  /** The file as the planning thread's RawFile saw it. */
  fileSize: number;
  superblock: Superblock;
  address: number;
  filters: RawFilter[];
  extent: number[];
  elementSize: number;
  storage: Storage;
  /** Absent for contiguous storage, and for indexes too big to be worth copying: read again. */
  table?: ChunkTableData;
}

/** Above this many chunks a description carries no table: ~28 bytes a chunk to copy per thread. */
export const TABLE_LIMIT = 1_000_000;

export async function planRaw(input: RawPlanInput): Promise<RawPlan> {
  let storage: Storage;
  try {
    storage = await readStorage(input.file, input.address);
  } catch (err) {
    const reason = reasonOf(err);
    return { report: { raw: false, reason }, corrupt: corruptOf(err) };
  }
  const { layout } = storage;
  const name =
    layout.kind === "chunked"
      ? `chunked/${INDEX_NAMES[layout.index] ?? layout.index}`
      : layout.kind;
  const no = (reason: string): RawPlan => ({ report: { raw: false, storage: name, reason } });
  if (!rawFilters(input.filters)) return no("a filter other than deflate, shuffle, fletcher32");
  if (storage.type.size !== input.elementSize) return no("stored element size differs");
  if (
    storage.dims.length !== input.extent.length ||
    storage.dims.some((d, i) => d !== input.extent[i])
  ) {
    return no("dataspace differs from h5wasm's");
  }
  const E = storage.type.size;
  try {
    // Compact storage is a few bytes inside the header: nothing to gain, and neither netCDF4-python
    // nor h5wasm writes it, so no fixture could check a raw reading of it.
    if (layout.kind === "compact") return no("compact storage");
    if (layout.kind === "contiguous") {
      if (input.filters.length > 0) return no("filtered contiguous storage");
      const size = product(storage.dims) * E;
      if (layout.address !== UNDEFINED_ADDRESS) {
        if (layout.size !== -1 && layout.size < size) return no("contiguous storage too small");
        if (!input.file.contains(layout.address, size)) return no("contiguous data past the end");
      }
      return { report: { raw: true, storage: name }, dataset: new RawDataset(input, storage) };
    }
    const chunkBytes = product(layout.chunk) * E;
    if (chunkBytes > MAX_CHUNK_BYTES) return no(`chunks of ${chunkBytes} bytes`);
    const filtered = input.filters.length > 0;
    if (filtered && layout.unfilteredEdges) return no("edge chunks stored unfiltered");
    const table = await readChunkIndex({
      file: input.file,
      layout,
      dims: storage.dims,
      maxdims: storage.maxdims,
      chunkBytes,
      filtered,
    });
    return {
      report: { raw: true, storage: name, chunks: table.size },
      dataset: new RawDataset(input, storage, table),
    };
  } catch (err) {
    return { ...no(reasonOf(err)), corrupt: corruptOf(err) };
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof FormatError) return err.message;
  throw err;
}

function corruptOf(err: unknown): string | undefined {
  return err instanceof CorruptError ? err.message : undefined;
}

export class RawDataset {
  private fillChunk?: Uint8Array;

  constructor(
    private readonly input: RawPlanInput,
    private readonly storage: Storage,
    private readonly table?: ChunkTable,
  ) {}

  /**
   * Whether every read gets an answer (never `undefined`): no read can meet unallocated storage
   * whose fill value is undecidable.
   */
  get decidable(): boolean {
    if (this.storage.fill.kind === "value") return true;
    const { layout } = this.storage;
    if (layout.kind === "contiguous") return layout.address !== UNDEFINED_ADDRESS;
    if (layout.kind === "chunked") return this.table?.complete ?? false;
    return false;
  }

  describe(): RawDescription {
    const { file, ...input } = this.input;
    const table = this.table && this.table.size <= TABLE_LIMIT ? this.table.export() : undefined;
    return {
      fileSize: file.size,
      superblock: { ...file.superblock },
      ...input,
      storage: this.storage,
      table,
    };
  }

  /** The dataset `describe` gave, over `file` (the same file, opened again). */
  static async restore(file: RawFile, d: RawDescription): Promise<RawDataset | undefined> {
    const input: RawPlanInput = {
      file,
      address: d.address,
      filters: d.filters,
      extent: d.extent,
      elementSize: d.elementSize,
    };
    if (d.table) return new RawDataset(input, d.storage, ChunkTable.from(d.table));
    if (d.storage.layout.kind !== "chunked") return new RawDataset(input, d.storage);
    return (await planRaw(input)).dataset;
  }

  private get E(): number {
    return this.storage.type.size;
  }

  /**
   * The hyperslab's bytes, little-endian, in a buffer of its own; `undefined` when it touches
   * unallocated storage whose fill value the raw path cannot decide (the caller asks h5wasm).
   * Corrupt chunk data throws ChunkDataError or FormatError.
   */
  async read(start: number[], count: number[]): Promise<Uint8Array | undefined> {
    const n = product(count);
    // A rank-0 dataset is one element: treat it as shape [1].
    const rank0 = start.length === 0;
    const s = rank0 ? [0] : start;
    const c = rank0 ? [1] : count;
    const dims = rank0 ? [1] : this.storage.dims;
    // Not zeroed: every byte is written (chunk data or fill) before a result is returned.
    const slab = Buffer.allocUnsafeSlow(n * this.E);
    const out = new Uint8Array(slab.buffer, slab.byteOffset, slab.byteLength);
    if (n === 0) return out;
    const ok =
      this.storage.layout.kind === "chunked"
        ? await this.readChunked(s, c, out)
        : await this.readWhole(s, c, dims, out);
    if (!ok) return undefined;
    if (this.storage.type.bigEndian) swap(out, this.E);
    return out;
  }

  private fillBytes(bytes: number): Uint8Array | undefined {
    const { fill } = this.storage;
    if (fill.kind !== "value") return undefined;
    if (this.fillChunk && this.fillChunk.length >= bytes) return this.fillChunk;
    const buf = new Uint8Array(bytes);
    const E = this.E;
    if (fill.bytes.some((b) => b !== 0)) for (let i = 0; i < bytes; i += E) buf.set(fill.bytes, i);
    this.fillChunk = buf;
    return buf;
  }

  /** Contiguous storage: one block the shape of the dataset. */
  private async readWhole(
    start: number[],
    count: number[],
    dims: number[],
    out: Uint8Array,
  ): Promise<boolean> {
    const { layout } = this.storage;
    const E = this.E;
    const dstOrigin = start;
    const lo = start;
    const hi = start.map((s, d) => s + count[d]);
    const copy = (src: Uint8Array, srcBase: number) =>
      copyBox({
        src,
        srcBase,
        srcShape: dims,
        srcOrigin: new Array<number>(dims.length).fill(0),
        dst: out,
        dstShape: count,
        dstOrigin,
        lo,
        hi,
        E,
      });
    if (layout.kind !== "contiguous") return false;
    if (layout.address === UNDEFINED_ADDRESS) {
      const fill = this.fillBytes(out.length);
      if (!fill) return false;
      out.set(fill.subarray(0, out.length));
      return true;
    }
    // One read of the span from the first to the last byte needed, unless that span is mostly
    // bytes the box skips: then one read per sub-box, fixing the fewest leading axes that make
    // each sub-box's span dense enough (at worst one read per row of the box).
    const rank = dims.length;
    const st = strides(dims, E);
    const spanOf = (k: number): number => {
      let span = E;
      for (let d = k; d < rank; d++) span += (count[d] - 1) * st[d];
      return span;
    };
    let k = 0;
    while (k < rank - 1 && spanOf(k) > Math.max(4 * product(count.slice(k)) * E, SPARSE_SPAN)) k++;
    const span = spanOf(k);
    const outer = count.slice(0, k);
    const subs = product(outer);
    let next = 0;
    const worker = async () => {
      while (next < subs) {
        // Sub-box `next` in C order over the fixed axes.
        const subStart = start.slice();
        for (let d = k - 1, rest = next++; d >= 0; d--) {
          subStart[d] += rest % outer[d];
          rest = Math.floor(rest / outer[d]);
        }
        let first = 0;
        for (let d = 0; d < rank; d++) first += subStart[d] * st[d];
        const bytes = await this.input.file.read(layout.address + first, span);
        copyBox({
          src: bytes,
          srcBase: -first,
          srcShape: dims,
          srcOrigin: new Array<number>(rank).fill(0),
          dst: out,
          dstShape: count,
          dstOrigin,
          lo: subStart,
          hi: subStart.map((s, d) => s + (d < k ? 1 : count[d])),
          E,
        });
      }
    };
    if (k === 0) {
      const first = start.reduce((a, s, d) => a + s * st[d], 0);
      copy(await this.input.file.read(layout.address + first, span), -first);
      return true;
    }
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, subs) }, worker));
    return true;
  }

  private async readChunked(start: number[], count: number[], out: Uint8Array): Promise<boolean> {
    const layout = this.storage.layout;
    const table = this.table;
    if (layout.kind !== "chunked" || !table) return false;
    const chunk = layout.chunk;
    const rank = chunk.length;
    const E = this.E;
    const chunkBytes = product(chunk) * E;
    const first = start.map((s, d) => Math.floor(s / chunk[d]));
    const last = start.map((s, d) => Math.floor((s + count[d] - 1) / chunk[d]));
    const span = first.map((f, d) => last[d] - f + 1);
    const hiBox = start.map((s, d) => s + count[d]);

    type Job = { scaled: number[]; entry?: ChunkEntry };
    const jobs: Job[] = [];
    const total = product(span);
    const idx = new Array<number>(rank).fill(0);
    for (let i = 0; i < total; i++) {
      const scaled = idx.map((v, d) => first[d] + v);
      const entry = table.get(scaled);
      jobs.push({ scaled, entry });
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d] < span[d]) break;
        idx[d] = 0;
      }
    }
    if (jobs.some((j) => !j.entry) && !this.fillBytes(chunkBytes)) return false;

    const place = (src: Uint8Array, scaled: number[]) => {
      const origin = scaled.map((s, d) => s * chunk[d]);
      copyBox({
        src,
        srcBase: 0,
        srcShape: chunk,
        srcOrigin: origin,
        dst: out,
        dstShape: count,
        dstOrigin: start,
        lo: origin.map((o, d) => Math.max(o, start[d])),
        hi: origin.map((o, d) => Math.min(o + chunk[d], hiBox[d])),
        E,
      });
    };
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        if (!job.entry) {
          place(this.fillBytes(chunkBytes) as Uint8Array, job.scaled);
          continue;
        }
        const origin = job.scaled.map((v, d) => v * chunk[d]);
        const at = directOffset(origin, chunk, start, count, E);
        if (at >= 0) {
          // The chunk is one run of the result: decode straight into it.
          const target = out.subarray(at, at + chunkBytes);
          const data = await this.chunkData(job.entry, chunkBytes, target);
          if (data !== target) target.set(data);
        } else {
          place(await this.chunkData(job.entry, chunkBytes), job.scaled);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, jobs.length) }, worker));
    return true;
  }

  private async chunkData(
    entry: ChunkEntry,
    chunkBytes: number,
    target?: Uint8Array,
  ): Promise<Uint8Array> {
    if (this.input.filters.length === 0 && target) {
      const got = await readInto(
        this.input.file.source,
        target,
        0,
        chunkBytes,
        this.input.file.absolute(entry.address),
      );
      if (got < chunkBytes) throw new FormatError(`short read at address ${entry.address}`);
      return target;
    }
    const stored = await this.input.file.read(entry.address, entry.size);
    if (this.input.filters.length === 0) return stored;
    return decodeChunk(stored, this.input.filters, entry.mask, this.E, chunkBytes, target);
  }
}

export { ChunkDataError };
