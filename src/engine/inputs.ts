/**
 * The input files a thread reads, opened on first use and kept open while its tasks need them.
 * Tasks arrive roughly in time order, so a few open files serve a long run of them; beyond that
 * the least recently used is closed, which bounds open descriptors (and HDF5 file handles) however
 * many inputs a job has.
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

interface Entry {
  dataset: Promise<Dataset>;
  variables?: Map<string, Variable>;
  /** Opened by the caller (convert's own dataset): never closed here. */
  borrowed: boolean;
}

interface DetachedEntry {
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
    for (const [i, ds] of lent) this.open.set(i, { dataset: Promise.resolve(ds), borrowed: true });
  }

  async variable(input: number, name: string): Promise<Variable> {
    const desc = this.inputs[input].variables?.[name];
    // A Dataset the caller lent is open already: read through it.
    if (desc && !this.open.get(input)?.borrowed) return this.detachedVariable(input, desc);
    let entry = touch(this.open, input);
    if (!entry) {
      const ref = this.inputs[input];
      entry = {
        dataset: openDataset(ref.path, { group: ref.group, version: ref.version }),
        borrowed: false,
      };
      this.open.set(input, entry);
      await this.evict();
    }
    const ds = await entry.dataset;
    entry.variables ??= new Map(ds.variables.map((v) => [v.name, v]));
    const variable = entry.variables.get(name);
    if (!variable) {
      throw new InputError(`${ds.path}: variable '${name}' is gone from the file`, {
        path: ds.path,
        hint: "the file changed while it was being written; restore it and run again",
      });
    }
    return variable;
  }

  private async detachedVariable(input: number, desc: DetachedSource): Promise<Variable> {
    const ref = this.inputs[input];
    let entry = touch(this.detached, input);
    if (!entry) {
      entry = {
        source: openDetachedSource(ref.path, ref.version),
        variables: new Map(),
        closed: false,
      };
      this.detached.set(input, entry);
      for (const [i, e] of [...this.detached].slice(0, this.detached.size - MAX_OPEN)) {
        this.detached.delete(i);
        await closeDetached(e);
      }
    }
    const source = await entry.source;
    let variable = entry.variables.get(desc.name);
    if (!variable) {
      const own = entry;
      variable = openDetached(desc, source, () => own.closed);
      entry.variables.set(desc.name, variable);
    }
    return variable;
  }

  private async evict(): Promise<void> {
    const owned = [...this.open].filter(([, e]) => !e.borrowed);
    for (const [i, e] of owned.slice(0, Math.max(0, owned.length - MAX_OPEN))) {
      this.open.delete(i);
      await (await e.dataset).close();
    }
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
