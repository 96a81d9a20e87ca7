/**
 * Guards invariant 4 (the index equals a rebuild) at the level of the plans: whatever the order,
 * repetition or interruption of changes, executing the plans leaves exactly `indexEntries` of
 * the newest version. The store here is a Map standing in for etcd's Txn semantics (compare the
 * meta's revision, then apply all ops); the e2e tests run the same against a real cluster.
 */
import type { EventFields } from '@ticketcd/contracts';
import { keys } from '@ticketcd/keys';
import {
  decodeMeta,
  encodeMeta,
  forRepair,
  IN_DESCRIPTION,
  IN_NAME,
  indexEntries,
  MEMBER,
  plan,
  postingsOf,
  type IndexChange,
  type IndexMeta,
  type Postings,
} from './postings.js';

const ID = '01JD6Z3M4X1V2B3N4M5K6J7H8G';
const fields = (over: Partial<EventFields> = {}): EventFields => ({
  name: 'Rock Concert',
  description: 'Loud music',
  location: 'lisbon',
  type: 'concert',
  date: '2027-01-01T20:00:00.000Z',
  maxPerOrder: 4,
  ...over,
});

/** etcd in miniature: a key -> value map and one revision counter per write Txn. */
class Store {
  data = new Map<string, string>();
  mods = new Map<string, number>();
  rev = 0;
  txn(guardKey: string, guardMod: number, ops: { type: 'put' | 'delete'; key: string; value?: string }[]): { ok: boolean; rev: number } {
    if ((this.mods.get(guardKey) ?? 0) !== guardMod) return { ok: false, rev: this.rev };
    this.rev++;
    for (const op of ops) {
      if (op.type === 'put') {
        this.data.set(op.key, op.value!);
        this.mods.set(op.key, this.rev);
      } else {
        this.data.delete(op.key);
        this.mods.delete(op.key);
      }
    }
    return { ok: true, rev: this.rev };
  }
}

/** The indexer's apply loop, over the miniature store; `crashAfter` stops after that many Txns. */
function apply(
  store: Store,
  change: IndexChange,
  maxOps: number,
  crashAfter = Infinity,
  asFound: (m: IndexMeta | null) => IndexMeta | null = (m) => m,
): 'done' | 'crashed' {
  const metaKey = keys.searchMeta(change.eventId);
  let txns = 0;
  const step = (mod: number, ops: Parameters<Store['txn']>[2]) => {
    if (txns++ >= crashAfter) throw new Error('crash');
    return store.txn(metaKey, mod, ops);
  };
  try {
    for (;;) {
      const raw = store.data.get(metaKey);
      const mod = store.mods.get(metaKey) ?? 0;
      const p = plan(asFound(raw ? decodeMeta(raw) : null), change, maxOps);
      if (p.kind === 'skip') return 'done';
      const metaOp = (m: typeof p.meta) => ({ type: 'put' as const, key: metaKey, value: encodeMeta(m) });
      if (p.kind === 'single') {
        if (step(mod, [...p.ops, metaOp(p.meta)]).ok) return 'done';
        continue;
      }
      const begun = step(mod, [metaOp(p.pending)]);
      if (!begun.ok) continue;
      if (p.chunks.every((ops) => step(begun.rev, ops).ok) && step(begun.rev, [metaOp(p.meta)]).ok) return 'done';
    }
  } catch {
    return 'crashed';
  }
}

/** The rebuild's repair: the same loop, planned from the meta made uncertain plus what was found in place. */
const repair = (store: Store, change: IndexChange, maxOps: number, crashAfter = Infinity) => {
  const found: Postings = Object.fromEntries([...store.data].filter(([k]) => k !== keys.searchMeta(change.eventId)));
  return apply(store, change, maxOps, crashAfter, (m) => forRepair(m, found));
};

const expectIndexOf = (store: Store, change: IndexChange) =>
  expect(Object.fromEntries(store.data)).toEqual(Object.fromEntries(indexEntries(change)));

describe('postings', () => {
  it('index name words as in-name, description words, type and location', () => {
    const p = postingsOf(ID, fields({ name: 'Rock Concert', description: 'rock, Rock and Roll' }));
    expect(p).toEqual({
      [keys.search('text', 'rock', ID)]: IN_NAME,
      [keys.search('text', 'concert', ID)]: IN_NAME,
      [keys.search('text', 'and', ID)]: IN_DESCRIPTION,
      [keys.search('text', 'roll', ID)]: IN_DESCRIPTION,
      [keys.search('text', 'lisbon', ID)]: IN_DESCRIPTION,
      [keys.search('type', 'concert', ID)]: MEMBER,
      [keys.search('location', 'lisbon', ID)]: MEMBER,
    });
    expect(Object.keys(p)).toEqual(Object.keys(p).sort());
  });
});

describe('plan', () => {
  it('writes only the difference on an edit (invariant 4)', () => {
    const store = new Store();
    apply(store, { eventId: ID, version: 1, fields: fields() }, 128);
    const p = plan(decodeMeta(store.data.get(keys.searchMeta(ID))!), {
      eventId: ID,
      version: 2,
      fields: fields({ description: 'Loud guitars' }),
    });
    expect(p.kind).toBe('single');
    if (p.kind !== 'single') return;
    expect(p.ops).toEqual([
      { type: 'put', key: keys.search('text', 'guitars', ID), value: IN_DESCRIPTION },
      { type: 'delete', key: keys.search('text', 'music', ID) },
    ]);
  });

  it('skips a repeated or an older version (invariant 4)', () => {
    const store = new Store();
    apply(store, { eventId: ID, version: 3, fields: fields() }, 128);
    const meta = decodeMeta(store.data.get(keys.searchMeta(ID))!);
    expect(plan(meta, { eventId: ID, version: 3, fields: fields() })).toEqual({ kind: 'skip', reason: 'already indexed' });
    expect(plan(meta, { eventId: ID, version: 2, fields: fields({ name: 'Old' }) })).toEqual({
      kind: 'skip',
      reason: 'older than indexed',
    });
  });

  it('a delete removes every posting and keeps a tombstone that older changes cannot undo', () => {
    const store = new Store();
    apply(store, { eventId: ID, version: 1, fields: fields() }, 128);
    apply(store, { eventId: ID, version: 2, fields: null }, 128);
    apply(store, { eventId: ID, version: 1, fields: fields() }, 128);
    expect([...store.data.keys()]).toEqual([keys.searchMeta(ID)]);
    expect(decodeMeta(store.data.get(keys.searchMeta(ID))!)).toMatchObject({ v: 2, deleted: true, postings: {} });
  });

  it('splits a change too big for one Txn into guarded chunks', () => {
    const long = fields({ description: Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ') });
    const p = plan(null, { eventId: ID, version: 1, fields: long });
    expect(p.kind).toBe('phased');
    if (p.kind !== 'phased') return;
    expect(p.chunks.every((c) => c.length <= 128)).toBe(true);
    expect(p.pending.pending).toEqual({ v: 1 });
  });

  // Seeded pseudo-random, so a failure replays.
  const rng = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

  it.each([128, 5])('converges to the newest version whatever the order, repeats and crashes (max %i ops per Txn)', (maxOps) => {
    const rand = rng(maxOps);
    for (let round = 0; round < 200; round++) {
      const versions: IndexChange[] = Array.from({ length: 6 }, (_, i) => ({
        eventId: ID,
        version: i + 1,
        fields:
          i === 5 && rand() < 0.3
            ? null
            : fields({
                name: `Show ${['rock', 'jazz', 'fado'][Math.floor(rand() * 3)]}`,
                description: Array.from({ length: Math.floor(rand() * 12) }, () => `w${Math.floor(rand() * 15)}`).join(' '),
                location: ['lisbon', 'porto'][Math.floor(rand() * 2)]!,
              }),
      }));
      // Every version delivered twice, in a random order, some deliveries cut off by a crash.
      const deliveries = [...versions, ...versions].sort(() => rand() - 0.5);
      const store = new Store();
      for (const d of deliveries) apply(store, d, maxOps, rand() < 0.3 ? Math.floor(rand() * 4) : Infinity);
      // The redelivery of whatever crashed (JetStream redelivers unacked messages).
      for (const d of versions) apply(store, d, maxOps);
      expectIndexOf(store, versions[5]!);
    }
  });
});

describe('repair (issue 13, point 5)', () => {
  const damage = (store: Store) => {
    store.txn('-', 0, [
      { type: 'put', key: keys.search('text', 'stray', ID), value: IN_DESCRIPTION },
      { type: 'delete', key: keys.search('text', 'rock', ID) },
      { type: 'put', key: keys.search('text', 'concert', ID), value: IN_DESCRIPTION },
    ]);
  };

  it.each([128, 3])('restores lost and wrong postings and deletes unlisted strays of a settled version (max %i ops)', (maxOps) => {
    const store = new Store();
    const v1 = { eventId: ID, version: 1, fields: fields() };
    apply(store, v1, 128);
    damage(store);
    // The consumer alone would call this version already indexed and leave the damage.
    expect(plan(decodeMeta(store.data.get(keys.searchMeta(ID))!), v1)).toEqual({ kind: 'skip', reason: 'already indexed' });
    repair(store, v1, maxOps);
    expectIndexOf(store, v1);
  });

  it('a phased repair cut off after its pending meta is finished by the next consumer change, strays included', () => {
    const store = new Store();
    apply(store, { eventId: ID, version: 1, fields: fields() }, 3);
    damage(store);
    expect(repair(store, { eventId: ID, version: 2, fields: fields({ description: 'Soft songs' }) }, 3, 1)).toBe('crashed');
    const v3 = { eventId: ID, version: 3, fields: fields({ name: 'Jazz Evening' }) };
    apply(store, v3, 3);
    expectIndexOf(store, v3);
  });
});
