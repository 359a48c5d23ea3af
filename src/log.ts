/**
 * A small leveled logger on stderr. stdout is kept for results (reports, JSON) so that output can
 * be piped; everything a human watches goes to stderr.
 */

export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export interface Logger {
  level: LogLevel;
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
  enabled(level: LogLevel): boolean;
}

/** -v → info, -vv → debug, -vvv → trace; the default shows warnings and errors. */
export function levelFromVerbosity(verbosity: number): LogLevel {
  return (["warn", "info", "debug", "trace"] as const)[Math.max(0, Math.min(3, verbosity))];
}

export function createLogger(
  level: LogLevel = "warn",
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const logger: Logger = {
    level,
    enabled: (l) => ORDER[l] <= ORDER[logger.level],
    error: (m) => logger.enabled("error") && write(`error: ${m}`),
    warn: (m) => logger.enabled("warn") && write(`warning: ${m}`),
    info: (m) => logger.enabled("info") && write(`${timestamp()} ${m}`),
    debug: (m) => logger.enabled("debug") && write(`${timestamp()} debug: ${m}`),
    trace: (m) => logger.enabled("trace") && write(`${timestamp()} trace: ${m}`),
  } as Logger;
  return logger;
}

function timestamp(): string {
  return new Date().toISOString().slice(11, 23);
}

/**
 * What the library logs to when the caller passes no `logger`: warnings and errors on stderr, as
 * console.warn would (a packing range that clips data must not go unseen). Pass
 * `createLogger("error", () => {})` for silence, or your own Logger.
 */
export const libraryLogger: Logger = createLogger("warn");

/** The old name of libraryLogger (it was silent, which hid warnings from library users). */
export const silentLogger = libraryLogger;
