/** Issue 27: the gateway's kept replies of the event page and the listing (TTL, shared calls, invalidation, bound). */
import { ReplyCache } from './reply-cache.js';

const clock = () => {
  const c = { t: 0, now: () => c.t };
  return c;
};

describe('ReplyCache', () => {
  it('answers from the kept reply until ttl, then calls again; the age counts from the call', async () => {
    const c = clock();
    const cache = new ReplyCache(200, 100, c.now);
    let calls = 0;
    const produce = async () => {
      calls++;
      c.t += 50; // the call takes 50 ms
      return { n: calls };
    };
    const first = await cache.get('k', produce);
    expect(JSON.parse(first.body.toString())).toEqual({ n: 1 });
    expect(first.etag).toMatch(/^W\/".+"$/);
    c.t = 199;
    expect(await cache.get('k', produce)).toBe(first);
    c.t = 200;
    expect(JSON.parse((await cache.get('k', produce)).body.toString())).toEqual({ n: 2 });
    expect(calls).toBe(2);
  });

  it('concurrent misses share one call; an error is answered to each and not kept', async () => {
    const cache = new ReplyCache(200);
    let calls = 0;
    let fail = true;
    const produce = () => {
      calls++;
      return new Promise<{ stale?: string }>((resolve, reject) =>
        setTimeout(() => (fail ? reject(new Error('no catalog')) : resolve({ stale: 'x' })), 5),
      );
    };
    const failed = await Promise.allSettled([cache.get('k', produce), cache.get('k', produce), cache.get('k', produce)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(calls).toBe(1);
    fail = false;
    const ok = await Promise.all([cache.get('k', produce), cache.get('k', produce)]);
    expect(calls).toBe(2);
    expect(ok[0]).toBe(ok[1]);
    expect(ok[0]!.stale).toBe('x');
  });

  it('clear() drops kept replies, and a call in flight across it is answered but not kept', async () => {
    const cache = new ReplyCache(1000);
    let calls = 0;
    let release: () => void = () => undefined;
    const slow = () => {
      calls++;
      return new Promise<{ v: number }>((resolve) => (release = () => resolve({ v: calls })));
    };
    const inFlight = cache.get('k', slow);
    cache.clear();
    release();
    await inFlight;
    expect(cache.size).toBe(0);
    await cache.get('k', async () => ({ v: 9 }));
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('ttl 0 keeps nothing; many keys stay within the bound', async () => {
    const none = new ReplyCache(0);
    await none.get('k', async () => ({}));
    expect(none.size).toBe(0);
    const bounded = new ReplyCache(1000, 10);
    for (let i = 0; i < 50; i++) await bounded.get(`k${i}`, async () => ({ i }));
    expect(bounded.size).toBe(10);
  });
});
