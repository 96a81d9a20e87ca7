/** Issue 16: populate builds every record with the project's schemas, and packs Txns within etcd's limits. */
import { eventRecord, ticketRecord, userRecord } from '@ticketcd/contracts';
import { MAX_TXN_OPS } from '@ticketcd/etcd';
import { parseKey } from '@ticketcd/keys';
import { decodeMeta } from '@ticketcd/search-text';
import type { Dataset } from '../dataset.js';
import { pack, type Unit } from './bulk-writer.js';
import { eventWrite, favouriteUnits, plannedKeys, userUnit } from './plan.js';

const EVENT = '0f8fad5b-d9cb-469f-a165-70867728950e';
const fields = {
  name: 'Fado night',
  description: 'Songs of the sea',
  location: 'lisbon',
  type: 'concert',
  date: '2027-03-01T20:00:00.000Z',
  maxPerOrder: 6,
};
const dataset: Dataset = {
  version: 1,
  seed: 1,
  anchor: '2026-11-26T00:00:00.000Z',
  static: { locations: ['lisbon'], eventTypes: ['concert'], ticketTypes: ['pink', 'blue'] },
  users: [{ username: 'ana', name: 'Ana', email: 'ana@example.com', role: 'admin' }],
  events: [{ eventId: EVENT, fields, tickets: [{ type: 'pink', total: 10, price: 1500 }] }],
  favourites: [{ username: 'ana', eventId: EVENT }],
  subscriptions: [{ username: 'ana', eventId: EVENT, limit: 3 }],
  purchases: [{ username: 'ana', eventId: EVENT, idempotencyKey: 'gen-1-0', lines: [{ type: 'pink', quantity: 2 }] }],
};

describe('populate plan', () => {
  it('builds user, event, ticket and index records that parse with the contracts', () => {
    const u = userUnit(dataset.users[0]!, 'scrypt$16384$8$1$salt$hash', dataset.anchor);
    expect(userRecord.parse(JSON.parse((u.ops[0] as { value: string }).value)).role).toBe('admin');
    const e = eventWrite(dataset.events[0]!, dataset.anchor);
    expect(e.before).toEqual([]);
    const byKind = new Map<string, string[]>();
    for (const op of e.unit.ops) {
      const k = parseKey(op.key);
      byKind.set(k.kind, [...(byKind.get(k.kind) ?? []), (op as { value: string }).value]);
    }
    expect(eventRecord.parse(JSON.parse(byKind.get('event')![0]!))).toMatchObject({ version: 1, deletedAt: null, name: 'Fado night' });
    expect(ticketRecord.parse(JSON.parse(byKind.get('ticket')![0]!))).toEqual({ total: 10, remaining: 10, price: 1500, closed: false });
    // The meta goes last, after its postings, and names exactly them.
    const meta = e.unit.ops[e.unit.ops.length - 1]!;
    expect(parseKey(meta.key).kind).toBe('searchMeta');
    const postings = Object.keys(decodeMeta((meta as { value: string }).value).postings);
    expect(postings.sort()).toEqual(
      e.unit.ops
        .filter((o) => parseKey(o.key).kind === 'search')
        .map((o) => o.key)
        .sort(),
    );
  });

  it('splits an event whose index does not fit one Txn: postings first, the guarded event and meta last', () => {
    const long = { ...dataset.events[0]!, fields: { ...fields, description: Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ') } };
    const e = eventWrite(long, dataset.anchor);
    expect(e.before.length).toBeGreaterThan(100);
    expect(e.unit.ops.length).toBeLessThanOrEqual(MAX_TXN_OPS);
    expect(e.unit.anchors).toEqual([e.unit.ops[0]!.key]);
  });

  it('favourites add to their event counter', () => {
    const [f] = favouriteUnits(dataset, dataset.anchor);
    expect(f!.counters).toEqual([{ key: `favcount:${EVENT}`, delta: 1 }]);
  });

  it('plans a sorted, duplicate-free key set', () => {
    const keys = plannedKeys(dataset);
    expect(keys).toEqual([...new Set(keys)].sort());
    expect(keys).toContain('user:ana');
    expect(keys).toContain(`favcount:${EVENT}`);
  });
});

describe('pack (etcd takes at most 128 ops and 128 compares per Txn)', () => {
  const unit = (i: number, ops = 1, counter?: string): Unit => ({
    anchors: [`k${i}`],
    ops: Array.from({ length: ops }, (_, j) => ({ type: 'put' as const, key: `k${i}-${j}`, value: 'v' })),
    counters: counter ? [{ key: counter, delta: 1 }] : undefined,
  });

  it('fills Txns up to 128 ops, counting each counter once per Txn', () => {
    const batches = pack(Array.from({ length: 300 }, (_, i) => unit(i, 1, `c${Math.floor(i / 50)}`)));
    for (const b of batches) {
      const counters = new Set(b.flatMap((u) => u.counters!.map((c) => c.key)));
      expect(b.length + counters.size).toBeLessThanOrEqual(MAX_TXN_OPS);
    }
    expect(batches.flat()).toHaveLength(300);
  });

  it('refuses a unit that cannot fit one Txn', () => {
    expect(() => pack([unit(1, 129)])).toThrow(/more than one Txn/);
  });
});
