/** The `zarrify` command line. Commands are thin: flags → config → an op from src/ops. */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { interruptInProgress } from "../cleanup.js";
import { InputError } from "../errors.js";
import { isUtf8, legibleName } from "../util/file-name.js";
import { version } from "../version.js";
import { analyzeCommand } from "./commands/analyze.js";
import { appendCommand } from "./commands/append.js";
import { convertCommand } from "./commands/convert.js";
import { createTemplateCommand } from "./commands/create-template.js";
import { queueCommand } from "./commands/queue.js";
import { runCommand } from "./commands/run.js";
import { validateCommand } from "./commands/validate.js";
import { writeRegionCommand } from "./commands/write-region.js";
import { processContext } from "./context.js";
import { EXIT, exitCodeFor, formatError } from "./report-error.js";

export function buildProgram(ctx = processContext()): Command {
  const program = new Command("zarrify")
    .description("Convert NetCDF files into analysis-ready Zarr archives")
    .version(version(), "--version", "print the version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  program.addCommand(convertCommand(ctx));
  program.addCommand(createTemplateCommand(ctx));
  program.addCommand(writeRegionCommand(ctx));
  program.addCommand(runCommand(ctx));
  program.addCommand(appendCommand(ctx));
  program.addCommand(validateCommand(ctx));
  program.addCommand(queueCommand(ctx));
  program.addCommand(analyzeCommand(ctx));
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const ctx = processContext();
  // Verbosity must be known even when parsing fails part way (for the stack-trace decision).
  const verbosity = argv.reduce(
    (n, a) => n + (a === "--verbose" ? 1 : /^-v+$/.test(a) ? a.length - 1 : 0),
    0,
  );
  try {
    refuseUndecodableArgs(argv);
    await buildProgram(ctx).parseAsync(argv, { from: "node" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its one-line message (or the help/version text).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // The interrupt handler exits with the signal's code once its cleanups finish; until then
    // this process must neither print the stopped verb's failure nor exit with another code.
    if (interruptInProgress()) return new Promise<never>(() => setInterval(() => {}, 60_000));
    process.stderr.write(`${formatError(err, verbosity)}\n`);
    return exitCodeFor(err);
  }
}

/**
 * Node has already decoded argv as UTF-8, so an argument with bytes that are not (a Latin-1 file
 * name) arrives with U+FFFD in their place and names no file: opening it would fail as "no such
 * file". Refuse it up front, shown with its real bytes (from /proc/self/cmdline, where there is
 * one) so the user sees which name it is.
 */
function refuseUndecodableArgs(argv: string[]): void {
  const args = argv.slice(2);
  if (!args.some((a) => a.includes("\uFFFD"))) return;
  let raw: Buffer[] = [];
  try {
    const parts = splitNul(readFileSync("/proc/self/cmdline"));
    // cmdline holds node's own options too; the script's arguments are its last entries.
    raw = parts.length >= args.length ? parts.slice(parts.length - args.length) : [];
  } catch {
    // no /proc: the decoded text is all there is to show
  }
  args.forEach((arg, i) => {
    if (!arg.includes("\uFFFD")) return;
    const bytes = raw[i];
    if (bytes !== undefined && isUtf8(bytes)) return; // a real U+FFFD, typed as such
    const shown = bytes === undefined ? arg : legibleName(bytes);
    throw new InputError(`${shown}: the name is not valid UTF-8, so zarrify cannot open it`, {
      path: shown,
      hint: "rename it to a UTF-8 name, e.g. with convmv -f latin1 -t utf-8",
    });
  });
}

function splitNul(buf: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      parts.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < buf.length) parts.push(buf.subarray(start));
  return parts;
}
