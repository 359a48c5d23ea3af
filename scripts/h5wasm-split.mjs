// Part of `npm run build`: splits h5wasm's single-file Node build (dist/node/hdf5_util.js, the
// emscripten glue with HDF5's 3.6 MB WebAssembly binary inlined as a string literal) into the glue
// without the literal and the binary beside it, in dist/vendor/h5wasm/.
//
// Why: every thread that opens an HDF5 file loads that module, and Node spends ~40 ms decoding its
// 4.2 MB of source, ~50 ms parsing it and ~40 ms turning the literal back into bytes, all on the
// main thread while it opens the input. The split glue is 0.2 MB and readers/hdf5/runtime.ts
// compiles the binary itself (on V8's background threads). The glue is otherwise unchanged;
// origin.json records which h5wasm it came from, and runtime.ts uses the split only for that
// version, else the installed file as it is.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";

const HEAD = "function findWasmBinary(){return binaryDecode(";
const TAIL = ")}function getBinarySync";

const nodeDir = dirname(fileURLToPath(import.meta.resolve("h5wasm/node")));
const source = readFileSync(join(nodeDir, "hdf5_util.js"), "latin1");
const { version } = JSON.parse(readFileSync(join(nodeDir, "..", "..", "package.json"), "utf8"));

const fail = (why) => {
  console.error(`scripts/h5wasm-split.mjs: h5wasm ${version}'s hdf5_util.js ${why}`);
  process.exit(1);
};
const start = source.indexOf(HEAD);
const end = source.indexOf(TAIL, start);
if (start < 0 || end < 0 || source.indexOf(HEAD, start + 1) >= 0) {
  fail("does not inline its binary the way this script knows (findWasmBinary)");
}
// The literal is read as UTF-8 text (the way Node reads the module), then decoded as the glue's
// own binaryDecode does.
const text = Buffer.from(source.slice(start + HEAD.length, end), "latin1").toString("utf8");
const literal = runInNewContext(`(${text})`);
if (typeof literal !== "string") fail("inlines something other than a string");
const wasm = new Uint8Array(literal.length);
for (let i = 0; i < literal.length; i++) {
  const c = literal.charCodeAt(i);
  wasm[i] = (~c >> 8) & c;
}
if (wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) {
  fail("inlines a binary without the WebAssembly magic number");
}
const glue = `${source.slice(0, start)}function findWasmBinary(){throw new Error("this h5wasm glue is split from its binary (scripts/h5wasm-split.mjs): pass instantiateWasm")${source.slice(end + 1)}`;

// The output directory is the argument (tests use a temporary one); dist/vendor/h5wasm by default.
const out = process.argv[2] ?? join("dist", "vendor", "h5wasm");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "hdf5_util.js"), Buffer.from(glue, "latin1"));
writeFileSync(join(out, "hdf5_util.wasm"), wasm);
writeFileSync(join(out, "origin.json"), `${JSON.stringify({ h5wasm: version }, null, 2)}\n`);
