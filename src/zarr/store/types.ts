/**
 * The key-value store every archive is written through (filesystem, memory, S3).
 *
 * Keys are "/"-separated paths relative to the archive root ("t2m/c/0/0", ".zmetadata"), never
 * starting or ending with "/", without "." or ".." segments.
 *
 * Guarantees every implementation gives:
 * - `set` is atomic: a concurrent `get` returns either the old or the new value, never a mix or a
 *   truncated value, also when the writer is killed midway.
 * - `setIfAbsent` and `setIfMatch` are compare-and-swap operations: of several concurrent callers
 *   expecting the same state exactly one succeeds. They are linearizable with each other, with
 *   `deleteIfMatch` and with plain `set` (a conditional put never overwrites a put that landed
 *   after the value it compared: the chunk sink stores a chunk blind while another writer of some
 *   of the same cells may be merging into it), but NOT with plain `delete`: a key that several
 *   writers update must not be deleted unconditionally (this is what a per-chunk lock or a
 *   read-merge-write of a chunk shared by two regions builds on).
 * - A version token identifies the value a key holds. Tokens are opaque strings; two reads of an
 *   unchanged key return the same token; equal tokens imply equal content. (S3's ETag fits.)
 */

export interface VersionedValue {
  value: Uint8Array;
  version: string;
}

/**
 * A store described so that another thread, process or machine can open it itself (openStore):
 * workers are handed this, never a Store object or a path. Object stores add their kinds here.
 */
export type StoreDescription =
  | { kind: "fs"; root: string }
  | {
      kind: "s3";
      bucket: string;
      /** Keys live under "<prefix>/"; "" is the bucket's root. */
      prefix: string;
      /** Set when not AWS's own; credentials never travel in a description (the SDK's chain). */
      endpoint?: string;
      region?: string;
      forcePathStyle?: boolean;
    };

export interface DirListing {
  /** Full keys of the values directly under the prefix. */
  keys: string[];
  /** Full paths of the "sub-directories" directly under the prefix (no trailing "/"). */
  prefixes: string[];
}

export interface Store {
  /** The value, or undefined when the key does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** `length` bytes from `offset` (to the end when omitted); undefined when the key is absent. */
  getRange(key: string, offset: number, length?: number): Promise<Uint8Array | undefined>;
  /** The value with its version token, for a later setIfMatch/deleteIfMatch. */
  getWithVersion(key: string): Promise<VersionedValue | undefined>;
  /** Atomic put, creating intermediate "directories" as needed. */
  set(key: string, value: Uint8Array): Promise<void>;
  /** Writes only when the key does not exist; true when this call wrote it. */
  setIfAbsent(key: string, value: Uint8Array): Promise<boolean>;
  /**
   * Writes only when the key's current version is `version` (null: only when it does not exist);
   * true when this call wrote it.
   */
  setIfMatch(key: string, value: Uint8Array, version: string | null): Promise<boolean>;
  /** Removes the key; absent keys are not an error. */
  delete(key: string): Promise<void>;
  /** Removes the key only when its current version is `version`; true when this call removed it. */
  deleteIfMatch(key: string, version: string): Promise<boolean>;
  /** Every key starting with `prefix` (all keys when omitted), in no particular order. */
  list(prefix?: string): Promise<string[]>;
  /** One level of the hierarchy under `prefix` ("" is the root). */
  listDir(prefix: string): Promise<DirListing>;
  /** How a worker opens this same store; undefined for a store only this process can see. */
  describe(): StoreDescription | undefined;
}
