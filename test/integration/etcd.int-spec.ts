/**
 * The etcd lib against the real five-member cluster: guarded creates (invariant 3's building
 * block), chunked Txns within etcd's 128-op limit, paging, namespaces, quorum probe.
 */
import {
  checkQuorum,
  clusterStatus,
  createManyOnce,
  createOnce,
  listPrefix,
  MAX_TXN_OPS,
  scanPrefix,
  WatchedPrefix,
  writeInChunks,
  type WriteOp,
} from '@ticketcd/etcd';
import { testEtcd, waitFor, type TestEtcd } from '@ticketcd/testing';

let t: TestEtcd;
beforeEach(() => {
  t = testEtcd({ label: 'etcd-lib' });
});
afterEach(() => t.cleanup());

describe('etcd lib on the real cluster', () => {
  it('createOnce writes a key once; a replay reports the stored value and changes nothing', async () => {
    const first = await createOnce(t.conn.kv, 'sale:x', '{"n":1}');
    expect(first).toMatchObject({ created: true, existing: null });
    const replays = await Promise.all(Array.from({ length: 20 }, () => createOnce(t.conn.kv, 'sale:x', '{"n":2}')));
    expect(replays.every((r) => !r.created && r.existing === '{"n":1}')).toBe(true);
    const stored = await t.conn.kv.get('sale:x').exec();
    expect(stored.kvs[0]!.version).toBe('1');
  });

  it('createManyOnce creates the missing keys, reports the stored ones, and racing callers agree on one value per key (issue 13.1)', async () => {
    await createOnce(t.conn.kv, 'order:b', 'old-b');
    const res = await createManyOnce(t.conn.kv, [
      { key: 'order:a', value: 'a1' },
      { key: 'order:b', value: 'b1' },
      { key: 'order:a', value: 'a2' },
      { key: 'order:c', value: 'c1' },
    ]);
    expect(Object.fromEntries(res)).toEqual({
      'order:a': { created: true, value: 'a1' },
      'order:b': { created: false, value: 'old-b' },
      'order:c': { created: true, value: 'c1' },
    });
    // 20 callers, overlapping keys, different values: each key is created once and all agree on it.
    const keys = Array.from({ length: 30 }, (_, i) => `race:${i}`);
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        createManyOnce(
          t.conn.kv,
          keys.filter((_, i) => (i + n) % 3 !== 0).map((key) => ({ key, value: `${key}@${n}` })),
        ),
      ),
    );
    for (const key of keys) {
      const seen = runs.flatMap((r) => (r.has(key) ? [r.get(key)!] : []));
      expect(seen.filter((s) => s.created)).toHaveLength(1);
      expect(new Set(seen.map((s) => s.value)).size).toBe(1);
      const kv = (await t.conn.kv.get(key).exec()).kvs[0]!;
      expect({ version: kv.version, value: kv.value.toString() }).toEqual({ version: '1', value: seen[0]!.value });
    }
  });

  it('writes 300 ops in Txns of at most 128 and etcd refuses a bigger Txn', async () => {
    const ops: WriteOp[] = Array.from({ length: 300 }, (_, i) => ({
      type: 'put',
      key: `p:${String(i).padStart(3, '0')}`,
      value: String(i),
    }));
    expect(await writeInChunks(t.conn.kv, ops)).toBe(300);
    expect(await t.conn.kv.getAll().prefix('p:').count()).toBe(300);
    await writeInChunks(
      t.conn.kv,
      ops.slice(0, 150).map((o) => ({ type: 'delete', key: o.key })),
    );
    expect(await t.conn.kv.getAll().prefix('p:').count()).toBe(150);
    await expect(writeInChunks(t.conn.kv, ops, MAX_TXN_OPS + 1)).rejects.toThrow(/too many operations in txn request/);
  });

  it('lists a prefix in pages and scans it at one revision', async () => {
    await writeInChunks(
      t.conn.kv,
      Array.from({ length: 25 }, (_, i) => ({ type: 'put' as const, key: `item:${String(i).padStart(2, '0')}`, value: `v${i}` })),
    );
    await t.conn.kv.put('itemz').value('not in the prefix').exec();
    const first = await listPrefix(t.conn.kv, 'item:', { limit: 10 });
    expect(first.items.map((i) => i.key)).toEqual(Array.from({ length: 10 }, (_, i) => `item:${String(i).padStart(2, '0')}`));
    expect(first.next).toBe('item:09');
    const second = await listPrefix(t.conn.kv, 'item:', { limit: 10, after: first.next });
    expect(second.items[0]!.key).toBe('item:10');
    const last = await listPrefix(t.conn.kv, 'item:', { limit: 10, after: 'item:19' });
    expect(last.items).toHaveLength(5);
    expect(last.next).toBeNull();
    await expect(listPrefix(t.conn.kv, 'item:', { after: 'other:1' })).rejects.toThrow(/does not belong to prefix/);

    // A scan started before a write does not see it: all pages are read at the first revision.
    const seen: string[] = [];
    for await (const kv of scanPrefix(t.conn.kv, 'item:', 7)) {
      if (seen.length === 0) await t.conn.kv.put('item:99').value('late').exec();
      seen.push(kv.key);
    }
    expect(seen).toHaveLength(25);
  });

  it("halves a page that would exceed gRPC's 4 MiB reply limit instead of failing", async () => {
    const big = 'x'.repeat(600 * 1024);
    for (let i = 0; i < 12; i++)
      await t.conn.kv
        .put(`big:${String(i).padStart(2, '0')}`)
        .value(big)
        .exec();
    const first = await listPrefix(t.conn.kv, 'big:', { limit: 100 });
    expect(first.items.length).toBeGreaterThan(0);
    expect(first.items.length).toBeLessThan(12);
    expect(first.next).toBe(first.items[first.items.length - 1]!.key);
    const keys: string[] = [];
    for await (const kv of scanPrefix(t.conn.kv, 'big:', 100)) keys.push(kv.key);
    expect(keys).toEqual(Array.from({ length: 12 }, (_, i) => `big:${String(i).padStart(2, '0')}`));
  });

  it('WatchedPrefix loads a prefix at one revision and follows its puts and deletes', async () => {
    await writeInChunks(
      t.conn.kv,
      ['w:a', 'w:b', 'x:c'].map((key) => ({ type: 'put' as const, key, value: `${key}=1` })),
    );
    const cache = new WatchedPrefix(t.conn, { prefix: 'w:', idOf: (k) => k.slice(2), decode: (v) => v.toUpperCase() });
    await cache.start();
    try {
      expect(cache.ready).toBe(true);
      expect(cache.all().sort()).toEqual([
        ['a', 'W:A=1'],
        ['b', 'W:B=1'],
      ]);
      await t.conn.kv.put('w:a').value('w:a=2').exec();
      await t.conn.kv.delete().key('w:b').exec();
      await t.conn.kv.put('w:d').value('w:d=1').exec();
      await waitFor(() => cache.get('a') === 'W:A=2' && cache.get('b') === undefined && cache.get('d') === 'W:D=1', {
        what: 'the cache to follow the watch',
      });
      expect(cache.size).toBe(2);
    } finally {
      await cache.stop();
    }
  });

  it('scans the whole (namespaced) keyspace with an empty prefix', async () => {
    await writeInChunks(
      t.conn.kv,
      ['a:1', 'b:2', 'zz'].map((key) => ({ type: 'put' as const, key, value: key })),
    );
    const keys: string[] = [];
    for await (const kv of scanPrefix(t.conn.kv, '', 2)) keys.push(kv.key);
    expect(keys).toEqual(['a:1', 'b:2', 'zz']);
  });

  it('keeps namespaces apart', async () => {
    const other = testEtcd({ label: 'etcd-lib-other' });
    try {
      await t.conn.kv.put('user:ana').value('mine').exec();
      expect(await other.conn.kv.get('user:ana').string()).toBeNull();
    } finally {
      await other.cleanup();
    }
  });

  it('reports quorum and five members with one leader', async () => {
    const q = await checkQuorum(t.conn, 2000);
    expect(q.ok).toBe(true);
    const status = await clusterStatus(t.conn);
    expect(status.members).toHaveLength(5);
    expect(status.members.filter((m) => m.isLeader)).toHaveLength(1);
    expect(status.quorum).toBe(true);
  });
});
