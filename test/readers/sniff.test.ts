import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { openDataset } from "../../src/readers/index.js";
import { fixture, tempDir } from "../helpers/paths.js";

describe("openDataset sniffing", () => {
  const dir = tempDir();
  const cases: Array<[string, Buffer, RegExp]> = [
    ["x.nc.gz", Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]), /gzip-compressed/],
    ["x.grib", Buffer.from("GRIB\0\0\0\x02rest"), /GRIB file/],
    ["x9.nc", Buffer.from("CDF\x09rest of it"), /unknown version byte/],
    ["bin.nc", Buffer.from([0, 1, 2, 3, 250, 251, 252]), /unrecognised magic bytes/],
  ];
  for (const [name, bytes, why] of cases) {
    it(`says what ${name} is`, async () => {
      writeFileSync(join(dir, name), bytes);
      const open = openDataset(join(dir, name));
      await expect(open).rejects.toBeInstanceOf(InputError);
      await expect(open).rejects.toThrow(why);
      await expect(open).rejects.toThrow(name);
    });
  }

  it("refuses a directory and a --group on NetCDF-3", async () => {
    await expect(openDataset(dir)).rejects.toThrow(/is a directory/);
    await expect(openDataset(fixture("nc3_cdf2_record.nc"), { group: "/g" })).rejects.toThrow(
      /NetCDF-3 files have no groups/,
    );
  });

  it("opens NetCDF-3 and NetCDF-4 by content, whatever the extension", async () => {
    const nc3 = await openDataset(fixture("nc3_cdf5_types.nc"));
    expect(nc3.format).toBe("netcdf3-64bit-data");
    await nc3.close();
    const nc4 = await openDataset(fixture("nc4_groups.nc"));
    expect(nc4.format).toBe("hdf5");
    await nc4.close();
  });
});
