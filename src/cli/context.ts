import { createLogger, type Logger, levelFromVerbosity } from "../log.js";

/** What commands need from the process, injectable so the CLI can be driven in-process by tests. */
export interface CliContext {
  logger(verbosity: number): Logger;
  /** A result line for the user (stdout). */
  out(line: string): void;
  /** The verbosity of the command being run, for error reporting. */
  verbosity: number;
  /** A non-zero exit code a command reports without an error (validate --require-complete). */
  exitCode: number;
}

export function processContext(): CliContext {
  const ctx: CliContext = {
    verbosity: 0,
    exitCode: 0,
    logger(verbosity) {
      ctx.verbosity = verbosity;
      return createLogger(levelFromVerbosity(verbosity));
    },
    out: (line) => process.stdout.write(`${line}\n`),
  };
  return ctx;
}
