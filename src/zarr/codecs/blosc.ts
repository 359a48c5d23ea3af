/**
 * Blosc 1 frames, written and read here, laid out exactly as c-blosc 1.21 (blosc/blosc.c) does so
 * numcodecs (Python, via c-blosc) and numcodecs.js (zarrita) decode them.
 *
 *   bloscCompress(src, { cname, clevel, shuffle, typesize, blocksize? }): Uint8Array
 *   bloscDecompress(frame): Uint8Array
 *   readBloscHeader(frame): BloscHeader
 *   bloscBlocksize(cname, clevel, typesize, nbytes, forced?): number   c-blosc's compute_blocksize
 *
 * Frame layout (all integers little-endian):
 *   0  version (2)        1  compressor format version (1)
 *   2  flags: 0x1 byte shuffle, 0x2 memcpyed (raw copy follows the header), 0x4 bit shuffle,
 *      0x10 "don't split", bits 5-7 compressor format (0 blosclz, 1 lz4/lz4hc, 3 zlib, 4 zstd)
 *   3  typesize           4  nbytes (uncompressed)   8  blocksize   12  cbytes (whole frame)
 *   16 one int32 offset per block (absent when memcpyed), then the blocks.
 * Each block is shuffled as a whole, then compressed as `typesize` independent streams when the
 * block is "split", else as one stream; every stream is preceded by its int32 compressed length,
 * and a length equal to the stream's uncompressed size means "stored raw". A block is split
 * unless the don't-split flag is set, it is the final short (leftover) block, or -- on the decode
 * side, for frames from blosc versions before the flag existed -- typesize > 16 or the block holds
 * fewer than 128 elements. We set the flag the way c-blosc's default FORWARD_COMPAT split mode
 * does: split for every codec but zstd when typesize <= 16 and blocksize/typesize >= 128.
 *
 * When the compressed frame would be larger than nbytes + 16 the whole buffer is stored raw with
 * the memcpyed flag, as c-blosc does (numcodecs sizes its destination buffer that way).
 */
import { ConfigError } from "../../errors.js";
import type { BloscCname, BloscShuffle } from "../compression.js";
import { blosclzCompress, blosclzDecompress } from "./blosclz.js";
import { lz4BlockCompress, lz4BlockDecompress } from "./lz4.js";
import { lz4hcBlockCompress } from "./lz4hc.js";
import { bitShuffle, bitUnshuffle, byteShuffle, byteUnshuffle } from "./shuffle.js";
import { zlibDecode, zlibEncode } from "./zlib.js";
import { zstdCompressInto, zstdDecompressInto } from "./zstd.js";

export interface BloscOptions {
  cname: BloscCname;
  clevel: number;
  shuffle: BloscShuffle;
  typesize: number;
  /** 0 or undefined: choose as c-blosc does. */
  blocksize?: number;
}

export interface BloscHeader {
  version: number;
  versionlz: number;
  flags: number;
  typesize: number;
  nbytes: number;
  blocksize: number;
  cbytes: number;
  /** Compressor format from the flags: 0 blosclz, 1 lz4/lz4hc, 2 snappy, 3 zlib, 4 zstd. */
  format: number;
  memcpyed: boolean;
  shuffle: BloscShuffle;
  dontSplit: boolean;
}

const HEADER = 16;
const MIN_BUFFERSIZE = 128;
const MAX_SPLITS = 16;
const L1 = 32 * 1024;
const MAX_TYPESIZE = 255;
const MAX_BLOCKSIZE = Math.floor((2 ** 31 - 1 - MAX_TYPESIZE * 4) / 3);
const FLAG_SHUFFLE = 0x1;
const FLAG_MEMCPYED = 0x2;
const FLAG_BITSHUFFLE = 0x4;
const FLAG_DONT_SPLIT = 0x10;

const FORMAT: Record<BloscCname, number> = { blosclz: 0, lz4: 1, lz4hc: 1, zlib: 3, zstd: 4 };

/** Codecs c-blosc treats as "high compression ratio": bigger blocks. */
function isHCR(cname: BloscCname): boolean {
  return cname === "lz4hc" || cname === "zlib" || cname === "zstd";
}

function splitBlock(cname: BloscCname, typesize: number, blocksize: number): boolean {
  return cname !== "zstd" && typesize <= MAX_SPLITS && blocksize / typesize >= MIN_BUFFERSIZE;
}

export function bloscBlocksize(
  cname: BloscCname,
  clevel: number,
  typesize: number,
  nbytes: number,
  forced = 0,
): number {
  if (nbytes < typesize) return 1;
  let blocksize = nbytes;
  if (forced) {
    blocksize = Math.min(Math.max(forced, MIN_BUFFERSIZE), MAX_BLOCKSIZE);
  } else if (nbytes >= L1) {
    blocksize = L1;
    if (isHCR(cname)) blocksize *= 2;
    switch (clevel) {
      case 0:
        blocksize /= 4;
        break;
      case 1:
        blocksize /= 2;
        break;
      case 2:
        break;
      case 3:
        blocksize *= 2;
        break;
      case 4:
      case 5:
        blocksize *= 4;
        break;
      case 6:
      case 7:
      case 8:
        blocksize *= 8;
        break;
      default:
        blocksize *= 8;
        if (isHCR(cname)) blocksize *= 2;
    }
  }
  if (clevel > 0 && splitBlock(cname, typesize, blocksize)) {
    if (blocksize > 1 << 18) blocksize = 1 << 18;
    blocksize *= typesize;
    if (blocksize < 1 << 16) blocksize = 1 << 16;
    if (blocksize > 1024 * 1024) blocksize = 1024 * 1024;
  }
  if (blocksize > nbytes) blocksize = nbytes;
  if (blocksize > typesize) blocksize = Math.floor(blocksize / typesize) * typesize;
  return blocksize;
}

/**
 * Frames are built in memory reused across calls (one thread compresses one chunk at a time) and
 * copied out at their compressed size: a fresh chunk-sized buffer per chunk costs page faults
 * and collections for memory that is mostly thrown away.
 */
let frameScratch: Uint8Array = new Uint8Array(0);
let blockScratch: Uint8Array = new Uint8Array(0);

function scratch(current: Uint8Array, bytes: number): Uint8Array {
  return current.length >= bytes ? current : new Uint8Array(bytes);
}

function zstdLevel(clevel: number): number {
  return clevel < 9 ? clevel * 2 - 1 : 22;
}

/**
 * Compresses one stream into dst[0..maxout). Returns the compressed length, or 0 when the codec
 * gave up or the result does not fit (c-blosc's convention: the caller then stores it raw).
 */
function compressStream(
  opts: BloscOptions,
  src: Uint8Array,
  dst: Uint8Array,
  maxout: number,
  split: boolean,
): number {
  let out: Uint8Array | null;
  switch (opts.cname) {
    case "zstd": {
      const n = zstdCompressInto(src, dst.subarray(0, maxout), zstdLevel(opts.clevel));
      return Math.max(n, 0);
    }
    case "lz4":
      out = lz4BlockCompress(src);
      break;
    case "lz4hc":
      out = lz4hcBlockCompress(src, opts.clevel);
      break;
    case "zlib":
      out = zlibEncode(src, opts.clevel);
      break;
    case "blosclz":
      out = blosclzCompress(opts.clevel, src, maxout, split);
      break;
  }
  if (out === null || out.length > maxout) return 0;
  dst.set(out);
  return out.length;
}

function writeHeader(dst: Uint8Array, flags: number, typesize: number, nbytes: number, bs: number) {
  const view = new DataView(dst.buffer, dst.byteOffset, HEADER);
  dst[0] = 2;
  dst[1] = 1;
  dst[2] = flags;
  dst[3] = typesize;
  view.setInt32(4, nbytes, true);
  view.setInt32(8, bs, true);
}

function memcpyFrame(src: Uint8Array, flags: number, typesize: number, blocksize: number) {
  const frame = new Uint8Array(HEADER + src.length);
  writeHeader(frame, flags | FLAG_MEMCPYED, typesize, src.length, blocksize);
  new DataView(frame.buffer).setInt32(12, frame.length, true);
  frame.set(src, HEADER);
  return frame;
}

export function bloscCompress(src: Uint8Array, opts: BloscOptions): Uint8Array {
  const nbytes = src.length;
  if (nbytes > 2 ** 31 - 1 - HEADER) {
    throw new ConfigError(`A ${nbytes}-byte chunk is too large for blosc (limit 2 GiB).`, {
      hint: "Use smaller chunks.",
    });
  }
  const typesize = opts.typesize > MAX_TYPESIZE ? 1 : Math.max(1, opts.typesize);
  const clevel = opts.clevel;
  const blocksize = bloscBlocksize(opts.cname, clevel, typesize, nbytes, opts.blocksize ?? 0);
  const dontSplit = !splitBlock(opts.cname, typesize, blocksize);
  let flags = (FORMAT[opts.cname] << 5) | (dontSplit ? FLAG_DONT_SPLIT : 0);
  if (opts.shuffle === "shuffle") flags |= FLAG_SHUFFLE;
  if (opts.shuffle === "bitshuffle") flags |= FLAG_BITSHUFFLE;
  if (clevel === 0 || nbytes < MIN_BUFFERSIZE) return memcpyFrame(src, flags, typesize, blocksize);

  const nblocks = Math.ceil(nbytes / blocksize);
  const leftover = nbytes % blocksize;
  const maxbytes = nbytes + HEADER;
  frameScratch = scratch(frameScratch, maxbytes);
  blockScratch = scratch(blockScratch, blocksize);
  const dst = frameScratch;
  const view = new DataView(dst.buffer);
  writeHeader(dst, flags, typesize, nbytes, blocksize);
  const tmp = blockScratch;
  let ntbytes = HEADER + 4 * nblocks;
  if (ntbytes > maxbytes) return memcpyFrame(src, flags, typesize, blocksize);

  for (let j = 0; j < nblocks; j++) {
    view.setInt32(HEADER + 4 * j, ntbytes, true);
    const isLeftover = j === nblocks - 1 && leftover > 0;
    const bsize = isLeftover ? leftover : blocksize;
    const block = src.subarray(j * blocksize, j * blocksize + bsize);
    let data = block;
    if (opts.shuffle === "shuffle" && typesize > 1) {
      data = tmp.subarray(0, bsize);
      byteShuffle(block, data, typesize);
    } else if (opts.shuffle === "bitshuffle" && bsize >= typesize) {
      data = tmp.subarray(0, bsize);
      bitShuffle(block, data, typesize);
    }
    const nsplits = !dontSplit && !isLeftover ? typesize : 1;
    const neblock = Math.floor(bsize / nsplits);
    for (let s = 0; s < nsplits; s++) {
      const lenPos = ntbytes;
      ntbytes += 4;
      let maxout = neblock;
      if (ntbytes + maxout > maxbytes) {
        maxout = maxbytes - ntbytes;
        if (maxout <= 0) return memcpyFrame(src, flags, typesize, blocksize);
      }
      const stream = data.subarray(s * neblock, (s + 1) * neblock);
      let cbytes = compressStream(opts, stream, dst.subarray(ntbytes), maxout, !dontSplit);
      if (cbytes === 0 || cbytes === neblock) {
        if (ntbytes + neblock > maxbytes) return memcpyFrame(src, flags, typesize, blocksize);
        dst.set(stream, ntbytes);
        cbytes = neblock;
      }
      view.setInt32(lenPos, cbytes, true);
      ntbytes += cbytes;
    }
  }
  view.setInt32(12, ntbytes, true);
  return dst.slice(0, ntbytes);
}

export function readBloscHeader(frame: Uint8Array): BloscHeader {
  if (frame.length < HEADER) throw new Error(`blosc frame of ${frame.length} bytes has no header`);
  const view = new DataView(frame.buffer, frame.byteOffset, HEADER);
  const flags = frame[2];
  return {
    version: frame[0],
    versionlz: frame[1],
    flags,
    typesize: frame[3],
    nbytes: view.getInt32(4, true),
    blocksize: view.getInt32(8, true),
    cbytes: view.getInt32(12, true),
    format: (flags & 0xe0) >> 5,
    memcpyed: (flags & FLAG_MEMCPYED) !== 0,
    shuffle:
      flags & FLAG_SHUFFLE ? "shuffle" : flags & FLAG_BITSHUFFLE ? "bitshuffle" : "noshuffle",
    dontSplit: (flags & FLAG_DONT_SPLIT) !== 0,
  };
}

function decompressStream(format: number, src: Uint8Array, out: Uint8Array): void {
  switch (format) {
    case 0:
      if (blosclzDecompress(src, out) !== out.length) throw new Error("corrupt blosclz stream");
      return;
    case 1:
      lz4BlockDecompress(src, out);
      return;
    case 3: {
      const r = zlibDecode(src);
      if (r.length !== out.length) throw new Error("zlib stream has the wrong length");
      out.set(r);
      return;
    }
    case 4:
      zstdDecompressInto(src, out);
      return;
    default:
      throw new Error(`blosc compressor format ${format} (snappy?) is not supported`);
  }
}

export function bloscDecompress(frame: Uint8Array): Uint8Array {
  const h = readBloscHeader(frame);
  if (h.version < 1 || h.version > 2) throw new Error(`unsupported blosc version ${h.version}`);
  if (h.cbytes > frame.length) throw new Error("blosc frame is truncated");
  const out = new Uint8Array(h.nbytes);
  if (h.nbytes === 0) return out;
  if (h.memcpyed) {
    if (h.cbytes !== h.nbytes + HEADER) throw new Error("memcpyed blosc frame has a bad length");
    out.set(frame.subarray(HEADER, HEADER + h.nbytes));
    return out;
  }
  const { typesize, blocksize } = h;
  if (blocksize <= 0) throw new Error("blosc frame has a bad blocksize");
  const nblocks = Math.ceil(h.nbytes / blocksize);
  const leftover = h.nbytes % blocksize;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  blockScratch = scratch(blockScratch, blocksize);
  const tmp = blockScratch;
  for (let j = 0; j < nblocks; j++) {
    const isLeftover = j === nblocks - 1 && leftover > 0;
    const bsize = isLeftover ? leftover : blocksize;
    const dest = out.subarray(j * blocksize, j * blocksize + bsize);
    const doShuffle = h.flags & FLAG_SHUFFLE && typesize > 1;
    const doBitshuffle = h.flags & FLAG_BITSHUFFLE && bsize >= typesize;
    const target = doShuffle || doBitshuffle ? tmp.subarray(0, bsize) : dest;
    const split =
      !h.dontSplit &&
      typesize <= MAX_SPLITS &&
      blocksize / typesize >= MIN_BUFFERSIZE &&
      !isLeftover;
    const nsplits = split ? typesize : 1;
    const neblock = Math.floor(bsize / nsplits);
    let pos = view.getInt32(HEADER + 4 * j, true);
    for (let s = 0; s < nsplits; s++) {
      if (pos < 0 || pos + 4 > h.cbytes) throw new Error("blosc block offset out of range");
      const cbytes = view.getInt32(pos, true);
      pos += 4;
      if (cbytes < 0 || cbytes > h.cbytes - pos)
        throw new Error("blosc stream length out of range");
      const stream = frame.subarray(pos, pos + cbytes);
      const part = target.subarray(s * neblock, (s + 1) * neblock);
      if (cbytes === neblock) part.set(stream);
      else decompressStream(h.format, stream, part);
      pos += cbytes;
    }
    if (doShuffle) byteUnshuffle(target, dest, typesize);
    else if (doBitshuffle) bitUnshuffle(target, dest, typesize);
  }
  return out;
}
