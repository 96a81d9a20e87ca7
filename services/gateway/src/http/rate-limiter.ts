/**
 * Token buckets per key, in this instance's memory: `count` requests per `seconds`, refilled
 * smoothly, so a burst up to `count` passes and a flood gets 429 with an honest Retry-After.
 * Limits are per instance (N gateway instances allow N times as much in all).
 */
export interface RateRule {
  count: number;
  seconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweeps = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one token for `key`: 0 if allowed, else the seconds until one is available. */
  take(key: string, rule: RateRule): number {
    const now = this.now();
    const perMs = rule.count / (rule.seconds * 1000);
    const b = this.buckets.get(key) ?? { tokens: rule.count, at: now };
    b.tokens = Math.min(rule.count, b.tokens + (now - b.at) * perMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.set(key, b);
      if (++this.sweeps % 10_000 === 0) this.sweep(now);
      return 0;
    }
    this.buckets.set(key, b);
    return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
  }

  /** Drops buckets idle long enough to be full again (bounded memory under many keys). */
  private sweep(now: number) {
    for (const [k, b] of this.buckets) if (now - b.at > 3_600_000) this.buckets.delete(k);
  }
}
