/**
 * The fuzzer's CI smoke run: one minute of mutants of test/fixtures and, where it is checked out,
 * the real corpus (scripts/fuzz.ts), bounded by wall time. Any bug, hang or memory outcome fails
 * the test; its recipes are in the out dir printed below, to be replayed with test/fuzz/replay.ts.
 */
import { join } from "node:path";
import { expect, it } from "vitest";
import { fuzz, parseArgs } from "../../scripts/fuzz.js";
import { tempDir } from "../helpers/paths.js";

const SECONDS = Number(process.env.ZARRIFY_FUZZ_SECONDS ?? 60);

it(
  `${SECONDS} s of fuzzing both readers finds no crash, hang or runaway allocation`,
  async () => {
    const out = join(tempDir("zarrify-fuzz-smoke-"), "findings");
    // A fixed seed, so a failure here is reproduced by running the script with the same one.
    const args = parseArgs(["--seconds", String(SECONDS), "--seed", "13", "--out", out]);
    const lines: string[] = [];
    const summary = await fuzz(args, (line) => lines.push(line));
    const report = `${lines.join("\n")}\nfindings in ${out}`;
    expect(summary.cases, report).toBeGreaterThan(20);
    // Both readers were exercised, not just the one the corpus starts with.
    expect(
      summary.byReader.netcdf3.ok + summary.byReader.netcdf3["input-error"],
      report,
    ).toBeGreaterThan(5);
    expect(summary.byReader.hdf5.ok + summary.byReader.hdf5["input-error"], report).toBeGreaterThan(
      5,
    );
    expect(summary.findings, report).toEqual([]);
  },
  (SECONDS + 240) * 1000,
);
