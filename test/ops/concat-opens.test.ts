/**
 * Multi-file convert opens each file once: the first file's look for a record dimension, the scan
 * of every file's times and the write all use the same open datasets (up to KEPT_OPEN), and none
 * stays open afterwards.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { KEPT_OPEN } from "../../src/ops/scan-inputs.js";
import { tempDir } from "../helpers/paths.js";
import { compareConcat, makeSeries } from "../region/series.js";

const opened = vi.hoisted(() => ({ paths: [] as string[] }));

vi.mock("../../src/readers/index.js", async (original) => {
  const readers = await original<typeof import("../../src/readers/index.js")>();
  return {
    ...readers,
    openDataset: (path: string, options?: Parameters<typeof readers.openDataset>[1]) => {
      opened.paths.push(path);
      return readers.openDataset(path, options);
    },
  };
});

const { convertToZarr } = await import("../../src/ops/convert.js");

const fds = () => readdirSync("/proc/self/fd").length;

describe("multi-file convert", () => {
  it("opens each of 12 files once and closes them all", async () => {
    const dir = tempDir();
    const files = makeSeries(dir, Array(12).fill(1), { nlat: 6, nlon: 8 });
    const out = join(dir, "out.zarr");
    const before = fds();
    opened.paths.length = 0;
    await convertToZarr(files, out, { chunking: { time: 4 }, zarrFormat: 2, jobs: 1 });
    expect(opened.paths.sort()).toEqual([...files].sort());
    expect(fds()).toBe(before);
    expect(compareConcat(files, out).differences).toEqual([]);
  });

  it(`opens again only the files past the first ${KEPT_OPEN}`, async () => {
    const dir = tempDir();
    const n = KEPT_OPEN + 3;
    const files = makeSeries(dir, Array(n).fill(1), { nlat: 2, nlon: 3 });
    const before = fds();
    opened.paths.length = 0;
    await convertToZarr(files, join(dir, "out.zarr"), { chunking: { time: 5 }, jobs: 1 });
    expect(opened.paths.length).toBe(n + 3);
    expect(new Set(opened.paths).size).toBe(n);
    expect(fds()).toBe(before);
  });
});
