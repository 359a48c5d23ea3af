/**
 * Typed errors. Every error a user can cause is one of these, so the CLI can print one clear line
 * (message + hint) and library callers can branch on the class.
 */
export class ZarrifyError extends Error {
  /** What the user can do about it; printed by the CLI after the message. */
  readonly hint?: string;
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** A conversion step failed for a reason that is not the input's or the config's fault. */
export class ConversionError extends ZarrifyError {}

/** Invalid configuration: bad flag value, malformed string, invalid config file. */
export class ConfigError extends ZarrifyError {}

/** Unreadable, corrupt, truncated or unsupported input (file or variable). */
export class InputError extends ZarrifyError {
  readonly path?: string;
  constructor(message: string, options?: { cause?: unknown; hint?: string; path?: string }) {
    super(message, options);
    this.path = options?.path;
  }
}

/** Region-writing errors: times outside/off the grid, mismatched variables or grids. */
export class RegionError extends ZarrifyError {}

/** A region still has missing data after the configured number of rewrites. */
export class RetryLimitExceededError extends ZarrifyError {}
