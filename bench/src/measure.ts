/** Closed-loop load: `concurrency` workers each send the next order as soon as the last is answered. */
export interface RunResult<R> {
  orders: number;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  results: R[];
  /** Sends that threw (e.g. etcd timing out under overload). */
  errors: number;
}

export async function closedLoop<R>(opts: {
  concurrency: number;
  maxOrders: number;
  maxMs: number;
  send: (i: number) => Promise<R>;
}): Promise<RunResult<R>> {
  let issued = 0;
  const latencies: number[] = [];
  const results: R[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + opts.maxMs;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (issued < opts.maxOrders && performance.now() < deadline) {
        const i = issued++;
        const t0 = performance.now();
        try {
          results.push(await opts.send(i));
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    orders: results.length,
    elapsedMs,
    perSecond: (results.length / elapsedMs) * 1000,
    p50Ms: pct(50),
    p99Ms: pct(99),
    results,
    errors,
  };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The p-th percentile (nearest rank) of unsorted samples; 0 for none. */
export const percentile = (xs: readonly number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;
