/** A reader that stops early (`zarrify run --help | head -1`) ends zarrify quietly, exit 0. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { cliBin } from "../helpers/paths.js";

function firstLineThenClose(
  args: string[],
): Promise<{ line: string; code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cliBin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => {
    let line = "";
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (l) => {
      line = l;
      lines.close();
      child.stdout.destroy(); // as head does after its first line
    });
    child.on("close", (code) => resolve({ line, code, stderr }));
  });
}

/** `zarrify ... | true`: the reader is gone before zarrify writes anything (EPIPE every time). */
function readerGone(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cliBin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

describe("stdout closed by its reader", () => {
  for (const args of [["run", "--help"], ["--help"], ["convert", "--help"]]) {
    it(`${args.join(" ")} | true: exit 0, nothing on stderr`, async () => {
      const r = await readerGone(args);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }

  for (const verb of ["run", "convert", "analyze"]) {
    it(`${verb} --help | head -1: exit 0, no stack trace`, async () => {
      const r = await firstLineThenClose([verb, "--help"]);
      expect(r.line).toMatch(new RegExp(`^Usage: zarrify ${verb} `));
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }
});
