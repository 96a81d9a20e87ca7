/** WatchedPrefix never applies an older value over a newer one (issue 13, point 6): out-of-order writes injected. */
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
