import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FsStore, STALE_TEMP_AGE_MS } from "../../src/zarr/store/fs.js";
import { tempDir } from "../helpers/paths.js";

const HOST = createHash("sha256").update(hostname()).digest("hex").slice(0, 8);
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid as number;

describe("FsStore.sweepStaleTemps", () => {
  it("removes temp files of dead local writers and old ones, keeps live ones and keys", async () => {
    const root = tempDir();
    mkdirSync(join(root, "t2m", "c", "0"), { recursive: true });
    const at = (name: string, ageMs = 0) => {
      const p = join(root, "t2m", "c", "0", name);
      writeFileSync(p, "x");
      const t = (Date.now() - ageMs) / 1000;
      utimesSync(p, t, t);
      return p;
    };
    const dead = deadPid();
    const deadLocal = at(`.0.${HOST}-${dead}-0-abcdef01-1.zarrify-tmp`);
    const liveLocal = at(`.0.${HOST}-${process.ppid}-0-abcdef01-2.zarrify-tmp`);
    const foreignFresh = at(`.0.0badc0de-${dead}-0-abcdef01-3.zarrify-tmp`);
    const foreignOld = at(
      `.0.0badc0de-${dead}-0-abcdef01-4.zarrify-tmp`,
      STALE_TEMP_AGE_MS + 60_000,
    );
    const oldStyle = at(`.0.${dead}-0-abcdef01-5.zarrify-tmp`, STALE_TEMP_AGE_MS + 60_000);
    const chunk = at("1", STALE_TEMP_AGE_MS * 10);
    const store = new FsStore(root);
    expect(await store.sweepStaleTemps()).toBe(3);
    for (const gone of [deadLocal, foreignOld, oldStyle]) expect(existsSync(gone)).toBe(false);
    for (const kept of [liveLocal, foreignFresh, chunk]) expect(existsSync(kept)).toBe(true);
  });

  it("names its own temp files so that a sweep can tell whose they are", async () => {
    const root = tempDir();
    const store = new FsStore(root);
    await store.set("a/b", new Uint8Array([1]));
    expect(await store.sweepStaleTemps()).toBe(0);
    expect(await store.get("a/b")).toEqual(new Uint8Array([1]));
  });
});
