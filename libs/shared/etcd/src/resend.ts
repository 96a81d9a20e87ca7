/**
 * Riding through etcd leader elections. A write whose compares fail if it already applied
 * (Create==0 on a key it creates, Mod on a key it changes), or that is idempotent, may be sent
 * again after any availability error, ambiguous or not: if the first send committed, the second
 * finds out from its compares. So instead of answering 503 while a new leader is elected (1-2 s),
 * such a write is resent after a short jittered pause until the caller's deadline.
 */
import { EtcdUnavailableError } from './errors.js';

/** Less time than this left: answer now rather than start a call that cannot finish. */
export const MIN_ATTEMPT_MS = 100;

/** The pause before resend n+1 after n failures (0-based): 50 ms doubling to 400 ms, jittered ±50%. */
export function resendPause(failures: number, random: () => number = Math.random): number {
  return Math.min(400, 50 * 2 ** Math.min(failures, 10)) * (0.5 + random());
}

export interface ResendOptions {
  /** When the caller stops waiting (epoch ms): no send starts that could not finish by then. */
  deadlineAt: number;
  /** Deadline of one send, shorter than the whole, so a call lost with a dead leader leaves time for another. */
  attemptMs: number;
  /**
   * Why resending is pointless (etcd's quorum known lost, issue 25.1), or null: checked after
   * each failed send, so the caller hears at once instead of at its deadline.
   */
  stopIf?: () => string | null;
}

/**
 * Sends `send` (which must be safe to resend, see above, and throw EtcdUnavailableError for
 * availability failures, as `toStoreError` makes them) until it answers, resending after
 * availability errors while the deadline allows; then the last error is thrown.
 */
export async function resendGuarded<T>(opts: ResendOptions, send: (callDeadline: Date) => Promise<T>): Promise<T> {
  for (let failures = 0; ; failures++) {
    const left = Math.max(MIN_ATTEMPT_MS, opts.deadlineAt - Date.now());
    try {
      return await send(new Date(Date.now() + Math.min(opts.attemptMs, left)));
    } catch (e) {
      if (!(e instanceof EtcdUnavailableError)) throw e;
      const stop = opts.stopIf?.();
      if (stop) throw new EtcdUnavailableError(`${stop} (${e.message})`, e.ambiguous, e);
      const pause = resendPause(failures);
      if (Date.now() + pause + MIN_ATTEMPT_MS > opts.deadlineAt) throw e;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
