import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { RegionError } from "../../src/errors.js";
import {
  deleteMarker,
  markerKey,
  readMarker,
  readTemplateInfo,
  TEMPLATE_KEY,
  type TemplateInfo,
  type WrittenMarker,
  writeMarker,
  writeTemplateInfo,
} from "../../src/region/state.js";
import { FsStore } from "../../src/zarr/store/fs.js";
import { checkKey } from "../../src/zarr/store/key.js";
import { MemoryStore } from "../../src/zarr/store/memory.js";
import { tempDir } from "../helpers/paths.js";

const tmp = tempDir("zarrify-state-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const info: TemplateInfo = {
  kind: "zarrify-template",
  version: 1,
  timeDim: "time",
  timeVariable: "time",
  units: "hours since 2020-01-01T00:00:00",
  calendar: "noleap",
  freq: "1H",
  start: "2020-01-01T00:00:00",
  end: "2020-12-31T23:00:00",
  steps: 8760,
  regionArrays: ["t2m", "time_bnds"],
  createdBy: "0.1.0",
  created: "2024-05-01T12:00:00.000Z",
};

const text = (s: string) => new TextEncoder().encode(s);

async function refusal(store: MemoryStore): Promise<RegionError> {
  try {
    await readTemplateInfo(store, "/data/archive.zarr");
  } catch (err) {
    expect(err).toBeInstanceOf(RegionError);
    return err as RegionError;
  }
  throw new Error("expected a RegionError");
}

describe("template record", () => {
  it("round-trips through a store", async () => {
    const store = new MemoryStore();
    await writeTemplateInfo(store, info);
    expect(store.keys()).toEqual([TEMPLATE_KEY]);
    expect(await readTemplateInfo(store, "a.zarr")).toEqual(info);
  });

  it("round-trips through the filesystem store", async () => {
    const store = new FsStore(`${tmp}/a.zarr`);
    await writeTemplateInfo(store, info);
    expect(await readTemplateInfo(new FsStore(`${tmp}/a.zarr`), "a.zarr")).toEqual(info);
  });

  it("is readable JSON", async () => {
    const store = new MemoryStore();
    await writeTemplateInfo(store, info);
    const raw = new TextDecoder().decode(await store.get(TEMPLATE_KEY));
    expect(JSON.parse(raw)).toEqual(info);
  });

  it("is undefined when the archive has none", async () => {
    expect(await readTemplateInfo(new MemoryStore(), "a.zarr")).toBeUndefined();
  });

  it("refuses a damaged record, naming the archive", async () => {
    const store = new MemoryStore();
    await store.set(TEMPLATE_KEY, text('{"kind": "zarrify-template", "timeDim": '));
    const err = await refusal(store);
    expect(err.message).toBe(`/data/archive.zarr: ${TEMPLATE_KEY} is not valid JSON`);
    expect(err.hint).toMatch(/createTemplate\(\)/);
    expect(err.cause).toBeDefined();
  });

  it.each([
    ["null", "null"],
    ["a list", "[1, 2]"],
    ["a number", "42"],
    ["another tool's record", '{"kind": "something-else", "timeDim": "time", "regionArrays": []}'],
    ["a record without timeDim", '{"kind": "zarrify-template", "regionArrays": []}'],
    ["a record without timeVariable", JSON.stringify({ ...info, timeVariable: undefined })],
    ["a record without steps", JSON.stringify({ ...info, steps: "8760" })],
    [
      "a record whose regionArrays is not a list",
      '{"kind": "zarrify-template", "timeDim": "t", "regionArrays": "t2m"}',
    ],
  ])("refuses %s", async (_, json) => {
    const store = new MemoryStore();
    await store.set(TEMPLATE_KEY, text(json));
    const err = await refusal(store);
    expect(err.message).toBe(
      `/data/archive.zarr: ${TEMPLATE_KEY} is not a zarrify template record`,
    );
  });
});

describe("template record versions", () => {
  it("refuses a record from a newer zarrify", async () => {
    const store = new MemoryStore();
    await store.set(
      TEMPLATE_KEY,
      text(JSON.stringify({ ...info, version: 2, createdBy: "9.0.0" })),
    );
    const err = await refusal(store);
    expect(err.message).toContain("template record version 2 is not one this zarrify reads");
    expect(err.hint).toContain("9.0.0");
  });
});

describe("written markers", () => {
  const marker: WrittenMarker = {
    input: "/data/in/2020-01-01.nc",
    size: 123456789,
    mtimeMs: 1714560000123.5,
    runs: [
      [0, 24],
      [48, 72],
    ],
    written: "2024-05-01T12:00:00.000Z",
  };

  it("round-trips and is deleted", async () => {
    const store = new MemoryStore();
    await writeMarker(store, marker);
    expect(await readMarker(store, marker.input)).toEqual(marker);
    await deleteMarker(store, marker.input);
    expect(await readMarker(store, marker.input)).toBeUndefined();
    expect(store.keys()).toEqual([]);
    await deleteMarker(store, marker.input); // deleting twice is fine
  });

  it("is keyed by the input path: stable, distinct, a valid hidden store key", () => {
    const a = markerKey("/data/in/a.nc");
    expect(markerKey("/data/in/a.nc")).toBe(a);
    expect(markerKey("/data/in/b.nc")).not.toBe(a);
    expect(a).toMatch(/^\.zarrify\/written\/[0-9a-f]{32}\.json$/);
    expect(checkKey(a)).toBe(a);
    expect(checkKey(markerKey("/weird/path with spaces/ünïcode\\x.nc"))).toBeTruthy();
  });

  it("keeps markers of different inputs apart", async () => {
    const store = new MemoryStore();
    await writeMarker(store, marker);
    await writeMarker(store, { ...marker, input: "/data/in/other.nc", runs: [[24, 48]] });
    expect((await readMarker(store, marker.input))?.runs).toEqual(marker.runs);
    expect((await readMarker(store, "/data/in/other.nc"))?.runs).toEqual([[24, 48]]);
    expect(await readMarker(store, "/data/in/never.nc")).toBeUndefined();
  });

  it.each([
    ["truncated JSON", '{"input": "/data/in/2020-01'],
    ["null", "null"],
    ["a number", "42"],
    ["another input's marker", JSON.stringify({ ...marker, input: "/data/in/other.nc" })],
    ["a marker without size", JSON.stringify({ ...marker, size: undefined })],
    ["a marker whose runs are not a list", JSON.stringify({ ...marker, runs: "0:24" })],
  ])("reads %s as absent (the file is then written again)", async (_, json) => {
    const store = new MemoryStore();
    await store.set(markerKey(marker.input), text(json));
    expect(await readMarker(store, marker.input)).toBeUndefined();
  });
});
