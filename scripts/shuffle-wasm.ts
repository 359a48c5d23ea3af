/**
 * Generates src/util/byte-shuffle-wasm.ts: the WebAssembly SIMD kernels of util/byte-shuffle.ts,
 * as WAT built here and compiled with wabt, checked in as base64 so neither a build nor an
 * install needs wabt. `npx tsx scripts/shuffle-wasm.ts` rewrites the file;
 * `--check` exits 1 when the checked-in file differs from what this script makes
 * (test/util/byte-shuffle.test.ts runs it).
 *
 * For element sizes K = 2, 4, 8 and 16 elements per step (K vectors of 16 bytes):
 *   shuffleK(src, dst, stride, m)    m interleaved elements at src → byte plane j at dst + j*stride
 *   unshuffleK(src, stride, dst, m)  planes at src + j*stride → m interleaved elements at dst
 * with m a multiple of 16. Both are log2(K) rounds of a perfect-shuffle network: shuffle unzips
 * pairs of vectors into their even and odd bytes, unshuffle zips them back; the vectors' order
 * after each round is what makes the last round leave plane j (or elements 16k/K…) in vector j.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";

const OUT = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "src",
  "util",
  "byte-shuffle-wasm.ts",
);
const SIZES = [2, 4, 8];

const lanes = (f: (k: number) => number) => Array.from({ length: 16 }, (_, k) => f(k)).join(" ");
const EVEN = lanes((k) => 2 * k);
const ODD = lanes((k) => 2 * k + 1);
const ZIP_LO = lanes((k) => (k % 2 === 0 ? k / 2 : 16 + (k - 1) / 2));
const ZIP_HI = lanes((k) => (k % 2 === 0 ? 8 + k / 2 : 24 + (k - 1) / 2));

/** One round over vectors named `v`: (even|odd) of pairs, or (lo|hi) zips, into `w`. */
function round(k: number, from: string, to: string, unzip: boolean): string[] {
  const out: string[] = [];
  const half = k / 2;
  for (let t = 0; t < half; t++) {
    if (unzip) {
      const [a, b] = [`$${from}${2 * t}`, `$${from}${2 * t + 1}`];
      out.push(`(local.set $${to}${t} (i8x16.shuffle ${EVEN} (local.get ${a}) (local.get ${b})))`);
      out.push(
        `(local.set $${to}${t + half} (i8x16.shuffle ${ODD} (local.get ${a}) (local.get ${b})))`,
      );
    } else {
      const [a, b] = [`$${from}${t}`, `$${from}${t + half}`];
      out.push(
        `(local.set $${to}${2 * t} (i8x16.shuffle ${ZIP_LO} (local.get ${a}) (local.get ${b})))`,
      );
      out.push(
        `(local.set $${to}${2 * t + 1} (i8x16.shuffle ${ZIP_HI} (local.get ${a}) (local.get ${b})))`,
      );
    }
  }
  return out;
}

function rounds(k: number, unzip: boolean): { body: string[]; last: string } {
  const body: string[] = [];
  let from = "v";
  for (let r = 0; r < Math.log2(k); r++) {
    const to = from === "v" ? "w" : "v";
    body.push(...round(k, from, to, unzip));
    from = to;
  }
  return { body, last: from };
}

function locals(k: number): string {
  const names: string[] = [];
  for (let i = 0; i < k; i++) names.push(`(local $v${i} v128) (local $w${i} v128)`);
  return names.join(" ");
}

/** A kernel: per step of 16 elements, `steps` (loads, rounds, stores), then $s and $d advance. */
function kernel(
  name: string,
  k: number,
  params: string,
  steps: string[],
  srcStep: number,
  dstStep: number,
): string {
  return `(func (export "${name}") ${params}
    (local $i i32) (local $s i32) (local $d i32) ${locals(k)}
    (local.set $s (local.get $src))
    (local.set $d (local.get $dst))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
      ${steps.join("\n      ")}
      (local.set $s (i32.add (local.get $s) (i32.const ${srcStep})))
      (local.set $d (i32.add (local.get $d) (i32.const ${dstStep})))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $top))))`;
}

/** The memory operand of vector j: at `base` + j * 16 (contiguous) or `base` + j * $stride (planes). */
const at = (base: string, j: number, planes: boolean) =>
  planes
    ? `(i32.add (local.get ${base}) (i32.mul (local.get $stride) (i32.const ${j})))`
    : `offset=${16 * j} (local.get ${base})`;

function shuffleFunc(k: number): string {
  const loads = Array.from(
    { length: k },
    (_, i) => `(local.set $v${i} (v128.load ${at("$s", i, false)}))`,
  );
  const { body, last } = rounds(k, true);
  const stores = Array.from(
    { length: k },
    (_, j) => `(v128.store ${at("$d", j, true)} (local.get $${last}${j}))`,
  );
  const params = "(param $src i32) (param $dst i32) (param $stride i32) (param $m i32)";
  return kernel(`shuffle${k}`, k, params, [...loads, ...body, ...stores], 16 * k, 16);
}

function unshuffleFunc(k: number): string {
  const loads = Array.from(
    { length: k },
    (_, j) => `(local.set $v${j} (v128.load ${at("$s", j, true)}))`,
  );
  const { body, last } = rounds(k, false);
  const stores = Array.from(
    { length: k },
    (_, i) => `(v128.store ${at("$d", i, false)} (local.get $${last}${i}))`,
  );
  const params = "(param $src i32) (param $stride i32) (param $dst i32) (param $m i32)";
  return kernel(`unshuffle${k}`, k, params, [...loads, ...body, ...stores], 16, 16 * k);
}

/** Pages of 64 KiB: util/byte-shuffle.ts uses [0, half) for input and [half, end) for output. */
export const PAGES = 8;

export function shuffleWat(): string {
  const funcs = SIZES.flatMap((k) => [shuffleFunc(k), unshuffleFunc(k)]);
  return `(module\n  (memory (export "memory") ${PAGES} ${PAGES})\n  ${funcs.join("\n  ")}\n)\n`;
}

async function generated(): Promise<string> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat("shuffle.wat", shuffleWat(), { simd: true });
  mod.validate();
  const { buffer } = mod.toBinary({});
  mod.destroy();
  const b64 = Buffer.from(buffer).toString("base64");
  const lines = b64.match(/.{1,96}/g) ?? [];
  return `/**
 * Generated by scripts/shuffle-wasm.ts (the WAT source is built there); do not edit. The
 * WebAssembly SIMD byte-shuffle kernels of util/byte-shuffle.ts, ${buffer.length} bytes.
 */
export const SHUFFLE_WASM_PAGES = ${PAGES};

export const SHUFFLE_WASM_BASE64 =
${lines.map((l, i) => `  "${l}"${i < lines.length - 1 ? " +" : ";"}`).join("\n")}
`;
}

const text = await generated();
if (process.argv.includes("--check")) {
  const current = readFileSync(OUT, "utf8");
  if (current !== text) {
    process.stderr.write(`${OUT} is out of date: run npx tsx scripts/shuffle-wasm.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(OUT, text);
  process.stdout.write(`wrote ${OUT}\n`);
}
