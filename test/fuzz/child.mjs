/**
 * The fuzz target's child process (started by target.ts `TargetProcess`): one JSON request per
 * stdin line ({ path }), one `@@result {CaseResult}` per stdout line. It runs the built library
 * (dist/, so `npm run build` after changing src/) in plain Node: under tsx's loader, h5wasm's
 * 4 MB module costs ~600 MiB to load, which would drown every memory measurement.
 *
 * The case body is documented in target.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = (p) => import(join(repoRoot, "dist", p));

const { openDataset } = await dist("readers/index.js");
const { openHdf5 } = await dist("readers/hdf5.js");
const { detachedSource, openDetachedFile } = await dist("readers/detached.js");
const { InputError } = await dist("errors.js");
const { planForDataset, convertToZarr } = await dist("ops/convert.js");
const { resolveConfig } = await dist("config/schema.js");
const { MemoryStore } = await dist("zarr/store/memory.js");
const { createLogger } = await dist("log.js");

const BLOCK_BYTES = 8 * 2 ** 20;
/** A variable bigger than this is read at its first and last blocks only (a hostile shape). */
const READ_BUDGET = 256 * 2 ** 20;

const DTYPE_BYTES = {
  int8: 1,
  uint8: 1,
  char: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
  string: 16,
};

/** The blocks a whole-variable read is cut into: one index of the leading axes, rows of axis k. */
function* blocks(shape, elBytes) {
  const rank = shape.length;
  if (rank === 0) {
    yield [[], []];
    return;
  }
  if (shape.some((s) => s === 0)) return;
  let k = 0;
  let inner = shape.reduce((a, b) => a * b, elBytes);
  while (k < rank - 1 && inner > BLOCK_BYTES) {
    inner /= shape[k];
    k++;
  }
  // `inner` is now the bytes of one index along axis k.
  inner /= shape[k];
  const step = Math.min(shape[k], Math.max(1, Math.floor(BLOCK_BYTES / Math.max(1, inner))));
  const along = Math.ceil(shape[k] / step);
  const outer = shape.slice(0, k).reduce((a, b) => a * b, 1);
  const total = outer * along;
  const sample = total * step * inner > READ_BUDGET;
  for (let i = 0; i < total; i++) {
    if (sample && i !== 0 && i !== total - 1) continue;
    const start = new Array(rank).fill(0);
    const count = shape.slice();
    let rest = Math.floor(i / along);
    for (let d = k - 1; d >= 0; d--) {
      start[d] = rest % shape[d];
      count[d] = 1;
      rest = Math.floor(rest / shape[d]);
    }
    start[k] = (i % along) * step;
    count[k] = Math.min(step, shape[k] - start[k]);
    yield [start, count];
  }
}

async function readAll(v) {
  for (const [start, count] of blocks(v.shape, DTYPE_BYTES[v.dtype] ?? 8)) {
    await v.read(start, count);
  }
}

const stringify = (x) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
const tree = (ds) => [ds, ...(ds.children?.() ?? []).flatMap(tree)];

async function runCase(path) {
  const started = Date.now();
  let stage = "open";
  const done = (outcome, message) => ({ outcome, stage, message, ms: Date.now() - started });

  const readDatasets = async (open, detached) => {
    stage = "open";
    const ds = await open();
    try {
      stage = "metadata";
      const groups = tree(ds);
      for (const g of groups) {
        stringify(g.dims);
        stringify(g.attrs);
        for (const v of g.variables) stringify(v.attrs);
      }
      stage = "read";
      for (const g of groups) for (const v of g.variables) await readAll(v);
      if (!detached) return;
      // What the engine's worker threads read: the description the opening thread made.
      stage = "detached";
      for (const g of groups) {
        for (const v of g.variables) {
          const desc = await detachedSource(v);
          if (!desc) continue;
          const { variable, close } = await openDetachedFile(desc);
          try {
            await readAll(variable);
          } finally {
            await close();
          }
        }
      }
      stage = "plan";
      const config = resolveConfig({});
      for (const g of groups) planForDataset(g, config);
    } finally {
      await ds.close();
    }
  };

  try {
    await readDatasets(() => openDataset(path), true);
    if (readFileSync(path).subarray(0, 3).toString("latin1") !== "CDF") {
      // openDataset took it as HDF5: everything again with the raw chunk path off (h5wasm only).
      stage = "h5wasm";
      await readDatasets(() => openHdf5(path, { raw: false }), false);
    }
    stage = "convert";
    await convertToZarr(path, "fuzz.zarr", {
      store: new MemoryStore(),
      jobs: 1,
      logger: createLogger("error", () => {}),
    });
    return done("ok");
  } catch (err) {
    if (err instanceof InputError) {
      const line = err.message.split("\n")[0];
      return err.message.includes(path)
        ? done("input-error", line)
        : done("bug", `InputError without the file name: ${line}`);
    }
    const top = (err?.stack ?? String(err)).split("\n").slice(0, 6).join(" | ");
    return done("bug", `${err?.name ?? typeof err}: ${top}`);
  }
}

function statusMiB(field) {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function resetPeak() {
  try {
    // "5" resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0).
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // Not Linux: the peak is the process's, which only over-reports.
  }
}

// Node's own notices (MaxListeners …) are not results.
process.removeAllListeners("warning");
// Module loading and the first WASM instance are paid once here, not by the first case.
await runCase(join(repoRoot, "test/fixtures/nc4_chunked.nc"));
process.stdout.write("@@ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const { path } = JSON.parse(line);
  resetPeak();
  const startRssMiB = statusMiB("VmRSS");
  const result = await runCase(path);
  result.peakRssMiB = statusMiB("VmHWM");
  result.startRssMiB = startRssMiB;
  process.stdout.write(`@@result ${JSON.stringify(result)}\n`);
}
