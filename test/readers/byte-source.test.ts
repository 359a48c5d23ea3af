import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ByteSource, FileByteSource, readInto } from "../../src/readers/byte-source.js";
import { tempDir } from "../helpers/paths.js";

function fileOf(bytes: Uint8Array): string {
  const path = join(tempDir("zarrify-bytesource-"), "f.bin");
  writeFileSync(path, bytes);
  return path;
}

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);

describe("FileByteSource", () => {
  it("reads ranges, fewer bytes only past the end, into buffers of their own", async () => {
    const path = fileOf(bytes);
    const source = await FileByteSource.open(path);
    try {
      expect(await source.size()).toBe(1000);
      expect(source.describe()).toBe(path);
      const mid = await source.read(100, 50);
      expect(Array.from(mid)).toEqual(Array.from(bytes.subarray(100, 150)));
      expect(mid.byteOffset).toBe(0);
      expect(mid.buffer.byteLength).toBe(50);
      const tail = await source.read(990, 50);
      expect(Array.from(tail)).toEqual(Array.from(bytes.subarray(990)));
      expect(new Uint8Array(tail.buffer).length).toBe(10);
      expect((await source.read(2000, 10)).length).toBe(0);
      expect((await source.read(0, 0)).length).toBe(0);
    } finally {
      await source.close();
    }
  });

  it("readInto fills a target at an offset and reports what arrived", async () => {
    const source = await FileByteSource.open(fileOf(bytes));
    try {
      const target = new Uint8Array(20).fill(7);
      expect(await readInto(source, target, 5, 10, 500)).toBe(10);
      expect(Array.from(target.subarray(0, 5))).toEqual([7, 7, 7, 7, 7]);
      expect(Array.from(target.subarray(5, 15))).toEqual(Array.from(bytes.subarray(500, 510)));
      expect(await readInto(source, target, 0, 20, 995)).toBe(5);
    } finally {
      await source.close();
    }
  });

  it("a missing file is the filesystem's own error", async () => {
    const err = await FileByteSource.open("/nonexistent/zarrify/x.nc").catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe("ENOENT");
  });
});

describe("readInto over a source without readInto", () => {
  it("falls back to read + copy", async () => {
    const source: ByteSource = {
      size: async () => bytes.length,
      read: async (offset, length) => bytes.slice(offset, offset + length),
      close: async () => {},
      describe: () => "memory",
    };
    const target = new Uint8Array(8);
    expect(await readInto(source, target, 2, 6, 995)).toBe(5);
    expect(Array.from(target.subarray(2, 7))).toEqual(Array.from(bytes.subarray(995)));
  });
});
