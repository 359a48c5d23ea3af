/**
 * Zstandard frames through the native zstd-napi binding. Every frame records its decompressed size
 * in the header (ZSTD_compressCCtx always sets it): Debian's numcodecs allocates its output from
 * that field and refuses frames without it.
 *
 *   zstdEncode(bytes, level): Uint8Array        one frame, content size included
 *   zstdDecode(bytes, expectedSize?): Uint8Array
 *   zstdCompressInto(src, dst, level): number    for blosc: compress into a caller buffer, returns
 *                                                the frame length or -1 when it does not fit
 *
 * One compression and one decompression context per thread (module instance), reused across calls:
 * creating contexts per chunk costs more than compressing small blocks.
 */
import binding from "zstd-napi/binding.js";

let cctx: InstanceType<typeof binding.CCtx> | undefined;
let dctx: InstanceType<typeof binding.DCtx> | undefined;

function compressor(): InstanceType<typeof binding.CCtx> {
  cctx ??= new binding.CCtx();
  return cctx;
}

function decompressor(): InstanceType<typeof binding.DCtx> {
  dctx ??= new binding.DCtx();
  return dctx;
}

export function zstdBound(size: number): number {
  return binding.compressBound(size);
}

export function zstdEncode(bytes: Uint8Array, level: number): Uint8Array {
  const dst = new Uint8Array(binding.compressBound(bytes.length));
  const n = compressor().compress(dst, bytes, level);
  return dst.subarray(0, n);
}

export function zstdCompressInto(src: Uint8Array, dst: Uint8Array, level: number): number {
  try {
    return compressor().compress(dst, src, level);
  } catch (err) {
    // zstd reports "Destination buffer is too small" as an error; for blosc that only means
    // "store this block uncompressed".
    if (err instanceof Error && /too small/i.test(err.message)) return -1;
    throw err;
  }
}

/** Decompresses one frame into `out`, which must be exactly the frame's content size. */
export function zstdDecompressInto(src: Uint8Array, out: Uint8Array): void {
  const n = decompressor().decompress(out, src);
  if (n !== out.length)
    throw new Error(`zstd frame decompressed to ${n} bytes, expected ${out.length}`);
}

export function zstdDecode(bytes: Uint8Array, expectedSize?: number): Uint8Array {
  const size = expectedSize ?? binding.getFrameContentSize(bytes);
  if (size === null || size === undefined) {
    throw new Error("zstd frame does not record its decompressed size");
  }
  const dst = new Uint8Array(size);
  const n = decompressor().decompress(dst, bytes);
  if (n !== size) throw new Error(`zstd frame decompressed to ${n} bytes, expected ${size}`);
  return dst;
}
