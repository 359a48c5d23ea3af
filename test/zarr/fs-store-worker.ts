/**
 * Child process for the store tests (store.test.ts, s3-store.test.ts): hammers one key of a store
 * from another process. STORE is an FsStore root, or a StoreDescription as JSON ({"kind":...}),
 * opened with openStore as a worker would.
 *   write STORE KEY ID ITERATIONS SIZE    set KEY to SIZE bytes of ID, ITERATIONS times
 *   absent STORE KEY ID START_MS          at START_MS, setIfAbsent(KEY, ID); prints true/false
 *   increment STORE KEY COUNT START_MS    COUNT compare-and-swap increments of a decimal counter
 */
import { FsStore } from "../../src/zarr/store/fs.js";
import { openStore } from "../../src/zarr/store/open.js";
import type { Store } from "../../src/zarr/store/types.js";

const [mode, where, key, a, b, c] = process.argv.slice(2);
const store: Store = where.startsWith("{") ? openStore(JSON.parse(where)) : new FsStore(where);

async function waitUntil(ms: number): Promise<void> {
  while (Date.now() < ms) await new Promise((r) => setTimeout(r, 1));
}

if (mode === "write") {
  const value = new Uint8Array(Number(c)).fill(Number(a));
  for (let i = 0; i < Number(b); i++) await store.set(key, value);
} else if (mode === "absent") {
  await waitUntil(Number(b));
  const won = await store.setIfAbsent(key, new TextEncoder().encode(a));
  process.stdout.write(String(won));
} else if (mode === "increment") {
  await waitUntil(Number(b));
  let retries = 0;
  for (let i = 0; i < Number(a); i++) {
    for (;;) {
      const cur = await store.getWithVersion(key);
      const n = cur ? Number(new TextDecoder().decode(cur.value)) : 0;
      const next = new TextEncoder().encode(String(n + 1));
      if (await store.setIfMatch(key, next, cur ? cur.version : null)) break;
      retries++;
    }
  }
  process.stdout.write(String(retries));
} else {
  throw new Error(`unknown mode ${mode}`);
}
