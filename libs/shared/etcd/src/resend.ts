/**
 * Riding through etcd leader elections. A write whose compares fail if it already applied
 * (Create==0 on a key it creates, Mod on a key it changes), or that is idempotent, may be sent
 * again after any availability error, ambiguous or not: if the first send committed, the second
 * finds out from its compares. So instead of answering 503 while a new leader is elected (1-2 s),
 * such a write is resent after a short jittered pause until the caller's deadline (the inventory
 * engine's loop does this for its sale Txns).
 */

/** Less time than this left: answer now rather than start a call that cannot finish. */
export const MIN_ATTEMPT_MS = 100;

/** The pause before resend n+1 after n failures (0-based): 50 ms doubling to 400 ms, jittered ±50%. */
export function resendPause(failures: number, random: () => number = Math.random): number {
  return Math.min(400, 50 * 2 ** Math.min(failures, 10)) * (0.5 + random());
}
