/** Unit tests of the etcd helpers: no I/O. */
import { GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';
import { memberCircuitBreaker, neverSentRetryPolicy } from './client.js';
import { EtcdUnavailableError, isNeverSentError, toStoreError } from './errors.js';
import { prefixEnd } from './paging.js';
import { chunk, MAX_TXN_OPS } from './txn.js';

describe('chunk', () => {
  it('splits into Txns of at most 128 ops', () => {
    const ops = Array.from({ length: 300 }, (_, i) => i);
    const parts = chunk(ops);
    expect(parts.map((p) => p.length)).toEqual([128, 128, 44]);
    expect(parts.flat()).toEqual(ops);
    expect(MAX_TXN_OPS).toBe(128);
    expect(chunk([])).toEqual([]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});

describe('prefixEnd', () => {
  it('is the first key after the prefix range', () => {
    expect(prefixEnd('svc:').toString()).toBe('svc;');
    expect(Buffer.compare(prefixEnd('a\xff'), Buffer.from('a\xff'))).toBe(1);
  });
});

describe('retry guard (etcd3 would otherwise re-send a committed Txn)', () => {
  const refused = () =>
    new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379');
  const dropped = () => new GRPCUnavailableError('14 UNAVAILABLE: Connection dropped');
  const deadline = () => new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded');
  // A channel still reconnecting to a restarted member when the deadline passed (seen in CI).
  const unpicked = () => new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded after 5.002s,Waiting for LB pick');

  it('classifies only provably unsent failures as retryable', () => {
    expect(isNeverSentError(refused())).toBe(true);
    expect(isNeverSentError(unpicked())).toBe(true);
    expect(isNeverSentError(dropped())).toBe(false);
    expect(isNeverSentError(deadline())).toBe(false);
  });

  it.each([
    ['after a refused connection', refused, 3],
    ['after a deadline spent waiting for a connection', unpicked, 3],
    ['after a deadline (may have committed)', deadline, 1],
    ['after a dropped connection (may have committed)', dropped, 1],
  ])('the client policy sends %s this many times in all', async (_label, make, expectedCalls) => {
    let calls = 0;
    await expect(
      neverSentRetryPolicy(3).execute(async () => {
        calls++;
        throw make();
      }),
    ).rejects.toBeDefined();
    expect(calls).toBe(expectedCalls);
  });

  it('wraps availability failures, flagging the ambiguous ones', () => {
    const a = toStoreError(deadline(), 'purchase') as EtcdUnavailableError;
    expect(a).toBeInstanceOf(EtcdUnavailableError);
    expect(a.ambiguous).toBe(true);
    expect(a.message).toMatch(/etcd unavailable during purchase/);
    expect((toStoreError(refused(), 'x') as EtcdUnavailableError).ambiguous).toBe(false);
    const other = new Error('compare failed');
    expect(toStoreError(other, 'x')).toBe(other);
  });
});

describe('per-member circuit breaker (issue 13 point 8: ride through leader elections)', () => {
  const refused = () =>
    new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379');
  const deadline = () => new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded');
  const failWith = (e: () => Error) => () => Promise.reject(e());

  it('stays closed through deadlines (an election makes every member miss them)', async () => {
    const breaker = memberCircuitBreaker();
    for (let i = 0; i < 10; i++) await expect(breaker.execute(failWith(deadline))).rejects.toBeInstanceOf(GRPCDeadlineExceededError);
    await expect(breaker.execute(() => Promise.resolve('answered'))).resolves.toBe('answered');
  });

  it('opens after three refused connections in a row (that member is down)', async () => {
    const breaker = memberCircuitBreaker();
    for (let i = 0; i < 3; i++) await expect(breaker.execute(failWith(refused))).rejects.toBeInstanceOf(GRPCUnavailableError);
    const open = await breaker.execute(() => Promise.resolve('sent')).catch((e: unknown) => e);
    expect(isNeverSentError(open)).toBe(true);
  });

  it('a call re-sent from inside its own half-open test does not wait for itself (etcd3 re-sends on an unknown auth token)', async () => {
    const breaker = memberCircuitBreaker(20);
    for (let i = 0; i < 3; i++) await expect(breaker.execute(failWith(refused))).rejects.toBeInstanceOf(GRPCUnavailableError);
    await new Promise((r) => setTimeout(r, 40)); // the breaker's own half-open delay is the condition here
    // The half-open test re-sends through the same breaker, as etcd3's exec does. Before the fix
    // the inner call awaited the test (itself) and never settled.
    const nested = breaker.execute(async () => {
      await new Promise((r) => setImmediate(r)); // etcd3 re-sends once the first answer came back
      return breaker.execute(() => 'resent');
    });
    const timeout = new Promise((r) => setTimeout(() => r('hung'), 1000).unref());
    await expect(Promise.race([nested, timeout])).resolves.toBe('resent');
    await expect(breaker.execute(() => 'later')).resolves.toBe('later');
  });
});
