/**
 * The corrupt-file half of the bad-input catalogue (docs/errors.md): structural corruptions of
 * NetCDF-3 and HDF5 files, made at test time by editing a named field of a parsed fixture
 * (test/fuzz/structure.ts; HDF5 edits re-checksummed, so libhdf5 sees the corruption itself, not
 * a checksum mismatch). Each must fail the way docs/cli.md promises: exit 3, one line naming the
 * file (plus a hint), no stack trace, bounded time and memory, and the archive it would have
 * replaced (`convert --overwrite`) or written into (`write-region`) left byte for byte unchanged.
 */
import { appendFileSync, copyFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync, deflateSync, constants as zc } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { openDataset } from "../../src/readers/index.js";
import {
  btreeNode,
  chunkedLayout,
  fixObjectHeader,
  MSG_ATTRIBUTE,
  MSG_DATASPACE,
  MSG_LAYOUT,
  nc3Fields,
  objectAddress,
  objectHeader,
  putBE,
  putLE,
  setEof,
  superblock,
} from "../fuzz/structure.js";
import { expectCleanFailure, runCliBounded, treeDigest } from "../helpers/clean-failure.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { fixture, tempDir } from "../helpers/paths.js";

const dir = tempDir("zarrify-corrupt-");
/** An archive each failed `convert --overwrite` must leave as it was. */
const existing = join(dir, "existing.zarr");
let existingDigest: string;

const bytesOf = (name: string) => new Uint8Array(readFileSync(fixture(name)));

function save(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * `convert --overwrite` of the corrupt file onto a copy of the existing archive fails cleanly
 * and leaves that copy as it was (a copy per case, so one failure cannot cascade).
 */
function expectConvertRefused(
  path: string,
  fragments: (string | RegExp)[] = [],
  env: NodeJS.ProcessEnv = {},
) {
  const archive = `${path}.zarr`;
  cpSync(existing, archive, { recursive: true });
  const r = runCliBounded(["convert", path, archive, "--overwrite"], { timeoutMs: 60_000, env });
  expectCleanFailure(r, { code: 3, fragments: [path, ...fragments], maxRssMiB: 400 });
  expect(r.stderr.trim().split("\n"), "an error line and a hint").toHaveLength(2);
  // CORRUPT_LOG=file collects each case's message, peak RSS and time: docs/errors.md's rows.
  if (process.env.CORRUPT_LOG)
    appendFileSync(
      process.env.CORRUPT_LOG,
      `${path}\t${r.maxRssMiB.toFixed(0)}\t${r.ms}\t${r.stderr.trim().replaceAll("\n", " / ")}\n`,
    );
  expect(treeDigest(archive), "the existing archive changed").toBe(existingDigest);
  return r;
}

/** The library API refuses it too, with an InputError naming the file. */
async function expectOpenOrReadRefused(path: string, pattern: RegExp): Promise<void> {
  let caught: unknown;
  try {
    const ds = await openDataset(path);
    try {
      for (const v of ds.variables)
        await v.read(
          v.shape.map(() => 0),
          v.shape,
        );
    } finally {
      await ds.close();
    }
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  const e = caught as InputError;
  expect(e.path).toBe(path);
  expect(e.message).toContain(path);
  expect(e.message).toMatch(pattern);
}

beforeAll(() => {
  const r = runCliBounded(["convert", fixture("nc3_cdf2_record.nc"), existing]);
  expect(r.code, r.stderr).toBe(0);
  existingDigest = treeDigest(existing);
});

describe("NetCDF-3", () => {
  it("a CDF-1 dimension of length 2^31-1 is refused: its data would lie past the end", async () => {
    const b = bytesOf("nc3_one_record_var.nc");
    const h = nc3Fields(b);
    const x = h.dims.find((d) => d.name === "x");
    putBE(b, x?.lengthAt ?? -1, 4, 2 ** 31 - 1);
    const path = save("cdf1_dim_2e31.nc", b);
    expectConvertRefused(path, [/extends past end of file/]);
    await expectOpenOrReadRefused(path, /data extends past end of file/);
  });

  it("a CDF-5 dimension of length 2^62 is refused before anything is sized by it", () => {
    const b = bytesOf("nc3_cdf5_types.nc");
    const h = nc3Fields(b);
    putBE(b, h.dims.find((d) => d.name === "x")?.lengthAt ?? -1, 8, 2n ** 62n);
    expectConvertRefused(save("cdf5_dim_2e62.nc", b), [
      /length of dimension x .* larger than any file/,
    ]);
  });

  it("a CDF-5 dimension of 2^40 (a safe integer) is refused by the file-size check", () => {
    const b = bytesOf("nc3_cdf5_types.nc");
    const h = nc3Fields(b);
    putBE(b, h.dims.find((d) => d.name === "y")?.lengthAt ?? -1, 8, 2n ** 40n);
    expectConvertRefused(save("cdf5_dim_2e40.nc", b), [/extends past end of file/]);
  });

  it("numrecs past the end of the file is refused", async () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    putBE(b, nc3Fields(b).numrecsAt, 4, 1_000_000);
    const path = save("numrecs_past_eof.nc", b);
    expectConvertRefused(path, [/data extends past end of file/]);
    await expectOpenOrReadRefused(path, /past end of file/);
  });

  it("numrecs = STREAMING over a file cut mid-record reads the whole records only", async () => {
    const good = bytesOf("nc3_cdf2_record.nc");
    const b = good.slice(0, good.length - 10);
    putBE(b, nc3Fields(b).numrecsAt, 4, 0xffffffff);
    const path = save("streaming_cut.nc", b);
    const ds = await openDataset(path);
    try {
      // 4 records on disk; the cut takes the last one's tail, so 3 whole ones remain.
      expect(ds.dims.find((d) => d.name === "time")?.size).toBe(3);
    } finally {
      await ds.close();
    }
    const out = join(dir, "streaming.zarr");
    const r = runCliBounded(["convert", path, out]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("a variable whose begin offset lies past the end of the file is refused", () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    const lat = nc3Fields(b).vars.find((v) => v.name === "lat");
    putBE(b, lat?.beginAt ?? -1, 8, b.length + 4096);
    expectConvertRefused(save("begin_past_eof.nc", b), [/variable lat data extends past end/]);
  });

  it("a begin offset inside the header is refused", () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    const lat = nc3Fields(b).vars.find((v) => v.name === "lat");
    putBE(b, lat?.beginAt ?? -1, 8, 8);
    expectConvertRefused(save("begin_in_header.nc", b), [/inside the header/]);
  });

  it("an absurd vsize is not trusted (recomputed from the shape, as netCDF-C does)", async () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    const h = nc3Fields(b);
    for (const v of h.vars) putBE(b, v.vsizeAt, 4, 0xfffffff0);
    const path = save("vsize_absurd.nc", b);
    const good = await openDataset(fixture("nc3_cdf2_record.nc"));
    const bad = await openDataset(path);
    try {
      const t = (ds: typeof good) => ds.variables.find((v) => v.name === "temp");
      const g = t(good);
      expect(await t(bad)?.read([0, 0, 0], g?.shape ?? [])).toEqual(
        await g?.read([0, 0, 0], g.shape),
      );
    } finally {
      await good.close();
      await bad.close();
    }
  });

  it("an attribute claiming 2^31 values is refused", async () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    const history = nc3Fields(b).gatts.find((a) => a.name === "history");
    putBE(b, history?.nelemsAt ?? -1, 4, 2 ** 31);
    const path = save("attr_nelems.nc", b);
    expectConvertRefused(path, [/attribute global:history claims 2147483648 values/]);
    await expectOpenOrReadRefused(path, /claims 2147483648 values/);
  });

  it("a CDF-5 attribute claiming 2^50 values is refused", () => {
    const b = bytesOf("nc3_cdf5_types.nc");
    const title = nc3Fields(b).gatts.find((a) => a.name === "title");
    putBE(b, title?.nelemsAt ?? -1, 8, 2n ** 50n);
    expectConvertRefused(save("cdf5_attr_nelems.nc", b), [/claims 1125899906842624 values/]);
  });

  it("a dimension count of 2^32-2 is refused before the list is read", () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    putBE(b, nc3Fields(b).dimCountAt, 4, 0xfffffffe);
    expectConvertRefused(save("dim_count.nc", b), [/for 4294967294 dimensions/]);
  });

  it("a huge attribute count is refused", () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    const temp = nc3Fields(b).vars.find((v) => v.name === "temp");
    putBE(b, temp?.attrCountAt ?? -1, 4, 0x7fffffff);
    expectConvertRefused(save("attr_count.nc", b), [/2147483647 attributes of temp/]);
  });

  it("a negative (2^32-16) name length is refused", () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    putBE(b, nc3Fields(b).vars[1].nameLenAt, 4, -16);
    expectConvertRefused(save("name_negative.nc", b), [/variable name length 4294967280/]);
  });

  // Found by the fuzzer (test/fuzz/crashers/nc3-empty-name-*.json): it was exit 2, "Invalid Zarr
  // array path", naming no file.
  it("a variable name that is empty once cut at its NUL is refused", async () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    const lat = nc3Fields(b).vars.find((v) => v.name === "lat");
    b[(lat?.nameLenAt ?? -1) + 4] = 0;
    const path = save("name_nul.nc", b);
    expectConvertRefused(path, [/empty variable name/]);
    await expectOpenOrReadRefused(path, /empty variable name/);
  });

  it("a variable name with a '/' is refused (it would be a nested Zarr path)", () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    const temp = nc3Fields(b).vars.find((v) => v.name === "temp");
    b[(temp?.nameLenAt ?? -1) + 5] = 0x2f;
    expectConvertRefused(save("name_slash.nc", b), [/variable name "t\/mp" .* contains '\/'/]);
  });

  it("two variables of one name are refused", () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    const h = nc3Fields(b);
    // "flag" becomes "time": same length, so nothing else moves.
    const flag = h.vars.find((v) => v.name === "flag");
    b.set(Buffer.from("time"), (flag?.nameLenAt ?? -1) + 4);
    expectConvertRefused(save("name_twice.nc", b), [/two variables named "time"/]);
  });

  it("a variable of rank 2^31 is refused", () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    putBE(b, nc3Fields(b).vars[0].rankAt, 4, 2 ** 31);
    expectConvertRefused(save("rank.nc", b), [/has 2147483648 dimensions/]);
  });

  it("an unknown version byte is refused as not NetCDF", () => {
    const b = bytesOf("nc3_cdf2_record.nc");
    b[3] = 3;
    expectConvertRefused(save("version3.nc", b), [/NetCDF-3 file with an unknown version byte/]);
  });

  const cuts: [string, (h: ReturnType<typeof nc3Fields>, n: number) => number][] = [
    ["after the magic", () => 4],
    ["inside the dimension list", (h) => h.dims[1].nameLenAt + 2],
    ["inside the variable list", (h) => h.vars[2].rankAt],
    ["at the end of the header", (h) => h.headerEnd],
    ["inside the record data", (_h, n) => n - 20],
  ];
  for (const [where, at] of cuts) {
    it(`a file truncated ${where} is refused`, () => {
      const good = bytesOf("nc3_cdf2_record.nc");
      const b = good.slice(0, at(nc3Fields(good), good.length));
      expectConvertRefused(save(`cut_${where.replaceAll(" ", "_")}.nc`, b), [/truncated/]);
    });
  }

  it("write-region of a corrupt file leaves the template unchanged", () => {
    const good = join(dir, "grid.nc");
    writeGrid(good, { times: 4, y: 3, x: 5 });
    const template = join(dir, "template.zarr");
    const ct = runCliBounded([
      "create-template",
      good,
      template,
      "--global-start",
      "2000-01-01",
      "--global-end",
      "2000-01-08",
    ]);
    expect(ct.code, ct.stderr).toBe(0);
    const before = treeDigest(template);
    const b = new Uint8Array(readFileSync(good));
    const h = nc3Fields(b);
    putBE(b, h.dims.find((d) => d.name === "lat")?.lengthAt ?? -1, 4, 2 ** 31 - 1);
    const bad = save("grid_corrupt.nc", b);
    const r = runCliBounded(["write-region", bad, template]);
    expectCleanFailure(r, { code: 3, fragments: [bad, /extends past end of file/] });
    expect(treeDigest(template)).toBe(before);
  });
});

// ------------------------------------------------------------------------------------- HDF5

/** nc4_chunked.nc: `field` (37x23x19 float32, chunks 10x7x5, deflate+shuffle, v1 B-tree). */
const CHUNKED = "nc4_chunked.nc";

async function datasetHeader(name: string, b: Uint8Array) {
  return objectHeader(b, await objectAddress(fixture(name), "/field"));
}

async function fieldBtree(b: Uint8Array) {
  const h = await datasetHeader(CHUNKED, b);
  const layout = h.messages.find((m) => m.type === MSG_LAYOUT);
  if (!layout) throw new Error("no layout message");
  const { btree } = chunkedLayout(b, layout);
  return { header: h, btree, node: btreeNode(b, btree, 3) };
}

/** A zlib stream that inflates to `mib` MiB of zeros: repeated sync-flushed raw blocks. */
function deflateBomb(mib: number): Uint8Array {
  const block = deflateRawSync(Buffer.alloc(2 ** 20), { level: 9, finishFlush: zc.Z_SYNC_FLUSH });
  const parts: Buffer[] = [Buffer.from([0x78, 0xda])];
  for (let i = 0; i < mib; i++) parts.push(block);
  // A final empty stored block, then the Adler-32 of the zeros (a = 1, b = n mod 65521).
  parts.push(Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]));
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((mib * 2 ** 20) % 65521) * 65536 + 1) >>> 0);
  parts.push(adler);
  return Buffer.concat(parts);
}

/** `b` with `chunk` appended and every entry of `field`'s B-tree leaf pointing at it. */
async function withChunk(b: Uint8Array, chunk: Uint8Array, entries = 1): Promise<Uint8Array> {
  const { node } = await fieldBtree(b);
  const out = new Uint8Array(b.length + chunk.length);
  out.set(b);
  out.set(chunk, b.length);
  for (const e of node.entries.slice(0, entries)) {
    putLE(out, e.sizeAt, 4, chunk.length);
    putLE(out, e.childAt, 8, b.length - superblock(b).at);
  }
  setEof(out);
  return out;
}

describe("HDF5", () => {
  it("a superblock end-of-file address past the end is refused (truncated file)", async () => {
    const b = bytesOf(CHUNKED);
    const s = superblock(b);
    putLE(b, s.eofAt, 8, b.length * 1000);
    setEof(b, b.length * 1000);
    const path = save("h5_eof_past.nc", b);
    expectConvertRefused(path, [/truncated/]);
    await expectOpenOrReadRefused(path, /truncated file/);
  });

  it("a superblock end-of-file address before the root group is refused", () => {
    const b = bytesOf(CHUNKED);
    setEof(b, 200);
    expectConvertRefused(save("h5_eof_short.nc", b));
  });

  it("an object header continuation pointing at itself (a cycle) is refused", async () => {
    const b = bytesOf(CHUNKED);
    const h = await datasetHeader(CHUNKED, b);
    // An attribute message becomes a continuation into an OCHK block appended at the end, whose
    // one message continues into the same block again.
    const attr = h.messages.find((m) => m.type === MSG_ATTRIBUTE && m.size >= 16);
    if (!attr) throw new Error("no attribute message");
    const at = b.length - superblock(b).at;
    const head = h.orderTracked ? 6 : 4;
    const blockLength = 4 + head + 16 + 4;
    const out = new Uint8Array(b.length + blockLength);
    out.set(b);
    out[attr.headerAt] = 0x10;
    putLE(out, attr.dataAt, 8, at);
    putLE(out, attr.dataAt + 8, 8, blockLength);
    const blk = b.length;
    out.set(Buffer.from("OCHK"), blk);
    out[blk + 4] = 0x10;
    putLE(out, blk + 5, 2, 16);
    putLE(out, blk + 4 + head, 8, at);
    putLE(out, blk + 4 + head + 8, 8, blockLength);
    const checksumAt = blk + blockLength - 4;
    fixObjectHeader(out, { ...h, blocks: [...h.blocks, { from: blk, checksumAt }] });
    setEof(out);
    expectConvertRefused(save("h5_ohdr_cycle.nc", out));
  });

  it("an object header continuation past the end of the file is refused", async () => {
    const b = bytesOf(CHUNKED);
    const h = await datasetHeader(CHUNKED, b);
    const attr = h.messages.find((m) => m.type === MSG_ATTRIBUTE && m.size >= 16);
    if (!attr) throw new Error("no attribute message");
    b[attr.headerAt] = 0x10;
    putLE(b, attr.dataAt, 8, b.length * 10);
    putLE(b, attr.dataAt + 8, 8, 512);
    fixObjectHeader(b, h);
    expectConvertRefused(save("h5_ohdr_dangling.nc", b));
  });

  it("a chunk B-tree node whose child is itself is refused, not followed forever", async () => {
    const b = bytesOf(CHUNKED);
    const { btree, node } = await fieldBtree(b);
    b[node.levelAt] = 1;
    for (const e of node.entries) putLE(b, e.childAt, 8, btree);
    const path = save("h5_btree_cycle.nc", b);
    expectConvertRefused(path);
    await expectOpenOrReadRefused(path, /field/);
  });

  it("a chunk whose stored size is larger than the file is refused", async () => {
    const b = bytesOf(CHUNKED);
    const { node } = await fieldBtree(b);
    putLE(b, node.entries[0].sizeAt, 4, 0xfffffff0);
    const path = save("h5_chunk_size.nc", b);
    expectConvertRefused(path);
    await expectOpenOrReadRefused(path, /field/);
  });

  it("a chunk address past the end of the file is refused", async () => {
    const b = bytesOf(CHUNKED);
    const { node } = await fieldBtree(b);
    putLE(b, node.entries[0].childAt, 8, b.length * 4);
    expectConvertRefused(save("h5_chunk_address.nc", b));
  });

  it("a dataspace of absurd dimensions on contiguous storage is refused", async () => {
    const name = "nc4_raw_filters.nc";
    const b = bytesOf(name);
    const h = objectHeader(b, await objectAddress(fixture(name), "/contiguous"));
    const space = h.messages.find((m) => m.type === MSG_DATASPACE);
    if (!space) throw new Error("no dataspace message");
    // Version 2 dataspace: version, rank, flags, type, then the dimensions.
    const first = space.dataAt + (b[space.dataAt] === 1 ? 8 : 4);
    putLE(b, first, 8, 2 ** 40);
    if (b[space.dataAt + 2] & 1) putLE(b, first + 8 * b[space.dataAt + 1], 8, 2 ** 40);
    fixObjectHeader(b, h);
    expectConvertRefused(save("h5_dataspace.nc", b));
  });

  it("a deflate bomb (a 2 MB chunk that inflates to 2 GiB) is refused within the memory cap", async () => {
    const out = await withChunk(bytesOf(CHUNKED), deflateBomb(2048));
    const path = save("h5_bomb.nc", out);
    expectConvertRefused(path);
    await expectOpenOrReadRefused(path, /field/);
  });

  it("a chunk that inflates to more than its declared size is refused", async () => {
    // Small enough to pass the stored-size bound: the raw path's inflate cap must catch it.
    const out = await withChunk(bytesOf(CHUNKED), deflateBomb(4));
    const path = save("h5_chunk_long.nc", out);
    expectConvertRefused(path, [/field/]);
  });

  it("a chunk that inflates to fewer bytes than its declared size is refused", async () => {
    const out = await withChunk(bytesOf(CHUNKED), deflateSync(Buffer.alloc(100, 7)));
    expectConvertRefused(save("h5_chunk_short.nc", out), [/field/]);
  });

  it("the HDF5 signature damaged is refused as not NetCDF", () => {
    const b = bytesOf(CHUNKED);
    b[superblock(b).at + 1] = 0x58;
    expectConvertRefused(save("h5_magic.nc", b), [/not a NetCDF or HDF5 file/]);
  });

  const cuts: [string, (b: Uint8Array) => number][] = [
    ["inside the superblock", () => 20],
    ["after the superblock", (b) => superblock(b).checksumAt + 4],
    ["in the middle", (b) => Math.floor(b.length / 2)],
    ["before the last chunk", (b) => b.length - 100],
  ];
  for (const [where, at] of cuts) {
    it(`an HDF5 file truncated ${where} is refused`, () => {
      const good = bytesOf(CHUNKED);
      const b = good.slice(0, at(good));
      expectConvertRefused(save(`h5_cut_${where.replaceAll(" ", "_")}.nc`, b));
    });
  }

  it("the raw path and h5wasm refuse the same corrupt chunk (ZARRIFY_HDF5_RAW=0)", async () => {
    const b = bytesOf(CHUNKED);
    const { node } = await fieldBtree(b);
    // Deflate data garbled in place: the B-tree is intact, the stream is not.
    const at = node.entries[0].child + superblock(b).at;
    for (let i = 2; i < Math.min(node.entries[0].size, 64); i++) b[at + i] ^= 0x5a;
    const path = save("h5_chunk_garbled.nc", b);
    expectConvertRefused(path, [/field/]);
    expectConvertRefused(path, [/field/], { ZARRIFY_HDF5_RAW: "0" });
  });

  it("copy of a good file converts (the edits above are what make them fail)", () => {
    const path = join(dir, "good.nc");
    copyFileSync(fixture(CHUNKED), path);
    const r = runCliBounded(["convert", path, join(dir, "good.zarr")]);
    expect(r.code, r.stderr).toBe(0);
  });
});
