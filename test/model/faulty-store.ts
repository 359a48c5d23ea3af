/**
 * One writer's view of the real store, with its faults: every operation waits a random delay
 * first (so writers interleave differently on every run), and at a chosen operation the writer
 * "dies": that operation and every later one throw (or never settle), as if its process were
 * gone. The operation it dies at either never reaches the store ("before") or lands first and the
 * writer dies before seeing the answer ("after"), the two ways a killed process leaves a store.
 *
 * An operation already handed to the real store completes whatever happens to the writer: a store
 * operation of the real FsStore cannot be cut in half from outside (its temp file, lock and rename
 * are internal), so the model's runner waits for `drained()` before a re-run starts, as a re-run
 * after a real kill starts after the process is gone. Kills inside FsStore's own steps (between a
 * temp write and its rename, with a lock held) are what the SIGKILL property covers.
 *
 * describe() is undefined, so the engine keeps the work on this thread, behind the wrapper.
 */

import type {
  DirListing,
  Store,
  StoreDescription,
  VersionedValue,
} from "../../src/zarr/store/types.js";
import { seededRandom } from "../helpers/random.js";

export class Killed extends Error {
  constructor(op: number) {
    super(`writer killed at store operation ${op}`);
  }
}

export interface FaultPlan {
  /** Each operation first waits a uniform delay in [0, maxDelayMs) ms. */
  maxDelayMs: number;
  seed: number;
  /** 1-based operation at which the writer dies; never when undefined or past its last one. */
  killAt?: number;
  /** Or at its first completion record: every chunk stored, the record not (or just) written. */
  killAtRecord?: boolean;
  killMode: "before" | "after";
  /** Dead operations never settle (a hung process) instead of throwing. */
  hang: boolean;
  /**
   * The canary's broken store: conditional puts ignore their condition and always win, as on an
   * S3-compatible server that accepts If-Match and ignores it. The model must then see data lost.
   */
  ignoreConditions?: boolean;
}

const RECORD_PREFIX = ".zarrify/written/";

export class FaultyStore implements Store {
  private ops = 0;
  private dead = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly rand: () => number;
  private onDeath: () => void = () => {};
  /** Settles when the writer dies (a hung writer's own promise never does). */
  readonly died: Promise<void>;
  /** Completion records that landed (a file's write's last act: that file is complete). */
  readonly recordsLanded = new Set<string>();

  constructor(
    private readonly inner: Store,
    private readonly plan: FaultPlan,
  ) {
    this.rand = seededRandom(plan.seed);
    this.died = new Promise((resolve) => {
      this.onDeath = resolve;
    });
  }

  get killed(): boolean {
    return this.dead;
  }

  /** Every operation that reached the real store has finished. */
  async drained(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private die(): void {
    this.dead = true;
    this.onDeath();
  }

  private gone<T>(op: number): Promise<T> {
    return this.plan.hang ? new Promise<T>(() => {}) : Promise.reject(new Killed(op));
  }

  private async run<T>(real: () => Promise<T>, record?: string): Promise<T> {
    const op = ++this.ops;
    const delay = this.rand() * this.plan.maxDelayMs;
    if (delay >= 0.5) await new Promise((r) => setTimeout(r, delay));
    if (this.dead) return this.gone(op);
    const dies =
      this.plan.killAt === op || (this.plan.killAtRecord === true && record !== undefined);
    if (dies && this.plan.killMode === "before") {
      this.die();
      return this.gone(op);
    }
    const p = real();
    this.inFlight.add(p);
    try {
      const value = await p;
      if (record !== undefined) this.recordsLanded.add(record);
      if (dies || this.dead) {
        this.die();
        return this.gone(op);
      }
      return value;
    } finally {
      this.inFlight.delete(p);
    }
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.run(() => this.inner.get(key));
  }
  getRange(key: string, offset: number, length?: number): Promise<Uint8Array | undefined> {
    return this.run(() => this.inner.getRange(key, offset, length));
  }
  getWithVersion(key: string): Promise<VersionedValue | undefined> {
    return this.run(() => this.inner.getWithVersion(key));
  }
  set(key: string, value: Uint8Array): Promise<void> {
    return this.run(
      () => this.inner.set(key, value),
      key.startsWith(RECORD_PREFIX) ? key : undefined,
    );
  }
  setIfAbsent(key: string, value: Uint8Array): Promise<boolean> {
    if (this.plan.ignoreConditions)
      return this.run(() => this.inner.set(key, value).then(() => true));
    return this.run(() => this.inner.setIfAbsent(key, value));
  }
  setIfMatch(key: string, value: Uint8Array, version: string | null): Promise<boolean> {
    if (this.plan.ignoreConditions)
      return this.run(() => this.inner.set(key, value).then(() => true));
    return this.run(() => this.inner.setIfMatch(key, value, version));
  }
  delete(key: string): Promise<void> {
    return this.run(() => this.inner.delete(key));
  }
  deleteIfMatch(key: string, version: string): Promise<boolean> {
    return this.run(() => this.inner.deleteIfMatch(key, version));
  }
  list(prefix?: string): Promise<string[]> {
    return this.run(() => this.inner.list(prefix));
  }
  listDir(prefix: string): Promise<DirListing> {
    return this.run(() => this.inner.listDir(prefix));
  }
  describe(): StoreDescription | undefined {
    return undefined;
  }
}
