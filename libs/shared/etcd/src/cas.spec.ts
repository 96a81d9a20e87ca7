/** Unit tests of the one compare-and-retry loop (issue 13 point 12): no I/O. */
import { backoffDelay, CONFLICT, ContendedError, retryOnConflict } from './cas.js';

describe('retryOnConflict', () => {
  it('re-runs an attempt whose compare failed, and returns the first real outcome', async () => {
    const seen: number[] = [];
    const out = await retryOnConflict({ attempts: 5, what: 'x', baseDelayMs: 0 }, async (n) => {
      seen.push(n);
      return n < 3 ? CONFLICT : `done at ${n}`;
    });
    expect(out).toBe('done at 3');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gives up after the attempts with the caller error, or a ContendedError naming what', async () => {
    const always = async () => CONFLICT;
    await expect(retryOnConflict({ attempts: 3, what: 'stats of e1', baseDelayMs: 0 }, always)).rejects.toThrow(ContendedError);
    await expect(retryOnConflict({ attempts: 3, what: 'stats of e1', baseDelayMs: 0 }, always)).rejects.toThrow(
      'stats of e1: still contended after 3 attempts',
    );
    await expect(
      retryOnConflict({ attempts: 2, what: 'y', baseDelayMs: 0, onExhausted: () => new RangeError('busy') }, always),
    ).rejects.toThrow(RangeError);
  });

  it('does not retry a thrown error (bad input, store down): only a lost compare', async () => {
    let calls = 0;
    const fail = async () => {
      calls++;
      throw new Error('boom');
    };
    await expect(retryOnConflict({ attempts: 5, what: 'z' }, fail)).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });

  it('backs off with full jitter, doubling up to the cap', () => {
    expect(backoffDelay(1, 0, 100)).toBe(0);
    expect(backoffDelay(1, 2, 100, () => 0.999)).toBe(1);
    expect(backoffDelay(4, 2, 100, () => 0.999)).toBe(15);
    expect(backoffDelay(30, 2, 100, () => 0.999)).toBe(99);
    expect(backoffDelay(30, 2, 100, () => 0)).toBe(0);
  });
});
