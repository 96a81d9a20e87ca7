/** Issue 28 point 4: retention keeps the newest N snapshot objects and never the one just written away. */
import { normalizePrefix, parseSnapshotKey, selectForDeletion, snapshotKey } from './snapshot-backup.js';

const at = (iso: string) => new Date(iso);

describe('snapshot object names (issue 28: sortable by time, carrying the revision)', () => {
  it('sort by time and carry the revision', () => {
    const a = snapshotKey('prod', at('2026-12-07T09:00:00.000Z'), 99999);
    const b = snapshotKey('prod', at('2026-12-07T10:00:00.000Z'), 100);
    expect(a).toBe('prod/etcd-snapshot-20261207T090000000Z-rev99999.db');
    expect([b, a].sort()).toEqual([a, b]);
    expect(parseSnapshotKey('prod/', b)).toEqual({ stamp: '20261207T100000000Z', revision: 100 });
    expect(parseSnapshotKey('prod', 'prod/notes.txt')).toBeNull();
    expect(parseSnapshotKey('prod', 'other/etcd-snapshot-20261207T090000000Z-rev1.db')).toBeNull();
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('/a/b')).toBe('a/b/');
  });
});

describe('retention selection (issue 28)', () => {
  const keys = ['08', '09', '10', '11'].map((h) => snapshotKey('p', at(`2026-12-07T${h}:00:00.000Z`), Number(h)));

  it('keeps the newest N, the fresh one included, and deletes the rest', () => {
    const fresh = keys[3]!;
    expect(selectForDeletion('p', keys, 3, fresh)).toEqual([keys[0]]);
    expect(selectForDeletion('p', keys, 1, fresh).sort()).toEqual(keys.slice(0, 3));
    expect(selectForDeletion('p', keys, 10, fresh)).toEqual([]);
  });

  it('never deletes the snapshot just written, even when its name sorts oldest (a clock behind)', () => {
    const behind = snapshotKey('p', at('2026-12-07T07:00:00.000Z'), 7);
    const all = [...keys, behind];
    const doomed = selectForDeletion('p', all, 1, behind);
    expect(doomed).not.toContain(behind);
    expect(doomed.sort()).toEqual([...keys].sort());
    expect(selectForDeletion('p', all, 3, behind).sort()).toEqual(keys.slice(0, 2));
  });

  it('leaves objects that are not snapshots of ours alone, and refuses a retention below 1', () => {
    const foreign = ['p/README', 'p/etcd-snapshot-manual.db', 'p/sub/etcd-snapshot-20261207T090000000Z-rev1.db'];
    expect(selectForDeletion('p', [...keys, ...foreign], 1, keys[3]!)).toEqual(keys.slice(0, 3).reverse());
    expect(() => selectForDeletion('p', keys, 0, keys[3]!)).toThrow(/retention/);
  });
});
