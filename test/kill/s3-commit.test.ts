/**
 * A new archive on S3 commits by writing its root documents last and then removing its build
 * marker (.zarrify/partial.json). A SIGKILL between those requests is a window of milliseconds
 * the random kills of the matrix rarely hit, so the two states it leaves are made here by hand,
 * from a finished convert, and the same convert is run again:
 * - after the last root document (complete), only the marker was left: the re-run refuses the
 *   existing output, as for any finished archive, and the dead build's marker is gone;
 * - v2 killed between .zgroup and .zmetadata: the archive opens without its consolidated
 *   metadata; the re-run takes the build over and completes it.
 * And a process killed during its store's conditional-write probe left the probe object
 * (.zarrify/probe/…) for good (the matrix's second run, create-template and a queue worker on
 * S3): the next probe removes those of dead processes.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Moto, motoSkipReason, skipMoto, startMoto } from "../helpers/moto.js";
import { tempDir } from "../helpers/paths.js";
import { writeKillGrid } from "./grid.js";
import { runCli } from "./proc.js";
import { s3Keys, s3Store } from "./tree.js";

const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid as number;

describe.skipIf(skipMoto)(
  `S3 commit killed among its last requests${skipMoto ? ` (skipped: ${motoSkipReason})` : ""}`,
  () => {
    let moto: Moto;
    const dir = tempDir("zarrify-kill-s3-");
    const input = join(dir, "in.nc");
    beforeAll(async () => {
      moto = await startMoto("kill-commit");
      writeKillGrid(input, { firstDay: 0, times: 6, y: 20, x: 30 });
    });
    afterAll(async () => {
      await moto?.stop();
    });

    const env = () => ({ ...process.env, AWS_ENDPOINT_URL: moto.endpoint });
    const place = (prefix: string) => ({ bucket: moto.bucket, prefix, endpoint: moto.endpoint });
    const deadMarker = () =>
      new TextEncoder().encode(
        JSON.stringify({ host: hostname(), pid: deadPid(), time: Date.now() }),
      );

    for (const [format, cut] of [
      ["3", "nothing"],
      ["2", "nothing"],
      ["2", ".zmetadata"],
    ] as const) {
      it(`v${format}, killed with ${cut === "nothing" ? "every root document written" : `${cut} not written yet`}`, async () => {
        const prefix = `v${format}-${cut}`;
        const args = ["convert", input, `s3://${moto.bucket}/${prefix}`, "--zarr-format", format];
        const first = await runCli(args, env());
        expect(first.code, first.stderr).toBe(0);
        const store = s3Store(place(prefix));
        const complete = await s3Keys(place(prefix));
        if (cut !== "nothing") await store.delete(cut);
        await store.set(".zarrify/partial.json", deadMarker());

        const again = await runCli(args, env());
        if (cut === "nothing") {
          expect(again.code).toBe(2);
          expect(again.stderr).toMatch(/already exists/);
        } else expect(again.code, again.stderr).toBe(0);
        expect(await s3Keys(place(prefix))).toEqual(complete);
        const v = await runCli(["validate", `s3://${moto.bucket}/${prefix}`, "--json"], env());
        expect(v.code, v.stderr).toBe(0);
        expect(JSON.parse(v.stdout)).toMatchObject({ complete: true, missingSteps: 0 });
      });
    }

    it("a probe object a killed process left is removed by the next probe", async () => {
      const prefix = "probe-left";
      const host = createHash("sha256").update(hostname()).digest("hex").slice(0, 8);
      const left = `.zarrify/probe/${host}-${deadPid()}-${Date.now()}-abcdef`;
      await s3Store(place(prefix)).set(left, new TextEncoder().encode("probe"));
      const c = await runCli(["convert", input, `s3://${moto.bucket}/${prefix}`], env());
      expect(c.code, c.stderr).toBe(0);
      const keys = await s3Keys(place(prefix));
      expect(keys.filter((k) => k.startsWith(".zarrify/probe/"))).toEqual([]);
    });
  },
);
