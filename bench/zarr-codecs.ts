/**
 * Codec throughput on 100 MiB of smooth float32 data (a 2-D temperature-like sine field plus
 * noise), encoded in 4 MiB chunks the way the engine calls encodeChunk.
 *
 *   npx tsx bench/zarr-codecs.ts [MiB] [noise]
 *
 * Reports MiB/s per wall-clock second and per CPU second (process.cpuUsage): on a shared machine
 * the CPU figure is the stable one. One thread; the engine runs one encoder per worker.
 */
import { decodeChunk, encodeChunk } from "../src/zarr/array.js";
import { parseCompression } from "../src/zarr/compression.js";
import { createArrayMeta } from "../src/zarr/metadata.js";

const mib = Number(process.argv[2] ?? 100);
const noise = Number(process.argv[3] ?? 0.01);
const nx = 1440;
const n = Math.floor((mib * 1024 * 1024) / 4 / nx) * nx;
const field = new Float32Array(n);
let seed = 12345;
const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
for (let i = 0; i < n; i++) {
  const x = i % nx;
  const y = Math.floor(i / nx);
  field[i] = 280 + 25 * Math.sin(x / 90) * Math.cos(y / 60) + (rnd() - 0.5) * noise;
}
const rowsPerChunk = Math.floor((4 * 1024 * 1024) / 4 / nx);
const ny = n / nx;
const methods = process.argv[4]
  ? process.argv[4].split(",")
  : [
      "blosc:zstd:3:shuffle",
      "blosc:zstd:1:shuffle",
      "blosc:zstd:5:shuffle",
      "blosc:lz4:5:shuffle",
      "blosc:blosclz:5:shuffle",
      "blosc:zstd:3:bitshuffle",
      "blosc:lz4hc:5:shuffle",
      "blosc:zlib:5:shuffle",
      "zstd:3",
      "lz4",
      "gzip:5",
      "zlib:5",
    ];

function time(fn: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

const total = (n * 4) / 1024 / 1024;
console.log(`${total.toFixed(0)} MiB float32, noise ${noise}, chunks of ${rowsPerChunk} x ${nx}`);
for (const method of methods) {
  const meta = createArrayMeta({
    zarrFormat: 3,
    path: "t",
    dtype: "float32",
    shape: [ny, nx],
    chunks: [rowsPerChunk, nx],
    dimensionNames: ["y", "x"],
    attrs: {},
    compression: parseCompression(method),
  });
  // Warm up the JIT on one chunk so the figures describe steady state.
  encodeChunk(meta, field.subarray(0, rowsPerChunk * nx), [rowsPerChunk, nx]);
  const frames: Uint8Array[] = [];
  const enc = time(() => {
    for (let r = 0; r < ny; r += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, ny - r);
      frames.push(encodeChunk(meta, field.subarray(r * nx, (r + rows) * nx), [rows, nx]));
    }
  });
  const dec = time(() => {
    for (const f of frames) decodeChunk(meta, f);
  });
  const out = frames.reduce((s, f) => s + f.length, 0) / 1024 / 1024;
  console.log(
    `${method.padEnd(26)} ratio ${(total / out).toFixed(2).padStart(5)}  ` +
      `encode ${(total / enc.wall).toFixed(0).padStart(4)} MiB/s wall ${(total / enc.cpu).toFixed(0).padStart(4)} MiB/cpu-s  ` +
      `decode ${(total / dec.wall).toFixed(0).padStart(4)} MiB/s wall ${(total / dec.cpu).toFixed(0).padStart(4)} MiB/cpu-s`,
  );
}
