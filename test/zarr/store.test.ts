import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FsStore } from "../../src/zarr/store/fs.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import { openStore } from "../../src/zarr/store/open.js";
import { bytes, runStoreWorker, storeConformance, text } from "./store-conformance.js";

const tmp = mkdtempSync(join(tmpdir(), "zarrify-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirCounter = 0;
const freshDir = () => join(tmp, `s${++dirCounter}`);

storeConformance("MemoryStore", () => new MemoryStore());
storeConformance("FsStore", () => new FsStore(freshDir()));

describe("FsStore across processes", () => {
  it("never exposes a torn value while several processes overwrite one key", async () => {
    const root = freshDir();
    const store = new FsStore(root);
    const size = 4 << 20;
    await store.set("arr/c/0/0", new Uint8Array(size).fill(9));
    const writers = [1, 2, 3].map((id) =>
      runStoreWorker(["write", root, "arr/c/0/0", String(id), "25", String(size)]),
    );
    let running = true;
    const finished = Promise.all(writers.map((w) => w.done)).finally(() => {
      running = false;
    });
    const seen = new Set<number>();
    let reads = 0;
    while (running) {
      const v = store.getSync("arr/c/0/0") as Uint8Array;
      expect(v.length).toBe(size);
      const first = v[0];
      expect([1, 2, 3, 9]).toContain(first);
      // Every byte equals the first one: no mix of two writes, no partial file.
      expect(v.every((x) => x === first)).toBe(true);
      seen.add(first);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    await finished;
    expect(reads).toBeGreaterThan(5);
    expect(seen.size).toBeGreaterThan(1);
    // Writers leave nothing behind but the key itself.
    expect(readdirSync(join(root, "arr/c/0"))).toEqual(["0"]);
  });

  it("lets exactly one of several racing processes win setIfAbsent", async () => {
    const root = freshDir();
    const start = String(Date.now() + 1500);
    const racers = [1, 2, 3, 4].map((id) =>
      runStoreWorker(["absent", root, "lock/k", `racer${id}`, start]),
    );
    const results = await Promise.all(racers.map((r) => r.done));
    expect(results.filter((r) => r === "true")).toHaveLength(1);
    const winner = results.indexOf("true") + 1;
    expect(text(await new FsStore(root).get("lock/k"))).toBe(`racer${winner}`);
  });

  it("loses no update when processes increment a counter with setIfMatch", async () => {
    const root = freshDir();
    const start = String(Date.now() + 1500);
    const workers = [1, 2, 3].map(() =>
      runStoreWorker(["increment", root, "counter", "40", start]),
    );
    const retries = (await Promise.all(workers.map((w) => w.done))).map(Number);
    expect(text(await new FsStore(root).get("counter"))).toBe("120");
    expect(retries.every((n) => Number.isInteger(n))).toBe(true);
    expect(readdirSync(root).sort()).toEqual(["counter"]); // no stray lock or temp files
  });
});

describe("FsStore locks and leftovers", () => {
  it("hides temp and lock files from listings", async () => {
    const root = freshDir();
    const s = new FsStore(root);
    await s.set("a/k", bytes("v"));
    writeFileSync(join(root, "a", ".k.123-0-abc-1.zarrify-tmp"), "partial");
    writeFileSync(join(root, "a", ".k.zarrify-lock"), "{}");
    expect(await s.list()).toEqual(["a/k"]);
    expect(await s.listDir("a")).toEqual({ keys: ["a/k"], prefixes: [] });
  });

  it("breaks a lock left by a dead writer", async () => {
    const root = freshDir();
    const s = new FsStore(root, { lockStaleMs: 1000 });
    await s.set("k", bytes("v1"));
    const lock = join(root, ".k.zarrify-lock");
    writeFileSync(lock, JSON.stringify({ token: "dead", pid: 999999 }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const v = (await s.getWithVersion("k"))?.version as string;
    expect(await s.setIfMatch("k", bytes("v2"), v)).toBe(true);
    expect(text(await s.get("k"))).toBe("v2");
  });

  it("times out on a live lock instead of waiting forever", async () => {
    const root = freshDir();
    mkdirSync(root, { recursive: true });
    const s = new FsStore(root, { lockStaleMs: 60_000, lockTimeoutMs: 300 });
    await s.set("k", bytes("v1"));
    writeFileSync(join(root, ".k.zarrify-lock"), JSON.stringify({ token: "alive" }));
    const v = (await s.getWithVersion("k"))?.version as string;
    await expect(s.setIfMatch("k", bytes("v2"), v)).rejects.toThrow(
      /Timed out waiting for the lock/,
    );
    expect(text(await s.get("k"))).toBe("v1");
  });

  it("has synchronous get/set for worker threads", () => {
    const s = new FsStore(freshDir());
    expect(s.getSync("deep/er/k")).toBeUndefined();
    s.setSync("deep/er/k", bytes("sync"));
    expect(text(s.getSync("deep/er/k"))).toBe("sync");
  });
});

describe("store descriptions (what workers open)", () => {
  it("an FsStore describes itself, and openStore opens the same archive", async () => {
    const root = mkdtempSync(join(tmpdir(), "zarrify-describe-"));
    try {
      const a = new FsStore(root);
      await a.set("g/zarr.json", new TextEncoder().encode("{}"));
      const d = a.describe();
      expect(d).toEqual({ kind: "fs", root });
      // Through structured clone, as a worker receives it.
      const b = openStore(structuredClone(d));
      expect(new TextDecoder().decode(await b.get("g/zarr.json"))).toBe("{}");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("a MemoryStore has no description: work on it stays in this process", () => {
    expect(new MemoryStore().describe()).toBeUndefined();
  });
});
