/**
 * The store conformance suite: what store/types.ts promises, checked the same way for every Store
 * (memory, filesystem, S3). Each store's test file calls it with a factory that gives a fresh,
 * empty store per call:
 *
 *   storeConformance("FsStore", () => new FsStore(freshDir()));
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConversionError } from "../../src/errors.js";
import type { Store } from "../../src/zarr/store/types.js";

export const bytes = (s: string) => new TextEncoder().encode(s);
export const text = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : new TextDecoder().decode(b);

/** COUNT compare-and-swap increments of a decimal counter; returns how many CAS attempts lost. */
export async function increment(store: Store, key: string, count: number): Promise<number> {
  let retries = 0;
  for (let i = 0; i < count; i++) {
    for (;;) {
      const cur = await store.getWithVersion(key);
      const n = cur ? Number(new TextDecoder().decode(cur.value)) : 0;
      const next = new TextEncoder().encode(String(n + 1));
      if (await store.setIfMatch(key, next, cur ? cur.version : null)) break;
      retries++;
    }
  }
  return retries;
}

/** Adds `items` one at a time to a JSON list under `key`, each by read-merge-conditional-put. */
export async function mergeItems(store: Store, key: string, items: string[]): Promise<void> {
  for (const item of items) {
    for (;;) {
      const cur = await store.getWithVersion(key);
      const list: string[] = cur ? JSON.parse(new TextDecoder().decode(cur.value)) : [];
      list.push(item);
      const next = new TextEncoder().encode(JSON.stringify(list));
      if (await store.setIfMatch(key, next, cur ? cur.version : null)) break;
    }
  }
}

export function storeConformance(name: string, make: () => Store | Promise<Store>): void {
  describe(`${name} semantics`, () => {
    it("gets, sets, overwrites, reads ranges and deletes", async () => {
      const s = await make();
      expect(await s.get("a/b/c")).toBeUndefined();
      await s.set("a/b/c", bytes("hello"));
      expect(text(await s.get("a/b/c"))).toBe("hello");
      await s.set("a/b/c", bytes("bye"));
      expect(text(await s.get("a/b/c"))).toBe("bye");
      await s.set("x", bytes("0123456789"));
      expect(text(await s.getRange("x", 2, 3))).toBe("234");
      expect(text(await s.getRange("x", 8))).toBe("89");
      expect(text(await s.getRange("x", 20, 5))).toBe("");
      expect(await s.getRange("missing", 0, 1)).toBeUndefined();
      await s.delete("x");
      await s.delete("x"); // absent is fine
      expect(await s.get("x")).toBeUndefined();
      expect(await s.get("a/b")).toBeUndefined(); // a "directory" is not a value
    });

    it("copies values so callers may reuse their buffers", async () => {
      const s = await make();
      const v = bytes("abc");
      await s.set("k", v);
      v[0] = 0x7a;
      const got = (await s.get("k")) as Uint8Array;
      expect(text(got)).toBe("abc");
      got[1] = 0x7a;
      expect(text(await s.get("k"))).toBe("abc");
    });

    it("lists keys by prefix and one directory level at a time", async () => {
      const s = await make();
      for (const k of [
        "zarr.json",
        "t/zarr.json",
        "t/c/0/0",
        "t/c/0/1",
        "t/c/1/0",
        "tt/zarr.json",
        ".zattrs",
      ]) {
        await s.set(k, bytes(k));
      }
      expect((await s.list()).sort()).toEqual([
        ".zattrs",
        "t/c/0/0",
        "t/c/0/1",
        "t/c/1/0",
        "t/zarr.json",
        "tt/zarr.json",
        "zarr.json",
      ]);
      expect((await s.list("t/c/0")).sort()).toEqual(["t/c/0/0", "t/c/0/1"]);
      expect((await s.list("t/")).sort()).toEqual(["t/c/0/0", "t/c/0/1", "t/c/1/0", "t/zarr.json"]);
      expect((await s.list("t")).sort()).toHaveLength(5);
      expect(await s.list("nope/")).toEqual([]);
      const root = await s.listDir("");
      expect(root.keys.sort()).toEqual([".zattrs", "zarr.json"]);
      expect(root.prefixes.sort()).toEqual(["t", "tt"]);
      const t = await s.listDir("t");
      expect(t).toEqual({ keys: ["t/zarr.json"], prefixes: ["t/c"] });
      expect(await s.listDir("missing")).toEqual({ keys: [], prefixes: [] });
    });

    it("setIfAbsent writes only once", async () => {
      const s = await make();
      expect(await s.setIfAbsent("g/k", bytes("first"))).toBe(true);
      expect(await s.setIfAbsent("g/k", bytes("second"))).toBe(false);
      expect(text(await s.get("g/k"))).toBe("first");
    });

    it("setIfMatch and deleteIfMatch compare versions", async () => {
      const s = await make();
      expect(await s.setIfMatch("k", bytes("v1"), "nonsense")).toBe(false);
      expect(await s.get("k")).toBeUndefined();
      expect(await s.setIfMatch("k", bytes("v1"), null)).toBe(true);
      expect(await s.setIfMatch("k", bytes("v1b"), null)).toBe(false);
      const v1 = (await s.getWithVersion("k"))?.version as string;
      expect((await s.getWithVersion("k"))?.version).toBe(v1); // stable while unchanged
      expect(await s.setIfMatch("k", bytes("v2"), v1)).toBe(true);
      expect(await s.setIfMatch("k", bytes("v3"), v1)).toBe(false);
      expect(text(await s.get("k"))).toBe("v2");
      const v2 = (await s.getWithVersion("k"))?.version as string;
      expect(v2).not.toBe(v1);
      expect(await s.deleteIfMatch("k", v1)).toBe(false);
      expect(await s.deleteIfMatch("k", v2)).toBe(true);
      expect(await s.get("k")).toBeUndefined();
      expect(await s.getWithVersion("k")).toBeUndefined();
    });

    it("rejects keys that could escape the store or collide with its own files", async () => {
      const s = await make();
      for (const bad of [
        "",
        "/abs",
        "a//b",
        "a/../b",
        "..",
        "a/./b",
        "x/",
        "a\\b",
        "k.zarrify-tmp",
        "k.zarrify-lock",
      ]) {
        await expect(s.set(bad, bytes("x")), bad).rejects.toThrow(ConversionError);
      }
    });

    it("lets exactly one of many concurrent setIfAbsent calls win", async () => {
      const s = await make();
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => s.setIfAbsent(`race/${round}`, bytes(`w${i}`))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(text(await s.get(`race/${round}`))).toBe(`w${results.indexOf(true)}`);
      }
    });

    it("loses no update when concurrent writers merge into one key with setIfMatch", async () => {
      const s = await make();
      const writers = 6;
      const perWriter = 8;
      await Promise.all(
        Array.from({ length: writers }, (_, w) =>
          mergeItems(
            s,
            "merged",
            Array.from({ length: perWriter }, (_, i) => `${w}.${i}`),
          ),
        ),
      );
      const list: string[] = JSON.parse(text(await s.get("merged")) as string);
      // Every item exactly once: none lost, none applied twice.
      expect(list.slice().sort()).toEqual(
        Array.from({ length: writers }, (_, w) =>
          Array.from({ length: perWriter }, (_, i) => `${w}.${i}`),
        )
          .flat()
          .sort(),
      );
      // Each writer's items in its own order.
      for (let w = 0; w < writers; w++) {
        const mine = list.filter((x) => x.startsWith(`${w}.`));
        expect(mine).toEqual(Array.from({ length: perWriter }, (_, i) => `${w}.${i}`));
      }
    });

    it("counts every increment of concurrent compare-and-swap counters", async () => {
      const s = await make();
      const retries = await Promise.all(Array.from({ length: 5 }, () => increment(s, "n", 10)));
      expect(text(await s.get("n"))).toBe("50");
      expect(retries.every((n) => Number.isInteger(n))).toBe(true);
    });

    it("a deleteIfMatch race has one winner", async () => {
      const s = await make();
      await s.set("d", bytes("v"));
      const v = (await s.getWithVersion("d"))?.version as string;
      const results = await Promise.all(Array.from({ length: 6 }, () => s.deleteIfMatch("d", v)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await s.get("d")).toBeUndefined();
    });
  });
}

/** Runs fs-store-worker.ts with `args` (the store as a root path or a StoreDescription's JSON). */
export function runStoreWorker(args: string[]): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "fs-store-worker.ts"), ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    err += d;
  });
  const done = new Promise<string>((resolve, reject) => {
    child.on("exit", (codeNum) =>
      codeNum === 0 ? resolve(out) : reject(new Error(`worker failed (${codeNum}): ${err}`)),
    );
  });
  return { child, done };
}
