// Guards the on-sale's front door: a flood gets 429 with a Retry-After, a normal pace never does.
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst of `count`, then refuses with the wait until the next token', () => {
    let t = 0;
    const rl = new RateLimiter(() => t);
    const rule = { count: 3, seconds: 60 };
    expect([rl.take('a', rule), rl.take('a', rule), rl.take('a', rule)]).toEqual([0, 0, 0]);
    expect(rl.take('a', rule)).toBe(20); // one token per 20 s
    t += 20_000;
    expect(rl.take('a', rule)).toBe(0);
    expect(rl.take('a', rule)).toBe(20);
  });

  it('keeps keys apart', () => {
    const rl = new RateLimiter(() => 0);
    const rule = { count: 1, seconds: 10 };
    expect(rl.take('ip:1', rule)).toBe(0);
    expect(rl.take('ip:2', rule)).toBe(0);
    expect(rl.take('ip:1', rule)).toBe(10);
  });
});
