/**
 * The one compare-and-retry loop. Every read-decide-write on etcd in this project has the same
 * shape: read with revisions, decide, write in a Txn guarded by those revisions; a failed guard
 * means another writer committed first, so read again and decide again. Two writers that lose to
 * each other in lockstep keep losing, so the retries back off with full jitter.
 */

/** Returned by an attempt whose guarded write lost the race: read again and decide again. */
export const CONFLICT: unique symbol = Symbol('etcd compare failed');
export type Conflict = typeof CONFLICT;

export interface CasOptions {
  /** Attempts before giving up (a contended key that never settles). */
  attempts: number;
  /** What is being changed, for the error when the attempts run out. */
  what: string;
  /** The error to throw when the attempts run out (default: a plain Error naming `what`). */
  onExhausted?: (what: string, attempts: number) => Error;
  /** First back-off ceiling in ms (doubled each retry, up to `maxDelayMs`); 0 retries at once. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class ContendedError extends Error {
  override readonly name = 'ContendedError';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The delay before retry `attempt` (1-based): uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  if (baseDelayMs <= 0) return 0;
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `attempt` until it returns something other than CONFLICT, at most `opts.attempts` times.
 * Errors thrown by an attempt (bad input, etcd unavailable) end the loop at once: only a lost
 * compare is retried here.
 */
export async function retryOnConflict<T>(opts: CasOptions, attempt: (n: number) => Promise<T | Conflict>): Promise<T> {
  const base = opts.baseDelayMs ?? 2;
  const max = opts.maxDelayMs ?? 100;
  for (let n = 1; n <= opts.attempts; n++) {
    const result = await attempt(n);
    if (result !== CONFLICT) return result as T;
    if (n < opts.attempts) await sleep(backoffDelay(n, base, max));
  }
  throw opts.onExhausted?.(opts.what, opts.attempts) ?? new ContendedError(`${opts.what}: still contended after ${opts.attempts} attempts`);
}
