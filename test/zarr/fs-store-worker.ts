/**
 * Child process for test/zarr/store.test.ts: hammers one FsStore key from another process.
 *   write ROOT KEY ID ITERATIONS SIZE    set KEY to SIZE bytes of ID, ITERATIONS times
 *   absent ROOT KEY ID START_MS          at START_MS, setIfAbsent(KEY, ID); prints true/false
 *   increment ROOT KEY COUNT START_MS    COUNT compare-and-swap increments of a decimal counter
 */
import { FsStore } from "../../src/zarr/store/fs.js";

const [mode, root, key, a, b, c] = process.argv.slice(2);
const store = new FsStore(root);

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
