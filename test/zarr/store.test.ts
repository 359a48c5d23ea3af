import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConversionError } from "../../src/errors.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import { openStore } from "../../src/zarr/store/open.js";
import type { Store } from "../../src/zarr/store/types.js";

const tmp = mkdtempSync(join(tmpdir(), "zarrify-store-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirCounter = 0;
const freshDir = () => join(tmp, `s${++dirCounter}`);
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : new TextDecoder().decode(b);

const implementations: [string, () => Store][] = [
  ["MemoryStore", () => new MemoryStore()],
  ["FsStore", () => new FsStore(freshDir())],
];

for (const [name, make] of implementations) {
  describe(`${name} semantics`, () => {
    it("gets, sets, overwrites, reads ranges and deletes", async () => {
      const s = make();
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
      const s = make();
      const v = bytes("abc");
      await s.set("k", v);
      v[0] = 0x7a;
      const got = (await s.get("k")) as Uint8Array;
      expect(text(got)).toBe("abc");
      got[1] = 0x7a;
      expect(text(await s.get("k"))).toBe("abc");
    });

    it("lists keys by prefix and one directory level at a time", async () => {
      const s = make();
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
      const s = make();
      expect(await s.setIfAbsent("g/k", bytes("first"))).toBe(true);
      expect(await s.setIfAbsent("g/k", bytes("second"))).toBe(false);
      expect(text(await s.get("g/k"))).toBe("first");
    });

    it("setIfMatch and deleteIfMatch compare versions", async () => {
      const s = make();
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
      const s = make();
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
  });
}

function run(args: string[]): { child: ChildProcess; done: Promise<string> } {
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

describe("FsStore across processes", () => {
  it("never exposes a torn value while several processes overwrite one key", async () => {
    const root = freshDir();
    const store = new FsStore(root);
    const size = 4 << 20;
    await store.set("arr/c/0/0", new Uint8Array(size).fill(9));
    const writers = [1, 2, 3].map((id) =>
      run(["write", root, "arr/c/0/0", String(id), "25", String(size)]),
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
    const racers = [1, 2, 3, 4].map((id) => run(["absent", root, "lock/k", `racer${id}`, start]));
    const results = await Promise.all(racers.map((r) => r.done));
    expect(results.filter((r) => r === "true")).toHaveLength(1);
    const winner = results.indexOf("true") + 1;
    expect(text(await new FsStore(root).get("lock/k"))).toBe(`racer${winner}`);
  });

  it("loses no update when processes increment a counter with setIfMatch", async () => {
    const root = freshDir();
    const start = String(Date.now() + 1500);
    const workers = [1, 2, 3].map(() => run(["increment", root, "counter", "40", start]));
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
