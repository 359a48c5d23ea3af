/**
 * The retry and concurrency policy every network client of zarrify shares (the S3 store, remote
 * inputs over S3 and http): exponential backoff with full jitter, and a counting semaphore that
 * bounds requests in flight.
 */

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Bound of the first retry's delay in ms; doubles per attempt up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, retryBaseMs: 50, retryMaxMs: 5000 };

/**
 * The delay before retry number `attempt` (1 = the first retry): uniform in [0, cap) with the cap
 * doubling from retryBaseMs. Full jitter, so clients that failed together do not retry together.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const cap = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** (attempt - 1));
  return Math.random() * cap;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
