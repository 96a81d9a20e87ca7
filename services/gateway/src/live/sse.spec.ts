// Guards the live streams' rules (issue point "Live stream (SSE)"): frames a browser parses,
// stock changes sent in revision order and never behind the snapshot, alerts sent once, and
// the Last-Event-ID replay finding exactly the missed alerts, oldest first, within its bound.
import { RevisionFilter, scanForReplay, SeenIds, sseComment, sseFrame, sseRetry, type AlertPage } from './sse.js';

describe('sseFrame', () => {
  it('writes event, id and one JSON data line, ended by a blank line', () => {
    expect(sseFrame({ event: 'stock', id: 42, data: { a: 'x\ny' } })).toBe('event: stock\nid: 42\ndata: {"a":"x\\ny"}\n\n');
    expect(sseFrame({ event: 'gap', data: null })).toBe('event: gap\ndata: null\n\n');
  });

  it('refuses an id a client would drop', () => {
    expect(() => sseFrame({ event: 'x', id: 'a\nb', data: 1 })).toThrow(/NUL, CR or LF/);
  });

  it('writes retry and comments', () => {
    expect(sseRetry(2000)).toBe('retry: 2000\n\n');
    expect(sseComment('keep\nalive')).toBe(': keep alive\n\n');
  });
});

describe('RevisionFilter', () => {
  it('drops what the snapshot covers, duplicates and stale changes, per ticket type', () => {
    const f = new RevisionFilter(10);
    expect(f.accept('vip', 10)).toBe(false); // in the snapshot
    expect(f.accept('vip', 12)).toBe(true);
    expect(f.accept('vip', 12)).toBe(false); // duplicate
    expect(f.accept('vip', 11)).toBe(false); // stale, arrived late
    expect(f.accept('general', 11)).toBe(true); // another type has its own order
    expect(f.accept('vip', 13)).toBe(true);
  });
});

describe('SeenIds', () => {
  it('says yes once per id and forgets the oldest beyond its capacity', () => {
    const s = new SeenIds(2);
    expect(s.add('a')).toBe(true);
    expect(s.add('a')).toBe(false);
    s.add('b');
    s.add('c');
    expect(s.has('a')).toBe(false);
    expect(s.has('b') && s.has('c')).toBe(true);
  });
});

describe('scanForReplay', () => {
  // Newest first, like Rpc.notifier.listAlerts: a9 ... a0.
  const all = Array.from({ length: 10 }, (_, i) => ({ alertId: `a${9 - i}` }));
  const pager = (pageSize: number) => {
    const calls: (string | undefined)[] = [];
    const fetch = async (cursor: string | undefined, limit: number): Promise<AlertPage<{ alertId: string }>> => {
      calls.push(cursor);
      const start = cursor ? Number(cursor) : 0;
      const n = Math.min(limit, pageSize);
      const items = all.slice(start, start + n);
      return { items, nextCursor: start + n < all.length ? String(start + n) : null };
    };
    return { fetch, calls };
  };

  it('returns the alerts newer than the id, oldest first, across pages', async () => {
    const p = pager(3);
    const r = await scanForReplay('a4', p.fetch, 200, 3);
    expect(r).toEqual({ found: true, items: ['a5', 'a6', 'a7', 'a8', 'a9'].map((alertId) => ({ alertId })) });
    expect(p.calls).toEqual([undefined, '3']);
  });

  it('returns nothing to replay when the id is the newest', async () => {
    expect(await scanForReplay('a9', pager(3).fetch)).toEqual({ found: true, items: [] });
  });

  it('reports an id beyond the bound as too old, having read at most bound + 1', async () => {
    const p = pager(100);
    expect(await scanForReplay('a0', p.fetch, 4)).toEqual({ found: false, scanned: 4, reason: 'too-old' });
    // exactly `bound` missed alerts still replay
    expect(await scanForReplay('a5', p.fetch, 4)).toEqual({ found: true, items: ['a6', 'a7', 'a8', 'a9'].map((alertId) => ({ alertId })) });
  });

  it('reports an id that is not in the list at all as unknown', async () => {
    expect(await scanForReplay('zz', pager(4).fetch)).toEqual({ found: false, scanned: 10, reason: 'unknown' });
  });
});
