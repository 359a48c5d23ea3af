/**
 * The archive half of the bad-input catalogue (docs/errors.md): append and validate given
 * something that is not an archive, or an archive whose metadata is damaged, and writes into an
 * existing archive that the machine refuses (read-only, not the user's, a full disk). Each fails
 * as docs/cli.md promises, and a refused append or write-region leaves the archive byte for byte
 * as it was; a write cut short by a full disk leaves no temp file and no record of completion.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type BoundedRun, runCliBounded, treeDigest } from "../helpers/clean-failure.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { cliBin, tempDir } from "../helpers/paths.js";
import {
  canMount,
  expectFailsWithHint,
  isRoot,
  NOBODY,
  openTo,
  runThroughShell,
} from "./catalogue.js";

const dir = tempDir("zarrify-bad-archive-");
const at = (name: string) => join(dir, name);
/** 10 daily steps from 2000-01-01, Zarr v3, made by convert: what append extends. */
const v3 = at("v3.zarr");
/** The same, Zarr v2. */
const v2 = at("v2.zarr");
/** 50 daily steps from 2000-01-01, for write-region. */
const template = at("template.zarr");

beforeAll(() => {
  openTo(dir);
  writeGrid(at("jan.nc"), { times: 10, y: 4, x: 5 });
  writeGrid(at("later.nc"), { times: 10, y: 4, x: 5, firstDay: 10 });
  writeGrid(at("noon.nc"), { times: 10, y: 4, x: 5, firstDay: 0.5 });
  writeGrid(at("coarser.nc"), { times: 10, y: 3, x: 5, firstDay: 10 });
  writeFileSync(at("notes.nc"), "not a NetCDF file\n");
  mkdirSync(at("plain-dir"));
  for (const args of [
    ["convert", at("jan.nc"), v3],
    ["convert", at("jan.nc"), v2, "--zarr-format", "2"],
    [
      "create-template",
      at("jan.nc"),
      template,
      "--global-start",
      "2000-01-01",
      "--global-end",
      "2000-02-19",
    ],
  ]) {
    const r = runCliBounded(args);
    expect(r.code, r.stderr).toBe(0);
  }
});

/** A copy of `archive` with `key` replaced by `text` (removed: null), for a damaged case. */
function damaged(archive: string, name: string, key: string, text: string | null): string {
  const copy = at(name);
  cpSync(archive, copy, { recursive: true });
  if (text === null) rmSync(join(copy, key));
  else writeFileSync(join(copy, key), text);
  return copy;
}

/** `append file archive ...extra`, which must leave the archive exactly as it was. */
function refusedAppend(file: string, archive: string, extra: string[] = []): BoundedRun {
  const before = treeDigest(archive);
  const r = runCliBounded(["append", file, archive, ...extra]);
  expect(treeDigest(archive), "the archive changed").toBe(before);
  return r;
}

describe("append", () => {
  it("to a directory that is not an archive: exit 4, create one first", () => {
    const r = runCliBounded(["append", at("later.nc"), at("plain-dir")]);
    expectFailsWithHint(r, {
      code: 4,
      fragments: ["plain-dir", /no Zarr archive here to append to/, /zarrify convert/],
    });
  });

  it("to a path where nothing is: exit 4", () => {
    const r = runCliBounded(["append", at("later.nc"), at("nowhere.zarr")]);
    expectFailsWithHint(r, { code: 4, fragments: ["nowhere.zarr", /no Zarr archive here/] });
  });

  it("a file on another grid: exit 4, both shapes, regrid (no --region: append has none)", () => {
    const r = refusedAppend(at("coarser.nc"), v3);
    expectFailsWithHint(r, {
      code: 4,
      fragments: ["coarser.nc", /lat=3/, /regrid it to the archive's grid/],
    });
    expect(r.stderr).not.toMatch(/--region/);
  });

  it("times already in the archive with --on-overlap error: exit 4, the other policies", () => {
    const r = refusedAppend(at("jan.nc"), v3, ["--on-overlap", "error"]);
    expectFailsWithHint(r, {
      code: 4,
      fragments: [/10 time step\(s\) are already in the archive/, /--on-overlap skip/],
    });
  });

  it("times inside the archive's range but off its steps: exit 4", () => {
    const r = refusedAppend(at("noon.nc"), v2);
    expectFailsWithHint(r, {
      code: 4,
      fragments: ["noon.nc", /2000-01-01T12:00:00 lies inside the archive's range/],
    });
  });

  it("a file that is not NetCDF: exit 3", () => {
    const r = refusedAppend(at("notes.nc"), v3);
    expectFailsWithHint(r, { code: 3, fragments: ["notes.nc", /text file/] });
  });

  it("to an archive with a damaged array zarr.json: exit 3, names the document", () => {
    const archive = damaged(v3, "append-damaged.zarr", "t2m/zarr.json", '{"zarr_format": 3,');
    const r = refusedAppend(at("later.nc"), archive);
    expectFailsWithHint(r, {
      code: 3,
      fragments: [join(archive, "t2m/zarr.json"), /not valid JSON/, /damaged/],
    });
  });
});

describe("validate", () => {
  const validate = (archive: string) => runCliBounded(["validate", archive]);

  it("a directory that is not an archive: exit 3", () => {
    const r = validate(at("plain-dir"));
    expectFailsWithHint(r, { code: 3, fragments: ["plain-dir", /not a Zarr archive/] });
  });

  it("a NetCDF file instead of the archive: exit 3", () => {
    const r = validate(at("jan.nc"));
    expectFailsWithHint(r, { code: 3, fragments: ["jan.nc", /not a Zarr archive/] });
  });

  it("invalid JSON in the root zarr.json: exit 3, names it (was 'Cannot parse zarr.json')", () => {
    const archive = damaged(v3, "root-damaged.zarr", "zarr.json", "{not json");
    const r = validate(archive);
    expectFailsWithHint(r, { code: 3, fragments: [join(archive, "zarr.json"), /not valid JSON/] });
  });

  it("invalid JSON in an array's zarr.json: exit 3 (validated as fine before)", () => {
    const archive = damaged(v3, "array-damaged.zarr", "t2m/zarr.json", '{"shape": [10,');
    const r = validate(archive);
    expectFailsWithHint(r, {
      code: 3,
      fragments: [join(archive, "t2m/zarr.json"), /not valid JSON/, /restore/],
    });
  });

  it("invalid JSON in a v2 .zarray: exit 3 (validated as fine before)", () => {
    const archive = damaged(v2, "zarray-damaged.zarr", "t2m/.zarray", "");
    const r = validate(archive);
    expectFailsWithHint(r, {
      code: 3,
      fragments: [join(archive, "t2m/.zarray"), /not valid JSON/],
    });
  });

  it("an array's own document gone, the consolidated one intact: exit 3", () => {
    const archive = damaged(v2, "zarray-gone.zarr", "t2m/.zarray", null);
    const r = validate(archive);
    expectFailsWithHint(r, {
      code: 3,
      fragments: [/array 't2m' is in the consolidated/, /\.zarray/],
    });
  });

  it("invalid JSON in .zmetadata: exit 3", () => {
    const archive = damaged(v2, "zmetadata-damaged.zarr", ".zmetadata", '{"metadata": {');
    const r = validate(archive);
    expectFailsWithHint(r, { code: 3, fragments: [join(archive, ".zmetadata"), /not valid JSON/] });
  });

  it("a damaged template record: exit 4, recreate the template", () => {
    const archive = damaged(template, "record-damaged.zarr", ".zarrify/template.json", "garbage");
    const r = validate(archive);
    expectFailsWithHint(r, {
      code: 4,
      fragments: [/template\.json is not valid JSON/, /zarrify create-template/],
    });
  });
});

describe("writes into an archive the machine refuses", () => {
  it.skipIf(!isRoot)("write-region into another user's template: exit 1, unchanged", () => {
    const before = treeDigest(template);
    const r = runCliBounded(["write-region", at("jan.nc"), template], NOBODY);
    expectFailsWithHint(r, { code: 1, fragments: [template, /permission denied/] });
    expect(treeDigest(template)).toBe(before);
  });

  it.skipIf(!isRoot)("append to another user's archive: exit 1, unchanged", () => {
    const before = treeDigest(v3);
    const r = runCliBounded(["append", at("later.nc"), v3], NOBODY);
    expectFailsWithHint(r, { code: 1, fragments: [v3, /permission denied/] });
    expect(treeDigest(v3)).toBe(before);
  });

  it.skipIf(!canMount)("write-region into a read-only template: exit 1, unchanged", () => {
    const before = treeDigest(template);
    const r = runThroughShell({
      unshare: true,
      mnt: template,
      setup: 'mount --bind "$MNT" "$MNT" && mount -o remount,bind,ro "$MNT"',
      args: ["write-region", at("jan.nc"), template],
    });
    expectFailsWithHint(r, { code: 1, fragments: [template, /read-only file system/] });
    expect(treeDigest(template)).toBe(before);
  });

  it.skipIf(!canMount)(
    "write-region on a full disk: exit 1, no temp file left, the steps not recorded as written",
    () => {
      writeGrid(at("big.nc"), { times: 20, y: 100, x: 100, random: true }); // 800 kB
      const big = at("big.zarr");
      const made = runCliBounded([
        "create-template",
        at("big.nc"),
        big,
        "--global-start",
        "2000-01-01",
        "--global-end",
        "2000-01-20",
        "--compression",
        "none",
      ]);
      expect(made.code, made.stderr).toBe(0);
      const mnt = at("full");
      mkdirSync(mnt);
      const copy = join(mnt, "big.zarr");
      const r = runThroughShell({
        unshare: true,
        mnt,
        // Room for the template, not for the 800 kB the file brings.
        setup: `mount -t tmpfs -o size=400k tmpfs "$MNT" && cp -a '${big}' "$MNT"/`,
        args: ["write-region", at("big.nc"), copy],
        after: `find "$MNT" -name '*.zarrify-tmp'; '${process.execPath}' '${cliBin}' validate "$MNT/big.zarr" --require-complete >/dev/null 2>&1; echo "validate=$?"`,
      });
      expectFailsWithHint(r, {
        code: 1,
        fragments: [copy, /no space left on the device/, /free some space/],
      });
      // No temp file (find prints none), and validate sees the steps as not written (exit 6).
      expect(r.stdout.trim()).toBe("validate=6");
    },
  );
});
