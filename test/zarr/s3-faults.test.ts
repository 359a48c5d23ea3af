/**
 * S3Store through the fault proxy (test/helpers/fault-proxy.ts) in front of moto: dropped
 * connections, 503 SlowDown, 500s, responses delayed past the client's timeout, truncated bodies,
 * and acknowledgements lost after the server applied the write. Every write lands exactly once;
 * a retried conditional PUT whose first attempt landed reports success (also when another writer
 * already replaced it), and never claims another writer's; CAS counters and merges under random
 * faults lose no update and apply none twice.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { S3Store, type S3StoreOptions } from "../../src/zarr/store/s3.js";
import {
  type Fault,
  type FaultProxy,
  type ProxyRequest,
  randomFaults,
  startFaultProxy,
} from "../helpers/fault-proxy.js";
import { type Moto, motoSkipReason, skipMoto, startMoto } from "../helpers/moto.js";
import { bytes, increment, mergeItems, runStoreWorker, text } from "./store-conformance.js";

let moto: Moto;
let proxy: FaultProxy;
const stores: S3Store[] = [];
let prefixCounter = 0;

beforeAll(async () => {
  if (skipMoto) return;
  moto = await startMoto("faults");
  proxy = await startFaultProxy(moto.endpoint);
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.destroy()));
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(() => {
  if (!proxy) return;
  proxy.plan = () => undefined;
  proxy.stripConditions = false;
});

/** A store through the proxy, with quick retries and a 1 s request timeout. */
function faulty(prefix: string, options: Partial<S3StoreOptions> = {}): S3Store {
  const s = new S3Store({
    ...moto.s3,
    endpoint: proxy.endpoint,
    prefix,
    retryBaseMs: 5,
    retryMaxMs: 100,
    requestTimeoutMs: 1000,
    ...options,
  });
  stores.push(s);
  return s;
}
/** The same prefix straight to moto: what is really there. */
function direct(prefix: string): S3Store {
  const s = new S3Store({ ...moto.s3, prefix });
  stores.push(s);
  return s;
}
const freshPrefix = () => `f${++prefixCounter}`;
const objectPath = (prefix: string, key: string) => `/${moto.bucket}/${prefix}/${key}`;

/** `fault` for the first request `match` accepts, nothing for the others. */
function once(
  match: (r: ProxyRequest) => boolean,
  fault: Fault,
): (r: ProxyRequest) => Fault | undefined {
  let used = false;
  return (r) => {
    if (used || !match(r)) return undefined;
    used = true;
    return fault;
  };
}
const isPut = (path: string) => (r: ProxyRequest) =>
  r.method === "PUT" && r.url.split("?")[0] === path;
const isGet = (path: string) => (r: ProxyRequest) =>
  r.method === "GET" && r.url.split("?")[0] === path;
const entriesFor = (path: string) => proxy.log.filter((e) => e.url.split("?")[0] === path);

const skipNote = skipMoto ? ` (skipped: ${motoSkipReason})` : "";

describe.skipIf(skipMoto)(`S3Store through the fault proxy${skipNote}`, () => {
  const writeFaults: Fault[] = [
    { kind: "drop" },
    { kind: "slowdown" },
    { kind: "internal" },
    { kind: "lose-response" },
    { kind: "delay", ms: 1500 }, // past the 1 s request timeout
  ];

  for (const fault of writeFaults) {
    it(`set survives ${fault.kind} and the value lands once`, async () => {
      const prefix = freshPrefix();
      const path = objectPath(prefix, "k");
      proxy.plan = once(isPut(path), fault);
      await faulty(prefix).set("k", bytes(`after ${fault.kind}`));
      expect(text(await direct(prefix).get("k"))).toBe(`after ${fault.kind}`);
      expect(entriesFor(path).filter((e) => e.method === "PUT").length).toBe(2); // one retry
    });

    it(`get survives ${fault.kind}`, async () => {
      const prefix = freshPrefix();
      await direct(prefix).set("k", bytes("value"));
      const path = objectPath(prefix, "k");
      proxy.plan = once(isGet(path), fault);
      expect(text(await faulty(prefix).get("k"))).toBe("value");
      expect(entriesFor(path).map((e) => e.fault)).toEqual([fault.kind, undefined]);
    });
  }

  it("get retries a truncated body instead of returning half the value", async () => {
    const prefix = freshPrefix();
    const value = new Uint8Array(100_000).map((_, i) => i % 251);
    await direct(prefix).set("k", value);
    proxy.plan = once(isGet(objectPath(prefix, "k")), { kind: "truncate" });
    expect(await faulty(prefix).get("k")).toEqual(value);
  });

  it("get of a missing key retries a truncated error document and answers undefined", async () => {
    // The 404's NoSuchKey body cut in half: the SDK reports "aborted ... Deserialization error"
    // with status 404, which is a broken connection, not an answer (write-region met it probing
    // for zarr.json).
    const prefix = freshPrefix();
    proxy.plan = once(isGet(objectPath(prefix, "absent")), { kind: "truncate" });
    expect(await faulty(prefix).get("absent")).toBeUndefined();
    expect(entriesFor(objectPath(prefix, "absent")).length).toBeGreaterThanOrEqual(2);
  });

  for (const fault of [{ kind: "lose-response" }, { kind: "delay", ms: 1500 }] as Fault[]) {
    it(`setIfAbsent whose answer was lost (${fault.kind}) reports success; the object landed once`, async () => {
      const prefix = freshPrefix();
      const path = objectPath(prefix, "lock");
      proxy.plan = once(isPut(path), fault);
      expect(await faulty(prefix).setIfAbsent("lock", bytes("mine"))).toBe(true);
      expect(text(await direct(prefix).get("lock"))).toBe("mine");
      const puts = entriesFor(path).filter((e) => e.method === "PUT");
      expect(puts.map((e) => e.status)).toEqual([200, 412]); // applied, then refused: once
      expect(proxy.applied("PUT", path)).toHaveLength(1);
    });

    it(`setIfMatch whose answer was lost (${fault.kind}) reports success; the object landed once`, async () => {
      const prefix = freshPrefix();
      await direct(prefix).set("k", bytes("v1"));
      const s = faulty(prefix);
      const v1 = (await s.getWithVersion("k"))?.version as string;
      const path = objectPath(prefix, "k");
      proxy.plan = once(isPut(path), fault);
      expect(await s.setIfMatch("k", bytes("v2"), v1)).toBe(true);
      expect(text(await direct(prefix).get("k"))).toBe("v2");
      expect(proxy.applied("PUT", path)).toHaveLength(1);
      expect(await s.setIfMatch("k", bytes("v3"), v1)).toBe(false); // v1 is gone
    });
  }

  it("a landed write is recognised even after another writer replaced it before the retry", async () => {
    const prefix = freshPrefix();
    const path = objectPath(prefix, "n");
    const other = direct(prefix);
    await other.set("n", bytes("0"));
    const s = faulty(prefix);
    // Our increment lands, its answer is lost, and before we retry another writer increments on
    // top of it: our retry gets 412, and only the replaced write's id tells us it was ours.
    proxy.plan = once(isPut(path), {
      kind: "lose-response",
      before: () => increment(other, "n", 1).then(() => {}),
    });
    const cur = await s.getWithVersion("n");
    expect(await s.setIfMatch("n", bytes("1"), cur?.version ?? null)).toBe(true);
    expect(text(await other.get("n"))).toBe("2");
  });

  it("says the outcome is unknown when too many writes replaced a landed one to tell", async () => {
    const prefix = freshPrefix();
    const path = objectPath(prefix, "n");
    const other = direct(prefix);
    await other.set("n", bytes("0"));
    const s = faulty(prefix, { requestTimeoutMs: 30_000 }); // waits for the answer throughout
    // 130 writes on top of ours before our retry: more than an object's history remembers.
    proxy.plan = once(isPut(path), {
      kind: "lose-response",
      before: () => increment(other, "n", 130).then(() => {}),
    });
    const cur = await s.getWithVersion("n");
    const err = await s.setIfMatch("n", bytes("1"), cur?.version ?? null).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toBe(
      `s3://${moto.bucket}/${prefix}: cannot write n: whether it was written is unknown: the answer to an attempt was lost, and more than 128 writes have replaced the key since`,
    );
    expect(text(await other.get("n"))).toBe("131");
  });

  it("never claims another writer's object as its own", async () => {
    const prefix = freshPrefix();
    const path = objectPath(prefix, "lock");
    const other = direct(prefix);
    // Our first attempt is dropped (it never reaches the server), meanwhile another writer takes
    // the key: our retry gets 412 and must report false.
    proxy.plan = once(isPut(path), {
      kind: "drop",
      before: async () => {
        expect(await other.setIfAbsent("lock", bytes("theirs"))).toBe(true);
      },
    });
    expect(await faulty(prefix).setIfAbsent("lock", bytes("mine"))).toBe(false);
    expect(text(await other.get("lock"))).toBe("theirs");
  });

  it("deleteIfMatch whose answer was lost reports success", async () => {
    const prefix = freshPrefix();
    const s = faulty(prefix);
    await s.set("k", bytes("v"));
    const v = (await s.getWithVersion("k"))?.version as string;
    const path = objectPath(prefix, "k");
    proxy.plan = once((r) => r.method === "DELETE" && r.url.split("?")[0] === path, {
      kind: "lose-response",
    });
    expect(await s.deleteIfMatch("k", v)).toBe(true);
    expect(await direct(prefix).get("k")).toBeUndefined();
  });

  it("keeps at most maxConcurrency requests of one store in flight", async () => {
    const prefix = freshPrefix();
    await direct(prefix).set("k", bytes("v"));
    const s = faulty(prefix, { maxConcurrency: 3 });
    proxy.plan = () => ({ kind: "delay", ms: 50 });
    proxy.resetInFlight();
    const got = await Promise.all(Array.from({ length: 20 }, () => s.get("k")));
    expect(got.map(text)).toEqual(Array(20).fill("v"));
    expect(proxy.maxInFlight).toBe(3);
  });

  it("refuses to write conditionally to a server that ignores the conditions", async () => {
    const prefix = freshPrefix();
    proxy.stripConditions = true;
    const s = faulty(prefix);
    const message = `s3://${moto.bucket}/${prefix}: the S3 server at ${proxy.endpoint} ignores If-None-Match on PUT, If-Match on PUT, If-Match on DELETE: concurrent writers would silently lose updates, so zarrify does not write conditionally there`;
    const err = await s.setIfAbsent("lock", bytes("a")).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toBe(message);
    expect(err.hint).toMatch(/enforces conditional writes/);
    await expect(s.setIfMatch("lock", bytes("b"), '"x"')).rejects.toThrow(message);
    await expect(s.deleteIfMatch("lock", '"x"')).rejects.toThrow(message);
    expect(await direct(prefix).list()).toEqual([]); // the probe cleaned up after itself
    // Why: unchecked, both writers "win" the same key.
    const unchecked = faulty(prefix, { verifyConditionalWrites: false });
    expect(await unchecked.setIfAbsent("lock", bytes("a"))).toBe(true);
    expect(await unchecked.setIfAbsent("lock", bytes("b"))).toBe(true);
  });

  it("checks the server once per store, and through faults", async () => {
    const prefix = freshPrefix();
    const start = proxy.log.length;
    proxy.plan = randomFaults({
      rate: 0.3,
      seed: 3,
      faults: [{ kind: "drop" }, { kind: "slowdown" }, { kind: "lose-response" }],
    });
    const s = faulty(prefix);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => s.setIfAbsent(`k${i}`, bytes("v"))),
    );
    expect(results).toEqual(Array(5).fill(true));
    expect(await s.setIfAbsent("k0", bytes("again"))).toBe(false);
    proxy.plan = () => undefined;
    const probes = new Set(
      proxy.log
        .slice(start)
        .filter((e) => e.url.includes("/.zarrify/probe/"))
        .map((e) => e.url.split("?")[0]),
    );
    expect(probes.size).toBe(1);
    expect((await direct(prefix).list()).sort()).toEqual(["k0", "k1", "k2", "k3", "k4"]);
  });

  it("gives up on endless SlowDown with one StoreError line", async () => {
    const prefix = freshPrefix();
    proxy.plan = () => ({ kind: "slowdown" });
    const err = await faulty(prefix, { maxAttempts: 4 })
      .set("k", bytes("v"))
      .catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toBe(
      `s3://${moto.bucket}/${prefix}: cannot write k: the server kept failing (503 SlowDown) after 4 attempts`,
    );
    expect(err.hint).toMatch(/try again later/);
  });

  const allFaults: Fault[] = [
    { kind: "drop" },
    { kind: "slowdown" },
    { kind: "internal" },
    { kind: "lose-response" },
    { kind: "delay", ms: 200 },
    { kind: "delay", ms: 1200 }, // past the timeout
    { kind: "truncate" },
  ];

  it("CAS counters under random faults lose no update and count none twice", async () => {
    const prefix = freshPrefix();
    proxy.plan = randomFaults({ rate: 0.25, seed: 11, faults: allFaults });
    const start = proxy.log.length;
    // Four stores, four connection pools: like four processes.
    const writers = Array.from({ length: 4 }, () => faulty(prefix));
    await Promise.all(writers.map((w) => increment(w, "counter", 12)));
    proxy.plan = () => undefined;
    const seen = proxy.log.slice(start);
    // 48 increments reported, 48 on the server, and 48 writes applied there: none twice.
    const applied = new Set(
      seen.filter((e) => e.writeId && e.status === 200).map((e) => e.writeId),
    );
    expect({ counter: text(await direct(prefix).get("counter")), applied: applied.size }).toEqual({
      counter: "48",
      applied: 48,
    });
    const lostAcks = seen.filter(
      (e) => e.fault === "lose-response" && e.conditional && e.status === 200,
    );
    expect(lostAcks.length).toBeGreaterThan(0); // the hard case really happened
    expect(new Set(seen.map((e) => e.fault).filter(Boolean)).size).toBeGreaterThanOrEqual(5);
  });

  it("processes incrementing one counter through random faults lose no update", async () => {
    const prefix = freshPrefix();
    const path = objectPath(prefix, "counter");
    proxy.plan = randomFaults({
      rate: 0.2,
      seed: 23,
      // No delay past the timeout: the workers open the store from its description, with the
      // default five-minute request timeout.
      faults: allFaults.filter((f) => f.kind !== "delay" || f.ms < 1000),
    });
    const start = proxy.log.length;
    const d = JSON.stringify(faulty(prefix).describe());
    const at = String(Date.now() + 2500);
    const workers = [1, 2, 3].map(() => runStoreWorker(["increment", d, "counter", "15", at]));
    await Promise.all(workers.map((w) => w.done));
    proxy.plan = () => undefined;
    const seen = proxy.log.slice(start);
    const applied = new Set(
      seen
        .filter((e) => e.writeId && e.status === 200 && e.url.split("?")[0] === path)
        .map((e) => e.writeId),
    );
    expect({ counter: text(await direct(prefix).get("counter")), applied: applied.size }).toEqual({
      counter: "45",
      applied: 45,
    });
    expect(
      seen.filter((e) => e.fault === "lose-response" && e.status === 200).length,
    ).toBeGreaterThan(0);
  });

  it("merges under random faults keep every item exactly once", async () => {
    const prefix = freshPrefix();
    proxy.plan = randomFaults({ rate: 0.25, seed: 5, faults: allFaults });
    const writers = Array.from({ length: 4 }, () => faulty(prefix));
    await Promise.all(
      writers.map((w, i) =>
        mergeItems(
          w,
          "list",
          Array.from({ length: 8 }, (_, j) => `${i}.${j}`),
        ),
      ),
    );
    proxy.plan = () => undefined;
    const list: string[] = JSON.parse(text(await direct(prefix).get("list")) as string);
    expect(list.slice().sort()).toEqual(
      Array.from({ length: 4 }, (_, i) => Array.from({ length: 8 }, (_, j) => `${i}.${j}`))
        .flat()
        .sort(),
    );
  });
});
