/**
 * Typed errors. Every error a user can cause is one of these, so the CLI can print one clear line
 * (message + hint) and library callers can branch on the class.
 */
import { type Audience, Hint, hintAudience } from "./hint.js";

export class ZarrifyError extends Error {
  /** The hint as given: options and verbs in it are rendered for the reader (src/hint.ts). */
  readonly hintText?: Hint;
  constructor(message: string, options?: { cause?: unknown; hint?: string | Hint }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    const h = options?.hint;
    this.hintText = h === undefined || h instanceof Hint ? h : new Hint([h]);
  }

  /**
   * What the user can do about it, naming options as this process's caller spells them: library
   * options (`dropVariables: ["obs"]`), or flags (`--drop-variables obs`) in the CLI.
   */
  get hint(): string | undefined {
    return this.hintFor(hintAudience());
  }

  hintFor(audience: Audience): string | undefined {
    return this.hintText?.render(audience);
  }
}

/** A conversion step failed for a reason that is not the input's or the config's fault. */
export class ConversionError extends ZarrifyError {}

/** Invalid configuration: bad flag value, malformed string, invalid config file. */
export class ConfigError extends ZarrifyError {}

/** Unreadable, corrupt, truncated or unsupported input (file or variable). */
export class InputError extends ZarrifyError {
  readonly path?: string;
  constructor(message: string, options?: { cause?: unknown; hint?: string | Hint; path?: string }) {
    super(message, options);
    this.path = options?.path;
  }
}

/** Region-writing errors: times outside/off the grid, mismatched variables or grids. */
export class RegionError extends ZarrifyError {}

/** A region still has missing data after the configured number of rewrites. */
export class RetryLimitExceededError extends ZarrifyError {}

/**
 * An archive's store cannot be reached or refused a request for a reason outside zarrify: an
 * object store's bucket does not exist, credentials are missing or rejected, the endpoint does
 * not answer. The message names the store's URL; the hint says what to check.
 */
export class StoreError extends ZarrifyError {
  readonly url?: string;
  constructor(message: string, options?: { cause?: unknown; hint?: string | Hint; url?: string }) {
    super(message, options);
    this.url = options?.url;
  }
}
