/**
 * The input files a thread reads, opened on first use and kept open while its tasks need them.
 * Tasks arrive roughly in time order, so a few open files serve a long run of them; beyond that
 * the least recently used is closed, which bounds open descriptors (and HDF5 file handles) however
 * many inputs a job has.
 *
 * A file is never closed under a read: `read` pins its entry while the read runs, and an entry
 * evicted while pinned is closed when its last read ends. (A block of ten files' pieces, read
 * four at a time, would otherwise evict the file of a read that was still running.)
 *
 * A variable the input describes detached (`InputRef.variables`, `readers/detached.ts`) is read
 * through a byte source of the file shared by that input's detached variables: no Dataset, no
 * h5wasm. The Dataset is opened only for variables without a description.
 */
import type { Dataset, Variable } from "../dataset/types.js";
import { InputError } from "../errors.js";
import type { ByteSource } from "../readers/byte-source.js";
import { type DetachedSource, openDetached, openDetachedSource } from "../readers/detached.js";
import { openDataset } from "../readers/index.js";
import type { InputRef } from "./job.js";

const MAX_OPEN = 8;

/** Reads running on an entry, and whether it left the cache meanwhile (close when idle). */
interface Pins {
  reads: number;
  evicted: boolean;
}

interface Entry extends Pins {
  dataset: Promise<Dataset>;
  variables?: Map<string, Variable>;
  /** Opened by the caller (convert's own dataset): never closed here. */
  borrowed: boolean;
}

interface DetachedEntry extends Pins {
  source: Promise<ByteSource>;
  variables: Map<string, Variable>;
  closed: boolean;
}

/** Most recently used last: Map iteration order is insertion order. */
function touch<K, V>(map: Map<K, V>, key: K): V | undefined {
  const value = map.get(key);
  if (value !== undefined) {
    map.delete(key);
    map.set(key, value);
  }
  return value;
}

async function closeDetached(entry: DetachedEntry): Promise<void> {
  if (entry.closed) return;
  entry.closed = true;
  await (await entry.source.catch(() => undefined))?.close();
}

export class InputCache {
  private readonly open = new Map<number, Entry>();
  private readonly detached = new Map<number, DetachedEntry>();

  constructor(
    private readonly inputs: readonly InputRef[],
    lent: ReadonlyMap<number, Dataset> = new Map(),
  ) {
    for (const [i, ds] of lent) {
      this.open.set(i, { dataset: Promise.resolve(ds), borrowed: true, reads: 0, evicted: false });
    }
  }

  /** `count` cells of variable `name` of an input from `from`, its file kept open meanwhile. */
  async read(
    input: number,
    name: string,
    from: readonly number[],
    count: readonly number[],
  ): Promise<Awaited<ReturnType<Variable["read"]>>> {
    // Pinned before anything is awaited, so no other read's eviction can close it first.
    const { entry, variable } = this.entryFor(input, name);
    entry.reads++;
    try {
      return await (await variable).read([...from], [...count]);
    } finally {
      entry.reads--;
      if (entry.evicted && entry.reads === 0) await this.closeEntry(entry);
    }
  }

  private async closeEntry(entry: Entry | DetachedEntry): Promise<void> {
    if ("source" in entry) await closeDetached(entry);
    else if (!entry.borrowed) await (await entry.dataset.catch(() => undefined))?.close();
  }

  /** Out of the cache; closed now, or by the last read still running on it. */
  private async retire(entry: Entry | DetachedEntry): Promise<void> {
    entry.evicted = true;
    if (entry.reads === 0) await this.closeEntry(entry);
  }

  /** The input's cache entry, found or opened at once, and its variable once the file is open. */
  private entryFor(
    input: number,
    name: string,
  ): { entry: Entry | DetachedEntry; variable: Promise<Variable> } {
    const desc = this.inputs[input].variables?.[name];
    // A Dataset the caller lent is open already: read through it.
    if (desc && !this.open.get(input)?.borrowed) return this.detachedEntry(input, desc);
    let entry = touch(this.open, input);
    let evicted = Promise.resolve();
    if (!entry) {
      const ref = this.inputs[input];
      entry = {
        dataset: openDataset(ref.path, { group: ref.group, version: ref.version }),
        borrowed: false,
        reads: 0,
        evicted: false,
      };
      this.open.set(input, entry);
      evicted = this.evict();
    }
    const own = entry;
    const variable = evicted.then(async () => {
      const ds = await own.dataset;
      own.variables ??= new Map(ds.variables.map((v) => [v.name, v]));
      const found = own.variables.get(name);
      if (!found) {
        throw new InputError(`${ds.path}: variable '${name}' is gone from the file`, {
          path: ds.path,
          hint: "the file changed while it was being written; restore it and run again",
        });
      }
      return found;
    });
    return { entry, variable };
  }

  private detachedEntry(
    input: number,
    desc: DetachedSource,
  ): { entry: DetachedEntry; variable: Promise<Variable> } {
    const ref = this.inputs[input];
    let entry = touch(this.detached, input);
    let evicted = Promise.resolve();
    if (!entry) {
      entry = {
        source: openDetachedSource(ref.path, ref.version),
        variables: new Map(),
        closed: false,
        reads: 0,
        evicted: false,
      };
      this.detached.set(input, entry);
      const old = [...this.detached].slice(0, this.detached.size - MAX_OPEN);
      for (const [i] of old) this.detached.delete(i);
      evicted = Promise.all(old.map(([, e]) => this.retire(e))).then(() => undefined);
    }
    const own = entry;
    const variable = evicted.then(async () => {
      const source = await own.source;
      let found = own.variables.get(desc.name);
      if (!found) {
        found = openDetached(desc, source, () => own.closed);
        own.variables.set(desc.name, found);
      }
      return found;
    });
    return { entry, variable };
  }

  private async evict(): Promise<void> {
    const owned = [...this.open].filter(([, e]) => !e.borrowed);
    const old = owned.slice(0, Math.max(0, owned.length - MAX_OPEN));
    for (const [i] of old) this.open.delete(i);
    await Promise.all(old.map(([, e]) => this.retire(e)));
  }

  async close(): Promise<void> {
    const owned = [...this.open.values()].filter((e) => !e.borrowed);
    const detached = [...this.detached.values()];
    this.open.clear();
    this.detached.clear();
    await Promise.all([
      ...owned.map(async (e) => (await e.dataset.catch(() => undefined))?.close()),
      ...detached.map(closeDetached),
    ]);
  }
}
