/**
 * The input files a thread reads, opened on first use and kept open while its tasks need them.
 * Tasks arrive roughly in time order, so a few open files serve a long run of them; beyond that
 * the least recently used is closed, which bounds open descriptors (and HDF5 file handles) however
 * many inputs a job has.
 */
import type { Dataset, Variable } from "../dataset/types.js";
import { InputError } from "../errors.js";
import { openDataset } from "../readers/index.js";
import type { InputRef } from "./job.js";

const MAX_OPEN = 8;

interface Entry {
  dataset: Promise<Dataset>;
  variables?: Map<string, Variable>;
  /** Opened by the caller (convert's own dataset): never closed here. */
  borrowed: boolean;
}

export class InputCache {
  private readonly open = new Map<number, Entry>();

  constructor(
    private readonly inputs: readonly InputRef[],
    lent: ReadonlyMap<number, Dataset> = new Map(),
  ) {
    for (const [i, ds] of lent) this.open.set(i, { dataset: Promise.resolve(ds), borrowed: true });
  }

  async variable(input: number, name: string): Promise<Variable> {
    let entry = this.open.get(input);
    if (entry) {
      // Most recently used last: Map iteration order is insertion order.
      this.open.delete(input);
      this.open.set(input, entry);
    } else {
      const ref = this.inputs[input];
      entry = { dataset: openDataset(ref.path, { group: ref.group }), borrowed: false };
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

  private async evict(): Promise<void> {
    const owned = [...this.open].filter(([, e]) => !e.borrowed);
    for (const [i, e] of owned.slice(0, Math.max(0, owned.length - MAX_OPEN))) {
      this.open.delete(i);
      await (await e.dataset).close();
    }
  }

  async close(): Promise<void> {
    const owned = [...this.open.values()].filter((e) => !e.borrowed);
    this.open.clear();
    await Promise.all(owned.map(async (e) => (await e.dataset.catch(() => undefined))?.close()));
  }
}
