import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { h5wasmInstances } from "../../src/readers/hdf5/runtime.js";
import { openDataset, warmUpFor } from "../../src/readers/index.js";
import { fixture, tempDir } from "../helpers/paths.js";

// One file, so this module's HDF5 runtime starts here and nowhere else.
describe("warmUpFor", () => {
  it("leaves alone what is not a local HDF5 file, without blocking on a FIFO", () => {
    const fifo = join(tempDir(), "pipe.nc");
    execFileSync("mkfifo", [fifo]);
    for (const path of [
      fixture("nc3_cdf2_record.nc"),
      fifo,
      join(tempDir(), "missing.nc"),
      "s3://bucket/key.nc",
      undefined,
    ]) {
      warmUpFor(path);
    }
    expect(h5wasmInstances()).toBe(0);
  });

  it("starts the HDF5 runtime for an HDF5 file, which the open then uses", async () => {
    warmUpFor(fixture("nc4_chunked.nc"));
    expect(h5wasmInstances()).toBe(1);
    const ds = await openDataset(fixture("nc4_chunked.nc"));
    await ds.close();
    expect(h5wasmInstances()).toBe(1);
  });
});
