/**
 * Reading one whole variable through the HDF5 reader, h5wasm vs the raw chunk path, in blocks of
 * `--step` records (not a test; numbers for docs and commit messages):
 *
 *     npx tsx test/readers/bench_hdf5_raw.mts FILE VARIABLE [--rounds 5] [--step 24] [--only raw|h5wasm]
 *
 * Prints the best and median wall time and the best CPU time (main thread + libuv's pool) of
 * each path; rounds alternate between the paths.
 */
import { type Hdf5Variable, openHdf5 } from "../../src/readers/hdf5.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const rounds = Number(flag("rounds", "5"));
const step = Number(flag("step", "24"));
const only = flag("only", "");
const [path, name] = args;
if (!path || !name) {
  console.error(
    "usage: bench_hdf5_raw.mts FILE VARIABLE [--rounds N] [--step N] [--only raw|h5wasm]",
  );
  process.exit(2);
}
const paths = only ? [only === "raw"] : [false, true];
const results = new Map<boolean, { wall: number[]; cpu: number[] }>();
for (let r = 0; r < rounds; r++) {
  for (const raw of paths) {
    const ds = await openHdf5(path, { raw });
    const v = ds.variables.find((x) => x.name === name) as Hdf5Variable | undefined;
    if (!v) throw new Error(`no variable ${name}`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const rows = v.shape[0] ?? 1;
    for (let t = 0; t < rows; t += step) {
      const start = v.shape.map(() => 0);
      const count = v.shape.slice();
      if (v.shape.length > 0) {
        start[0] = t;
        count[0] = Math.min(step, rows - t);
      }
      await v.read(start, count);
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const entry = results.get(raw) ?? { wall: [], cpu: [] };
    entry.wall.push(wall);
    entry.cpu.push((cpu.user + cpu.system) / 1000);
    results.set(raw, entry);
    if (r === 0 && raw) console.log("raw path:", JSON.stringify(await v.readPath()));
    await ds.close();
  }
}
const ds = await openHdf5(path, { raw: false });
const v = ds.variables.find((x) => x.name === name);
const SIZES: Record<string, number> = {
  float64: 8,
  int64: 8,
  uint64: 8,
  float32: 4,
  int32: 4,
  uint32: 4,
  int16: 2,
  uint16: 2,
};
const bytes = (v?.shape.reduce((a, b) => a * b, 1) ?? 0) * (SIZES[v?.dtype ?? ""] ?? 1);
await ds.close();
for (const [raw, { wall, cpu }] of results) {
  const sorted = [...wall].sort((a, b) => a - b);
  const best = sorted[0];
  console.log(
    `${raw ? "raw   " : "h5wasm"}  wall best ${best.toFixed(0)} ms (${(bytes / 2 ** 20 / (best / 1000)).toFixed(0)} MiB/s), median ${sorted[sorted.length >> 1].toFixed(0)} ms; cpu best ${Math.min(...cpu).toFixed(0)} ms`,
  );
}
