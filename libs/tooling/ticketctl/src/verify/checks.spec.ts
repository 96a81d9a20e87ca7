/**
 * The verify checks' rules (issue 16): pure functions of a snapshot, fed with keys as the
 * services write them. The real-cluster counterpart is test/verify.e2e-spec.ts.
 */
import type { EventRecord } from '@ticketcd/contracts';
import { keys } from '@ticketcd/keys';
import { alertIdAt, applyChanges, legacyAlertIdOf, putSubscription, type Alert, type Subscription } from '@ticketcd/notifier-core';
import { changeOf, indexEntries } from '@ticketcd/search-text';
import {
  checkAlerts,
  checkFavourites,
  checkOrphans,
  checkPurchases,
  checkSearch,
  checkStats,
  checkStock,
  judgeOrphanAlert,
  statsDiff,
} from './checks.js';
import { agePending } from './runner.js';
import { addKey, emptySnapshot, rangesFor, type Snapshot, type Source } from './snapshot.js';

const E = '01J00000000000000000000000';
const E2 = '01J00000000000000000000001';
const O1 = '01J00000000000000000000010';
const O2 = '01J00000000000000000000011';
const AT = '2026-01-01T00:00:00.000Z';
const ALL: Source[] = [
  'all',
  'events',
  'users',
  'tickets',
  'sales',
  'purchases',
  'stats',
  'search',
  'subscriptions',
  'alerts',
  'favourites',
];

const event: EventRecord = {
  name: 'Rock night',
  description: 'loud',
  location: 'porto',
  type: 'concert',
  date: AT,
  maxPerOrder: 10,
  version: 1,
  createdAt: AT,
  updatedAt: AT,
  deletedAt: null,
};

let rev = 0;
/** A snapshot holding `entries`, each written at its own revision in order. */
function snapshotOf(entries: [string, unknown][]): Snapshot {
  const snap = emptySnapshot(1000, new Set(ALL));
  for (const [key, v] of entries) {
    rev++;
    addKey(snap, { key, value: typeof v === 'string' ? v : JSON.stringify(v), createRevision: rev, modRevision: rev });
  }
  return snap;
}

const sale = (username: string, quantity: number) => ({
  username,
  lines: [{ type: 'pink', quantity, unitPrice: 1000 }],
  total: quantity * 1000,
  remaining: { pink: 0 },
  at: AT,
});
const purchase = (quantity: number) => ({
  lines: [{ type: 'pink', quantity, unitPrice: 1000 }],
  total: quantity * 1000,
  at: AT,
  revision: 1,
});
const stats = { revenue: 5000, orders: 2, soldByType: { pink: 5 } };

/** One event, two users, two sales and everything that follows from them. */
function consistent(): [string, unknown][] {
  return [
    [keys.user('ana'), {}],
    [keys.user('bob'), {}],
    [keys.event(E), event],
    [keys.ticket(E, 'pink'), { total: 10, remaining: 5, price: 1000, closed: false }],
    [keys.sale(E, O1), sale('ana', 2)],
    [keys.sale(E, O2), sale('bob', 3)],
    [keys.purchase('ana', E, O1), purchase(2)],
    [keys.purchase('bob', E, O2), purchase(3)],
    [keys.stats(E), stats],
    [keys.favourite('ana', E), {}],
    [keys.favouriteCount(E), '1'],
    ...indexEntries(changeOf(E, event)),
  ];
}

const keysOf = (r: { violations: { key: string }[] }) => r.violations.map((v) => v.key);

describe('verify checks on a consistent snapshot', () => {
  it('find nothing', () => {
    const snap = snapshotOf(consistent());
    for (const check of [checkStock, checkStats, checkPurchases, checkSearch, checkFavourites, checkOrphans]) {
      const r = check(snap);
      expect({ name: r.name, violations: r.violations, pending: r.pending }).toEqual({ name: r.name, violations: [], pending: [] });
    }
    expect(checkAlerts(snap).result.violations).toEqual([]);
  });
});

describe('stock (invariant 1)', () => {
  it('names a ticket whose sold count differs from its sales, and one outside 0..total', () => {
    const entries = consistent();
    entries[3] = [keys.ticket(E, 'pink'), { total: 10, remaining: 11, price: 1000 }];
    const r = checkStock(snapshotOf(entries));
    expect(r.violations.map((v) => v.message)).toEqual([
      'remaining 11 is outside 0..total (10)',
      "total 10 - remaining 11 = -1, but the event's sale: records sold 5",
    ]);
  });

  it('names the missing ticket key of a type that was sold', () => {
    const r = checkStock(
      snapshotOf([
        ...consistent(),
        [keys.sale(E, '01J00000000000000000000012'), { ...sale('ana', 1), lines: [{ type: 'blue', quantity: 1, unitPrice: 1 }], total: 1 }],
      ]),
    );
    expect(keysOf(r)).toEqual([keys.ticket(E, 'blue')]);
  });
});

describe('stats and purchases', () => {
  it('counts only sales with a purchase key; the others are pending', () => {
    const entries = consistent().filter(([k]) => k !== keys.purchase('bob', E, O2));
    const snap = snapshotOf(entries);
    const r = checkStats(snap);
    // Kept stats include bob's sale, which is not counted: a definite difference.
    expect(r.violations).toEqual([
      {
        key: keys.stats(E),
        message: 'orders 2 (counted sales give 1), revenue 5000 (counted sales give 2000), soldByType.pink 5 (counted sales give 2)',
      },
    ]);
    expect(r.pending).toEqual([{ id: keys.sale(E, O2), key: keys.sale(E, O2), message: expect.stringContaining('not counted') }]);
    expect(checkPurchases(snap).pending.map((p) => p.key)).toEqual([keys.sale(E, O2)]);
  });

  it('a legacy stats:all key (totals are summed from the events now, issue 17) is reported for reconcile --fix to delete', () => {
    const r = checkStats(snapshotOf([...consistent(), [keys.statsAll(), { revenue: 5000, orders: 2, soldByType: { pink: 5 } }]]));
    expect(r.violations).toEqual([{ key: keys.statsAll(), message: expect.stringContaining('reconcile -- --fix') }]);
  });

  it('statsDiff names each differing field', () => {
    expect(statsDiff({ revenue: 1, orders: 1, soldByType: { a: 1 } }, { revenue: 1, orders: 1, soldByType: { a: 1, b: 0 } })).toBe('');
    expect(statsDiff({ revenue: 1, orders: 2, soldByType: { a: 1 } }, { revenue: 1, orders: 1, soldByType: { b: 2 } })).toBe(
      'orders 2 (counted sales give 1), soldByType.a 1 (counted sales give 0), soldByType.b 0 (counted sales give 2)',
    );
  });

  it('a purchase without a sale, or with other lines or buyer, is a violation', () => {
    const ghost = keys.purchase('ana', E, '01J00000000000000000000099');
    const entries: [string, unknown][] = [
      ...consistent().filter(([k]) => k !== keys.purchase('bob', E, O2)),
      [keys.purchase('ana', E, O2), purchase(4)],
      [ghost, purchase(1)],
    ];
    const r = checkPurchases(snapshotOf(entries));
    expect(r.violations.map((v) => [v.key, v.message])).toEqual([
      [keys.purchase('ana', E, O2), `its sale ${keys.sale(E, O2)} was bought by bob`],
      [keys.purchase('ana', E, O2), `lines [4xpink@1000] total 4000 differ from ${keys.sale(E, O2)}: [3xpink@1000] total 3000`],
      [ghost, `no sale record ${keys.sale(E, '01J00000000000000000000099')}`],
    ]);
  });
});

describe('search index (invariant 4)', () => {
  it('a missing or stray posting of an indexed event is a violation', () => {
    const posting = keys.search('text', 'rock', E);
    const stray = keys.search('text', 'jazz', E);
    const entries = consistent().filter(([k]) => k !== posting);
    entries.push([stray, '{"n":1}']);
    const r = checkSearch(snapshotOf(entries));
    expect(keysOf(r)).toEqual([posting, stray]);
    expect(r.pending).toEqual([]);
  });

  it('differences of an event the indexer has not caught up with are pending', () => {
    const edited: EventRecord = { ...event, name: 'Jazz night', version: 2, updatedAt: '2026-01-02T00:00:00.000Z' };
    const entries = consistent().map(([k, v]): [string, unknown] => (k === keys.event(E) ? [k, edited] : [k, v]));
    const r = checkSearch(snapshotOf(entries));
    expect(r.violations).toEqual([]);
    expect(r.pending).toEqual([
      {
        id: `${E}@2`,
        key: keys.searchMeta(E),
        message: expect.stringMatching(/^indexed v1, event is v2: 3 key\(s\) differ/),
      },
    ]);
  });

  it('a deleted event keeps only its tombstone meta', () => {
    const deleted: EventRecord = { ...event, version: 2, deletedAt: AT };
    const entries: [string, unknown][] = [[keys.event(E2), deleted], ...indexEntries(changeOf(E2, deleted))];
    expect(entries).toHaveLength(2);
    expect(checkSearch(snapshotOf(entries)).violations).toEqual([]);
  });
});

describe('alerts (invariant 4)', () => {
  const decide = (limit: number, remaining: number, revision: number) =>
    putSubscription(
      null,
      { username: 'ana', eventId: E, limit, active: true },
      remaining,
      revision,
      new Date(AT),
      () => '01J0000000000000000000SXB1',
    );

  /** Ticket key first (stock change at its revision), then the subscription and alert in one write. */
  function withSubscription(sub: Subscription, alert: Alert | Alert[] | null, stockAfter = false): [string, unknown][] {
    const ticket: [string, unknown] = [keys.ticket(E, 'pink'), { total: 10, remaining: 5, price: 1000 }];
    const alerts = alert === null ? [] : Array.isArray(alert) ? alert : [alert];
    const subKeys: [string, unknown][] = [
      [keys.notification('ana', E), sub],
      [keys.subscriber(E, 'ana'), sub],
      ...alerts.map((a) => [keys.alert('ana', a.alertId), a] as [string, unknown]),
    ];
    return stockAfter ? [...subKeys, ticket] : [ticket, ...subKeys];
  }

  it('a fired subscription with its alert is consistent; a stray alert created after it is not', () => {
    const { next, alert } = decide(6, 5, 10_000);
    const entries = withSubscription(next, alert);
    expect(checkAlerts(snapshotOf(entries)).result.violations).toEqual([]);
    const stray = keys.alert('ana', '01J0000000000000000000ZZZZ');
    const { result } = checkAlerts(snapshotOf([...entries, [stray, { ...alert!, alertId: '01J0000000000000000000ZZZZ' }]]));
    expect(keysOf(result)).toEqual([stray]);
  });

  it('a missing alert or a missing twin is a violation', () => {
    const { next } = decide(6, 5, 10_000);
    const r = checkAlerts(snapshotOf(withSubscription(next, null).filter(([k]) => k !== keys.subscriber(E, 'ana')))).result;
    expect(r.violations.map((v) => v.message).sort()).toEqual([
      `0 alert(s) for 1 crossing(s) of subscription ${next.subscriptionId}`,
      `its twin ${keys.subscriber(E, 'ana')} is missing`,
    ]);
  });

  it('issue 25: one alert per crossing revision; old alerts by crossing number; a second alert of one crossing is a violation', () => {
    const { next, alert } = decide(6, 5, 10_000);
    // A rise, then a dip at revision 10_020: the second crossing.
    const rise = applyChanges(next, [{ revision: 10_010, before: 5, after: 40 }], new Set(), new Date(AT)).next!;
    const dip = applyChanges(rise, [{ revision: 10_020, before: 40, after: 5 }], new Set(), new Date(AT));
    expect(dip.alerts.map((a) => a.alertId)).toEqual([alertIdAt(next.subscriptionId, 10_020)]);
    const sub = dip.next!;
    expect(checkAlerts(snapshotOf(withSubscription(sub, [alert!, ...dip.alerts]))).result.violations).toEqual([]);
    // Written before issue 25: ids by crossing number, no revision.
    const legacy = [1, 2].map((i) => ({ ...alert!, revision: undefined, alertId: legacyAlertIdOf(sub.subscriptionId, i) }));
    expect(checkAlerts(snapshotOf(withSubscription(sub, legacy))).result.violations).toEqual([]);
    // The same crossing fired twice would need two ids for one revision: here, a third alert of this subscription.
    const extra = { ...dip.alerts[0]!, revision: 10_030, alertId: alertIdAt(sub.subscriptionId, 10_030) };
    const r = checkAlerts(snapshotOf(withSubscription(sub, [alert!, ...dip.alerts, extra]))).result;
    expect(r.violations.map((v) => v.message)).toEqual([`3 alert(s) for 2 crossing(s) of subscription ${sub.subscriptionId}`]);
  });

  it('armed at or below its limit: pending when the stock changed after it was decided, else a violation', () => {
    const { next } = decide(4, 6, 1); // armed (6 > 4), decided at revision 1
    const armed = { ...next, limit: 5 }; // now 5 left <= 5
    const later = checkAlerts(snapshotOf(withSubscription(armed, null, true))).result;
    expect(later.violations).toEqual([]);
    expect(later.pending.map((p) => p.message)).toEqual([expect.stringMatching(/should show fired .*the notifier has not caught up/)]);
    const decidedAfter = checkAlerts(snapshotOf(withSubscription({ ...armed, stateRevision: 1_000_000 }, null))).result;
    expect(decidedAfter.violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/should show fired \(decided at revision 1000000/),
    ]);
  });

  it('an alert older than its pair subscription goes to the history check, judged by the subscription then', () => {
    const { next, alert } = decide(6, 5, 10_000);
    const a = { key: keys.alert('ana', alert!.alertId), username: 'ana', alertId: alert!.alertId, alert: alert!, createRevision: 50 };
    expect(judgeOrphanAlert(a, { value: JSON.stringify(next), modRevision: 50 })).toBeNull();
    expect(judgeOrphanAlert(a, { value: JSON.stringify(next), modRevision: 49 })).toMatchObject({
      message: expect.stringMatching(/^stray: not written by a crossing/),
    });
    expect(judgeOrphanAlert(a, null)).toMatchObject({ message: expect.stringMatching(/^stray: ana had no subscription/) });
    expect(judgeOrphanAlert(a, 'compacted')).toBe('unverifiable');
    // No current subscription of the pair: unexplained, not judged here.
    const snap = snapshotOf([[a.key, alert]]);
    expect(checkAlerts(snap).unexplained.map((x) => x.key)).toEqual([a.key]);
  });
});

describe('favourites and orphans', () => {
  it('favcount must equal the pairs', () => {
    const entries = consistent().map(([k, v]): [string, unknown] => (k === keys.favouriteCount(E) ? [k, '2'] : [k, v]));
    expect(checkFavourites(snapshotOf(entries)).violations).toEqual([
      { key: keys.favouriteCount(E), message: `is "2", but there are 1 favourite:*:${E} keys` },
    ]);
  });

  it('names keys of missing events or users and keys outside the schema; outbox entries are only noted', () => {
    const orphan = keys.ticket(E2, 'pink');
    const r = checkOrphans(
      snapshotOf([
        ...consistent(),
        [orphan, { total: 1, remaining: 1, price: 1 }],
        [keys.favourite('zoe', E), {}],
        ['random-key', 'x'],
        [keys.outbox('inventory', '01J00000000000000000000077'), '{}'],
      ]),
    );
    expect(r.violations.map((v) => [v.key, v.message])).toEqual([
      [orphan, `event ${E2} does not exist`],
      [keys.favourite('zoe', E), 'user zoe does not exist'],
      ['random-key', 'not a key of the schema: unknown namespace "random-key"'],
    ]);
    expect(r.notes).toEqual(['outbox: 1 entry waiting to be relayed, 0 quarantined (not orphans)']);
  });

  it('a soft-deleted event still owns its keys', () => {
    const entries = consistent().map(([k, v]): [string, unknown] =>
      k === keys.event(E) ? [k, { ...event, version: 2, deletedAt: AT }] : [k, v],
    );
    expect(checkOrphans(snapshotOf(entries)).violations).toEqual([]);
  });
});

describe('runner and ranges', () => {
  it('a pending item turns into a violation once older than --settle, counted from when it was first seen', () => {
    const seen = new Map<string, number>();
    const item = { id: 'x', key: 'sale:x', message: 'not counted' };
    expect(agePending('stats', [item], seen, 1000, 1000, 5000)).toEqual({ aged: [], young: [item] });
    expect(agePending('stats', [item], seen, 4000, 4000, 5000).young).toEqual([item]);
    expect(agePending('stats', [item], seen, 6000, 6000, 5000).aged).toEqual([
      { key: 'sale:x', message: 'not counted; still pending after 5.0 s' },
    ]);
    // --settle 0 fails anything pending at once.
    expect(agePending('stats', [{ ...item, id: 'z' }], seen, 6000, 6000, 0).aged).toHaveLength(1);
  });

  it('the whole keyspace is every namespace plus the gaps between them, contiguous', () => {
    const ranges = rangesFor(new Set(['all']));
    expect(ranges[0]!.start).toEqual(Buffer.from([0]));
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toEqual(ranges[i - 1]!.end);
    expect(ranges[ranges.length - 1]!.end).toEqual(Buffer.from([0]));
    expect(rangesFor(new Set(['tickets', 'sales'])).map((r) => r.start.toString())).toEqual(['sale:', 'ticket:']);
  });
});
