/** WatchedPrefix never applies an older value over a newer one (issue 13, point 6): out-of-order writes injected. */
import { EventEmitter } from 'node:events';
import type { EtcdConnection } from './client.js';
import { WatchedPrefix } from './watched-prefix.js';

const cache = () => {
  const applied: [string, number, string | null][] = [];
  const c = new WatchedPrefix<string>({} as EtcdConnection, {
    prefix: 'w:',
    idOf: (k) => k.slice(2),
    decode: (v) => v,
    onApply: (id, r, v) => applied.push([id, r, v]),
  });
  return { c, applied };
};

describe('WatchedPrefix revisions', () => {
  it('keeps the newest of out-of-order values', () => {
    const { c, applied } = cache();
    c.set('a', 'v7', 7);
    c.set('a', 'v5', 5);
    c.set('a', 'v7 again', 7);
    expect(c.get('a')).toBe('v7');
    expect(c.revisionOf('a')).toBe(7);
    c.set('a', 'v9', 9);
    expect(c.get('a')).toBe('v9');
    expect(applied).toEqual([
      ['a', 7, 'v7'],
      ['a', 9, 'v9'],
    ]);
  });

  it('a deletion keeps a tombstone: an older value cannot bring the entry back, a newer one can', () => {
    const { c } = cache();
    c.set('a', 'v3', 3);
    (c as unknown as { applyDelete(key: string, revision: number): void }).applyDelete('w:a', 6);
    c.set('a', 'v4', 4);
    expect(c.get('a')).toBeUndefined();
    expect(c.revisionOf('a')).toBe(6);
    c.set('a', 'v8', 8);
    expect(c.get('a')).toBe('v8');
  });
});

/**
 * Issue 27: readers serve stock from the copy only while it is fresh. A fake store (unit test):
 * a range read of `data`, a watcher that is an event emitter; `failReads` makes reloads fail.
 */
function fakeStore() {
  const data = new Map<string, string>();
  const state = { revision: 10, failReads: 0, watchers: [] as (EventEmitter & { cancel(): Promise<void> })[] };
  const exec = async () => {
    if (state.failReads > 0) {
      state.failReads--;
      throw new Error('etcd unavailable (fake)');
    }
    return {
      kvs: [...data].map(([k, v]) => ({
        key: Buffer.from(k),
        value: Buffer.from(v),
        create_revision: '1',
        mod_revision: String(state.revision),
        version: '1',
      })),
      more: false,
      header: { revision: String(state.revision) },
    };
  };
  const range = { inRange: () => range, limit: () => range, sort: () => range, revision: () => range, exec };
  const watch = {
    prefix: () => watch,
    startRevision: () => watch,
    create: async () => {
      const w = Object.assign(new EventEmitter(), { cancel: async () => undefined });
      state.watchers.push(w);
      return w;
    },
  };
  const etcd = { kv: { getAll: () => range, watch: () => watch }, namespace: '' } as unknown as EtcdConnection;
  return { etcd, data, state };
}

describe('WatchedPrefix freshness', () => {
  const waitUntil = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cond()).toBe(true);
  };

  it('is fresh once loaded and watching; not from a broken stream until the reload after the reconnect is done', async () => {
    const { etcd, data, state } = fakeStore();
    data.set('w:a', 'one');
    const c = new WatchedPrefix<string>(etcd, { prefix: 'w:', idOf: (k) => k.slice(2), decode: (v) => v });
    expect(c.fresh).toBe(false);
    await c.start();
    expect(c.fresh).toBe(true);
    expect(c.get('a')).toBe('one');
    const w = state.watchers[0]!;
    w.emit('disconnected');
    expect(c.fresh).toBe(false);
    data.set('w:a', 'two');
    state.revision = 20;
    w.emit('connected');
    // The resumed watch may have skipped events: fresh only after the reload read them.
    expect(c.fresh).toBe(false);
    await waitUntil(() => c.fresh);
    expect(c.get('a')).toBe('two');
    await c.stop();
    expect(c.fresh).toBe(false);
  });

  it('a watch error whose reload fails stays not fresh, and is retried until fresh (not left to the periodic reload)', async () => {
    const { etcd, data, state } = fakeStore();
    data.set('w:a', 'one');
    const errors: string[] = [];
    const c = new WatchedPrefix<string>(etcd, {
      prefix: 'w:',
      idOf: (k) => k.slice(2),
      decode: (v) => v,
      onError: (_e, what) => errors.push(what),
    });
    await c.start();
    state.failReads = 1;
    data.set('w:a', 'three');
    state.revision = 30;
    state.watchers[0]!.emit('error', new Error('watch broke'));
    expect(c.fresh).toBe(false);
    await waitUntil(() => errors.includes('reload after watch error'));
    expect(c.fresh).toBe(false);
    await waitUntil(() => c.fresh);
    expect(c.get('a')).toBe('three');
    await c.stop();
  });

  it('a replaced watcher going away does not make the copy unfresh', async () => {
    const { etcd, state } = fakeStore();
    const c = new WatchedPrefix<string>(etcd, { prefix: 'w:', idOf: (k) => k.slice(2), decode: (v) => v });
    await c.start();
    state.watchers[0]!.emit('connected');
    await waitUntil(() => state.watchers.length === 2 && c.fresh);
    state.watchers[0]!.emit('disconnected');
    expect(c.fresh).toBe(true);
    await c.stop();
  });
});
