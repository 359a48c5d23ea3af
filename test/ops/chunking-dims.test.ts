/**
 * Chunk lengths for dimensions the input does not have are refused, in every verb that lays out a
 * new archive, from the library and the CLI alike, and nothing is written.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { convertToZarr } from "../../src/ops/convert.js";
import { createTemplate } from "../../src/ops/template.js";
import { runCli } from "../helpers/cli.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { tempDir } from "../helpers/paths.js";

let dir: string;
let a: string;
let b: string;
beforeAll(() => {
  dir = tempDir();
  a = join(dir, "a.nc");
  b = join(dir, "b.nc");
  writeGrid(a, { times: 4, y: 3, x: 5, names: ["latitude", "longitude"] });
  writeGrid(b, { times: 4, y: 3, x: 5, names: ["latitude", "longitude"], firstDay: 4 });
});

const noArchive = () => expect(readdirSync(dir).filter((f) => f.includes(".zarr"))).toEqual([]);

describe("chunking names a dimension the input does not have", () => {
  it("convertToZarr refuses it with the dimensions and a suggestion", async () => {
    const run = convertToZarr(a, join(dir, "one.zarr"), { chunking: { tiem: 10 } });
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toThrow(
      `chunking: ${a} has no dimension 'tiem' (did you mean 'time'?); its dimensions are time, latitude, longitude`,
    );
    noArchive();
  });

  it("multi-file convert checks the dataset's dimensions", async () => {
    await expect(
      convertToZarr([a, b], join(dir, "many.zarr"), { chunking: { time: 2, lat: 3 } }),
    ).rejects.toThrow("'lat' (did you mean 'latitude'?)");
    noArchive();
  });

  it("createTemplate refuses it", async () => {
    await expect(
      createTemplate({
        templateDataset: a,
        outputPath: join(dir, "t.zarr"),
        globalStart: "2000-01-01",
        globalEnd: "2000-01-10",
        chunking: { lon: 5 },
      }),
    ).rejects.toThrow("'lon' (did you mean 'longitude'?)");
    noArchive();
  });

  it("the CLI prints one line and the hint, exit 2", () => {
    const r = runCli(["convert", a, join(dir, "cli.zarr"), "--chunking", "time:2,lat:3,lon:5"]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      `zarrify: error: chunking: ${a} has no dimension 'lat' (did you mean 'latitude'?), 'lon' (did you mean 'longitude'?); its dimensions are time, latitude, longitude`,
    );
    expect(lines[1]).toMatch(/^ {2}hint: .*--chunking latitude:3/);
    noArchive();
  });

  it("names the dataset has are accepted", async () => {
    const out = join(dir, "ok.zarr");
    await convertToZarr(a, out, { chunking: { time: 2, latitude: 3 } });
    expect(existsSync(out)).toBe(true);
  });
});
