/**
 * A worker thread terminated in the middle of a put leaves its temp file under the pid of a
 * process that is still running; only that process, once it knows its threads are stopped, can
 * tell it is garbage. `run` sweeps them at its end (ops/sweep.ts sweepOwnTemps): the store's rule
 * is checked here, and that a finished run leaves none in test/kill/kill-matrix.test.ts.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FsStore } from "../../src/zarr/store/fs.js";
import { tempDir } from "../helpers/paths.js";

const HOST = createHash("sha256").update(hostname()).digest("hex").slice(0, 8);

describe("sweeping this process's own temp files", () => {
  it("keeps them by default (a thread may still be writing) and removes them with ownProcess", async () => {
    const root = tempDir();
    mkdirSync(join(root, "t2m"), { recursive: true });
    const own = join(root, "t2m", `.0.0.0.${HOST}-${process.pid}-3-abcdef01-7.zarrify-tmp`);
    const live = join(root, "t2m", `.0.0.1.${HOST}-${process.ppid}-0-abcdef01-8.zarrify-tmp`);
    writeFileSync(own, "x");
    writeFileSync(live, "x");
    const store = new FsStore(root);
    await store.set("t2m/0.0.0", new Uint8Array([1]));
    expect(await store.sweepStaleTemps()).toBe(0);
    expect(existsSync(own)).toBe(true);
    expect(await store.sweepStaleTemps("", Date.now(), { ownProcess: true })).toBe(1);
    expect(existsSync(own)).toBe(false);
    // Another live process's temp file stays: only its own process may judge it.
    expect(existsSync(live)).toBe(true);
    expect(await store.get("t2m/0.0.0")).toEqual(new Uint8Array([1]));
  });
});
