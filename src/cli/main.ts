/** The `zarrify` command line. Commands are thin: flags → config → an op from src/ops. */
import { Command, CommanderError } from "commander";
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
    await buildProgram(ctx).parseAsync(argv, { from: "node" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its one-line message (or the help/version text).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`${formatError(err, verbosity)}\n`);
    return exitCodeFor(err);
  }
}
