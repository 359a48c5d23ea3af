/**
 * The environment half of the bad-input catalogue (docs/errors.md): inputs that are not NetCDF
 * files at all (empty, other formats, directories, links, pipes, devices, names Node cannot
 * open), and outputs the machine will not let zarrify write. Each must fail as docs/cli.md
 * promises: one line naming the path, a hint, the documented exit code, no stack trace, bounded
 * time and memory, and nothing left where the output would have gone.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { runCliBounded, treeDigest } from "../helpers/clean-failure.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { real, tempDir } from "../helpers/paths.js";
import {
  canMount,
  expectFailsWithHint,
  isRoot,
  NOBODY,
  openTo,
  runThroughShell,
} from "./catalogue.js";

const dir = tempDir("zarrify-bad-env-");
const at = (name: string) => join(dir, name);
/** Where outputs go; writable by NOBODY too, so only the input can be what fails. */
const out = join(dir, "out");
const outputsLeft = () => readdirSync(out);
/** An archive zarrify made, for the cases that hand it over where a file belongs. */
const archive = at("made.zarr");
/** Latin-1 "café.nc": é is the single byte 0xe9, which is not UTF-8. */
const latin1Name = Buffer.concat([Buffer.from("caf"), Buffer.from([0xe9]), Buffer.from(".nc")]);

beforeAll(() => {
  openTo(dir);
  mkdirSync(out, { mode: 0o777 });
  chmodSync(out, 0o777);
  writeGrid(at("good.nc"), { times: 4, y: 3, x: 4 });
  writeFileSync(at("empty.nc"), "");
  writeFileSync(at("notes.nc"), "station,time,t2m\nLHR,2020-01-01,281.3\n");
  // A real NetCDF file, gzipped but still named .nc, as downloads often are.
  writeFileSync(at("classic.nc"), gzipSync(readFileSync(real("netcdf-c_ref_nctest_classic.nc"))));
  // GRIB edition 2: "GRIB", two reserved bytes, discipline, edition, then the total length.
  const grib = Buffer.alloc(64);
  grib.write("GRIB", 0, "latin1");
  grib[7] = 2;
  grib.writeBigUInt64BE(64n, 8);
  grib.write("7777", 60, "latin1");
  writeFileSync(at("forecast.nc"), grib);
  const png = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).copy(png);
  png.write("IHDR", 12, "latin1");
  writeFileSync(at("map.nc"), png);
  mkdirSync(at("folder.nc"));
  symlinkSync("loop-b.nc", at("loop-a.nc"));
  symlinkSync("loop-a.nc", at("loop-b.nc"));
  symlinkSync("moved-away.nc", at("dangling.nc"));
  writeFileSync(at("secret.nc"), readFileSync(at("good.nc")), { mode: 0o000 });
  chmodSync(at("secret.nc"), 0o000);
  expect(spawnSync("mkfifo", [at("pipe.nc")]).status).toBe(0);
  mkdirSync(at("latin1"));
  openTo(at("latin1"));
  writeFileSync(
    Buffer.concat([Buffer.from(`${at("latin1")}/`), latin1Name]),
    readFileSync(at("good.nc")),
  );
  writeFileSync(at("latin1/plain.nc"), readFileSync(at("good.nc")));
  writeFileSync(at("a-file"), "not a directory\n");
  const made = runCliBounded(["convert", at("good.nc"), archive]);
  expect(made.code, made.stderr).toBe(0);
});

describe("inputs that are not NetCDF files", () => {
  const convert = (input: string, extra: string[] = []) =>
    runCliBounded(["convert", input, join(out, "x.zarr"), ...extra], { timeoutMs: 20_000 });

  it("an empty file: exit 3, 'the file is empty'", () => {
    expectFailsWithHint(convert(at("empty.nc")), { code: 3, fragments: ["empty.nc", /empty/] });
    expect(outputsLeft()).toEqual([]);
  });

  it("a text file named .nc: exit 3, says it looks like text and shows its start", () => {
    const r = convert(at("notes.nc"));
    expectFailsWithHint(r, { code: 3, fragments: ["notes.nc", /text file/, /station,time/] });
  });

  it("a gzipped NetCDF file: exit 3, says to decompress it", () => {
    const r = convert(at("classic.nc"));
    expectFailsWithHint(r, { code: 3, fragments: ["classic.nc", /gzip/, /decompress/] });
  });

  it("a GRIB file: exit 3, says to convert it to NetCDF first", () => {
    const r = convert(at("forecast.nc"));
    expectFailsWithHint(r, { code: 3, fragments: ["forecast.nc", /GRIB/, /cdo|grib_to_netcdf/] });
  });

  it("a PNG image: exit 3, names what it is", () => {
    expectFailsWithHint(convert(at("map.nc")), { code: 3, fragments: ["map.nc", /PNG/] });
  });

  it("a Zarr archive given as the input: exit 3, says it is already Zarr", () => {
    const r = convert(archive);
    expectFailsWithHint(r, {
      code: 3,
      fragments: [archive, /is a Zarr archive, not a NetCDF file/, /zarrify validate/],
    });
  });

  it("a directory: exit 3, suggests the files inside or a glob", () => {
    const r = convert(at("folder.nc"));
    expectFailsWithHint(r, { code: 3, fragments: ["folder.nc", /is a directory/, /\*\.nc/] });
  });

  it("a symbolic link loop: exit 3, ELOOP in words", () => {
    const r = convert(at("loop-a.nc"));
    expectFailsWithHint(r, {
      code: 3,
      fragments: ["loop-a.nc", /too many levels of symbolic links/],
    });
  });

  it("a dangling symbolic link: exit 3, names the link's missing target", () => {
    const r = convert(at("dangling.nc"));
    expectFailsWithHint(r, {
      code: 3,
      fragments: ["dangling.nc", /symbolic link to moved-away\.nc, which does not exist/],
    });
  });

  it("a missing file: exit 3, 'no such file', check the path", () => {
    const r = convert(at("never-was.nc"));
    expectFailsWithHint(r, {
      code: 3,
      fragments: ["never-was.nc", /no such file/, /check the path/],
    });
  });

  it.skipIf(!isRoot)("a file the user may not read: exit 3, permission denied", () => {
    const r = runCliBounded(["convert", at("secret.nc"), join(out, "x.zarr")], NOBODY);
    expectFailsWithHint(r, { code: 3, fragments: ["secret.nc", /permission denied/, /ls -l/] });
    expect(outputsLeft()).toEqual([]);
  });

  it("a named pipe (FIFO): exit 3 at once, not a wait for a writer that never comes", () => {
    const r = convert(at("pipe.nc"));
    expectFailsWithHint(r, { code: 3, fragments: ["pipe.nc", /named pipe/] });
    expect(r.ms).toBeLessThan(10_000);
  });

  it("/dev/zero: exit 3 at once, without reading the endless device", () => {
    const r = convert("/dev/zero");
    expectFailsWithHint(r, {
      code: 3,
      fragments: ["/dev/zero", /character device/],
      maxRssMiB: 200,
    });
    expect(r.ms).toBeLessThan(10_000);
  });

  it("a glob that matches nothing: exit 3, says to quote the pattern", () => {
    const r = convert(at("nothing-*.nc"));
    expectFailsWithHint(r, { code: 3, fragments: ["nothing-*.nc", /no file matches/, /quote/] });
  });

  it("a non-UTF-8 file name as the argument: exit 3, the name shown with its byte escaped", () => {
    // Node cannot spawn with such an argument (its strings are Unicode): sh makes it from bytes.
    const r = runThroughShell({
      args: ["convert"],
      tail: `"$(printf '${at("latin1")}/caf\\351.nc')" ${join(out, "x.zarr")}`,
    });
    expectFailsWithHint(r, {
      code: 3,
      fragments: [`${at("latin1")}/caf\\xe9.nc`, /not valid UTF-8/, /rename it/],
    });
    expect(outputsLeft()).toEqual([]);
  });

  it("a glob matching a non-UTF-8 name: exit 3 naming it, rather than leaving it out", () => {
    const r = convert(at("latin1/*.nc"));
    expectFailsWithHint(r, {
      code: 3,
      fragments: [`${at("latin1")}/caf\\xe9.nc`, /not valid UTF-8/, /rename it/],
    });
    expect(outputsLeft()).toEqual([]);
  });
});

describe("outputs that cannot be written", () => {
  it("OUTPUT exists without --overwrite: exit 2, the archive untouched", () => {
    const before = treeDigest(archive);
    const r = runCliBounded(["convert", at("good.nc"), archive]);
    expectFailsWithHint(r, { code: 2, fragments: [archive, /already exists/, /--overwrite/] });
    expect(treeDigest(archive)).toBe(before);
  });

  it("an output whose parent is a file: exit 1, names the file in the way", () => {
    const r = runCliBounded(["convert", at("good.nc"), join(at("a-file"), "x.zarr")]);
    expectFailsWithHint(r, { code: 1, fragments: [at("a-file"), /already exists|is a file/] });
    expect(readFileSync(at("a-file"), "utf8")).toBe("not a directory\n");
  });

  it.skipIf(!isRoot)("a directory the user may not write to: exit 1, permission denied", () => {
    // dir is root's, 0755: NOBODY may enter it but not create in it.
    const r = runCliBounded(["convert", at("good.nc"), at("theirs.zarr")], NOBODY);
    expectFailsWithHint(r, { code: 1, fragments: [at("theirs.zarr"), /permission denied/] });
    expect(existsSync(at("theirs.zarr"))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("zarrify-partial"))).toEqual([]);
  });

  it.skipIf(!canMount)("a read-only file system: exit 1, says so, nothing written", () => {
    const mnt = at("ro");
    mkdirSync(mnt, { recursive: true });
    const r = runThroughShell({
      unshare: true,
      mnt,
      setup: 'mount -t tmpfs -o ro,size=1m tmpfs "$MNT"',
      args: ["convert", at("good.nc"), join(mnt, "x.zarr")],
    });
    expectFailsWithHint(r, { code: 1, fragments: [join(mnt, "x.zarr"), /read-only file system/] });
  });

  it.skipIf(!canMount)("a full disk: exit 1, no space left, the partial output removed", () => {
    const mnt = at("full");
    mkdirSync(mnt, { recursive: true });
    writeGrid(at("big.nc"), { times: 20, y: 100, x: 100, random: true }); // 800 kB, incompressible
    const r = runThroughShell({
      unshare: true,
      mnt,
      setup: 'mount -t tmpfs -o size=128k tmpfs "$MNT"',
      args: ["convert", at("big.nc"), join(mnt, "x.zarr"), "--compression", "none"],
      // What the mount holds once zarrify has gone: it must have cleaned up after itself.
      after: 'ls -A "$MNT"',
    });
    expectFailsWithHint(r, {
      code: 1,
      fragments: [join(mnt, "x.zarr"), /no space left on the device/, /free some space/],
    });
    expect(r.stdout.trim()).toBe("");
    // The tmpfs went with its namespace: nothing ever reached the real directory.
    expect(readdirSync(mnt)).toEqual([]);
  });
});
