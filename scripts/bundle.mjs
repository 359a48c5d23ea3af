// The second half of `npm run build`: bundles the CLI and the modules that start threads (the
// engine's workers, the remote-read helper, the queue's processor) over tsc's output of the same
// names, with the code they share split into dist/chunks/.
//
// Why: Node loads an ES module graph file by file, and the CLI's is about 200 files, a worker's
// about 110; resolving and reading them cost the CLI ~0.1 s before it does anything and each
// worker thread as much again, on cores the conversion is waiting for. The library's entry
// (dist/index.js) stays tsc's per-file output, with its declarations. Dependencies stay external,
// as installed. Plain JavaScript, so it runs in the Docker build before anything else is built.
import { chmodSync, rmSync } from "node:fs";
import { build } from "esbuild";

const entries = ["cli/bin", "engine/worker", "readers/remote/fetch-thread", "queue/processor"];

// Chunks are named by content hash: those of an earlier build would pile up.
rmSync("dist/chunks", { recursive: true, force: true });
await build({
  entryPoints: entries.map((e) => `src/${e}.ts`),
  outbase: "src",
  outdir: "dist",
  entryNames: "[dir]/[name]",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  allowOverwrite: true,
  logLevel: "warning",
});
chmodSync("dist/cli/bin.js", 0o755);
