// Guards the key-history walk (admin key revision history, issue 26.3: every service walks its
// own keys): newest first, paged by revision, stopped by creation or compaction, secrets refused,
// mod time taken from the value, and a service serving its own keys only. The etcd behaviour
// itself is covered by services/gateway/test/admin.e2e-spec.ts; here a fake MVCC history of one key.
import { assertOwnKey, historyEntryOf, walkKeyHistory, type KeyAt } from './key-history.js';

const KEY = 'event:01JD6Z8Q1V6N4X2K7T3R5M9B0C';

/** One key written at the given revisions (version 1 at the first); the store is at `head`. */
function fakeRepo(writes: number[], head: number, compactedBelow = 0) {
  const reads: (number | undefined)[] = [];
  const repo = {
    async keyAt(key: string, revision?: number): Promise<KeyAt> {
      reads.push(revision);
      const at = revision ?? head;
      if (at > head) return { state: 'future' };
      if (at < compactedBelow) return { state: 'compacted' };
      const i = writes.filter((w) => w <= at).length - 1;
      if (key !== KEY || i < 0) return { state: 'absent', headerRevision: head };
      const modRevision = writes[i]!;
      const value = JSON.stringify({ v: i + 1, updatedAt: `2026-01-0${i + 1}T00:00:00.000Z` });
      return { state: 'present', headerRevision: head, kv: { modRevision, createRevision: writes[0]!, version: i + 1, value } };
    },
  };
  const keyHistory = (key: string, limit: number, revision?: number) =>
    walkKeyHistory((k, r) => repo.keyAt(k, r), { key, limit, ...(revision === undefined ? {} : { revision }) });
  return { service: { keyHistory }, reads };
}

describe('walkKeyHistory', () => {
  it('walks back newest first until the creation, without reading before it', async () => {
    const { service, reads } = fakeRepo([5, 9, 14], 20);
    const h = await service.keyHistory(KEY, 20);
    expect(h.items.map((i) => [i.revision, i.version, i.createRevision])).toEqual([
      [14, 3, 5],
      [9, 2, 5],
      [5, 1, 5],
    ]);
    expect(h).toMatchObject({ kind: 'event', readAt: 20, compacted: false, nextRevision: null });
    expect(reads).toEqual([undefined, 13, 8]);
  });

  it('pages with limit and nextRevision', async () => {
    const { service } = fakeRepo([5, 9, 14], 20);
    const a = await service.keyHistory(KEY, 2);
    expect(a.items.map((i) => i.version)).toEqual([3, 2]);
    expect(a.nextRevision).toBe(8);
    const b = await service.keyHistory(KEY, 2, a.nextRevision!);
    expect(b.items.map((i) => i.version)).toEqual([1]);
    expect(b.nextRevision).toBeNull();
  });

  it('stops at a compacted revision and says so', async () => {
    const { service } = fakeRepo([5, 9, 14], 20, 10);
    const h = await service.keyHistory(KEY, 20);
    expect(h.items.map((i) => i.version)).toEqual([3, 2]);
    expect(h.compacted).toBe(true);
    expect(h.nextRevision).toBeNull();
  });

  it('404 for a key absent now or at the revision, 400 for a future revision or a bad key, 403 for user: and session: keys', async () => {
    const { service } = fakeRepo([5], 20);
    await expect(service.keyHistory('event:01JD6Z8Q1V6N4X2K7T3R5M9B0D', 20)).rejects.toMatchObject({ error: { code: 'NOT_FOUND' } });
    await expect(service.keyHistory(KEY, 20, 4)).rejects.toMatchObject({ error: { code: 'NOT_FOUND' } });
    await expect(service.keyHistory(KEY, 20, 21)).rejects.toMatchObject({ error: { code: 'BAD_REQUEST', fields: [{ path: 'revision' }] } });
    await expect(service.keyHistory('bogus:1', 20)).rejects.toMatchObject({ error: { code: 'BAD_REQUEST', fields: [{ path: 'key' }] } });
    await expect(service.keyHistory('user:ana', 20)).rejects.toMatchObject({ error: { code: 'FORBIDDEN' } });
    await expect(service.keyHistory(`session:${'0'.repeat(64)}`, 20)).rejects.toMatchObject({ error: { code: 'FORBIDDEN' } });
  });
});

describe('assertOwnKey (issue 26.3: a service serves the history of its own keys only)', () => {
  it('passes keys under its write grants, refuses the rest with FORBIDDEN', () => {
    expect(() => assertOwnKey('orders', 'stats:01JD6Z8Q1V6N4X2K7T3R5M9B0C')).not.toThrow();
    expect(() => assertOwnKey('orders', 'svc:orders:i-1')).not.toThrow();
    // Read, not owned: sale: is inventory's.
    expect(() => assertOwnKey('orders', `sale:${'01JD6Z8Q1V6N4X2K7T3R5M9B0C'}:01JD6Z8Q1V6N4X2K7T3R5M9B0D`)).toThrow(
      expect.objectContaining({ error: expect.objectContaining({ code: 'FORBIDDEN' }) }),
    );
    expect(() => assertOwnKey('orders', 'svc:catalog:i-1')).toThrow(/orders serves the history of its own keys only/);
    expect(() => assertOwnKey('catalog', KEY)).not.toThrow();
  });
});

describe('historyEntryOf', () => {
  const kv = (value: string) => ({ modRevision: 7, createRevision: 3, version: 2, value });

  it('parses JSON values and takes the mod time from updatedAt, then at, createdAt, startedAt', () => {
    expect(historyEntryOf(kv('{"createdAt":"c","updatedAt":"u"}')).modTime).toBe('u');
    expect(historyEntryOf(kv('{"createdAt":"c","at":"a"}')).modTime).toBe('a');
    expect(historyEntryOf(kv('{"startedAt":"s"}')).modTime).toBe('s');
    expect(historyEntryOf(kv('{"revenue":1}'))).toEqual({ revision: 7, version: 2, createRevision: 3, value: { revenue: 1 } });
  });

  it('keeps a non-JSON value as the string and marks soft-deleted records', () => {
    expect(historyEntryOf(kv('plain text')).value).toBe('plain text');
    expect(historyEntryOf(kv('42')).value).toBe(42);
    expect(historyEntryOf(kv('{"deletedAt":"2026-01-01T00:00:00.000Z"}')).deleted).toBe(true);
    expect(historyEntryOf(kv('{"deletedAt":null}')).deleted).toBeUndefined();
  });
});
