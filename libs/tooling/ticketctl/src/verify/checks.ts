/**
 * The invariant checks, pure functions of one snapshot (read at one revision). Each returns the
 * violations it found (definite: a consumer catching up would not fix them) and the pending
 * items (what a background consumer has yet to do: the runner re-reads until they clear or
 * outlive --settle). docs/ticketctl.md describes each rule.
 */
import { EMPTY_STATS, type StatsRecord } from '@ticketcd/contracts';
import { keys, parseKey } from '@ticketcd/keys';
import { alertIdAt, legacyAlertIdOf, stateFor, subscriptionRecord, type Alert, type Subscription } from '@ticketcd/notifier-core';
import { changeOf, decodeMeta, indexEntries, type IndexMeta } from '@ticketcd/search-text';
import type { AlertState, SaleState, Snapshot, Source } from './snapshot.js';

export const CHECKS = ['stock', 'stats', 'purchases', 'search', 'alerts', 'favourites', 'orphans'] as const;
export type CheckName = (typeof CHECKS)[number];

/** What each check reads. */
export const SOURCES_OF: Record<CheckName, Source[]> = {
  stock: ['tickets', 'sales'],
  stats: ['sales', 'purchases', 'stats'],
  purchases: ['sales', 'purchases'],
  search: ['events', 'search'],
  alerts: ['tickets', 'subscriptions', 'alerts'],
  favourites: ['favourites'],
  orphans: ['all', 'events', 'users'],
};

export interface Violation {
  key: string;
  message: string;
}

export interface PendingItem extends Violation {
  /** Stable across passes: the same unfinished work has the same id. */
  id: string;
}

export interface CheckResult {
  name: CheckName;
  examined: number;
  violations: Violation[];
  pending: PendingItem[];
  notes: string[];
}

const result = (name: CheckName, examined: number): CheckResult => ({ name, examined, violations: [], pending: [], notes: [] });

function malformed(snap: Snapshot, r: CheckResult): void {
  for (const m of snap.malformed) if (m.check === r.name) r.violations.push({ key: m.key, message: m.message });
}

// ---------------------------------------------------------------- stock (invariant 1)

/** Per event and type, the quantities sold by the event's sale: records. */
export function soldByType(sales: SaleState[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const s of sales) {
    let types = out.get(s.eventId);
    if (!types) out.set(s.eventId, (types = new Map()));
    for (const l of s.lines) types.set(l.type, (types.get(l.type) ?? 0) + l.quantity);
  }
  return out;
}

export function checkStock(snap: Snapshot): CheckResult {
  let tickets = 0;
  for (const types of snap.tickets.values()) tickets += types.size;
  const r = result('stock', tickets + snap.sales.length);
  const sold = soldByType(snap.sales);
  for (const [eventId, types] of snap.tickets) {
    for (const [type, t] of types) {
      if (t.remaining < 0 || t.remaining > t.total)
        r.violations.push({ key: t.key, message: `remaining ${t.remaining} is outside 0..total (${t.total})` });
      const s = sold.get(eventId)?.get(type) ?? 0;
      if (t.total - t.remaining !== s)
        r.violations.push({
          key: t.key,
          message: `total ${t.total} - remaining ${t.remaining} = ${t.total - t.remaining}, but the event's sale: records sold ${s}`,
        });
    }
  }
  for (const [eventId, types] of sold)
    for (const [type, n] of types)
      if (!snap.tickets.get(eventId)?.has(type))
        r.violations.push({
          key: keys.ticket(eventId, type),
          message: `sale: records sold ${n} of this type, but the ticket key is missing`,
        });
  malformed(snap, r);
  return r;
}

// ---------------------------------------------------------------- stats and purchases

/** The sale is counted by the orders consumer once its purchase: key exists (one Txn does both). */
const saleId = (s: { eventId: string; orderId: string }) => `${s.eventId}:${s.orderId}`;

export function addSale(stats: StatsRecord, sale: { total: number; lines: { type: string; quantity: number }[] }): StatsRecord {
  const soldByType = { ...stats.soldByType };
  for (const l of sale.lines) soldByType[l.type] = (soldByType[l.type] ?? 0) + l.quantity;
  return { revenue: stats.revenue + sale.total, orders: stats.orders + 1, soldByType };
}

/** The differing fields of two stats, e.g. `orders 3 (sales give 2), soldByType.pink 4 (3)`. */
export function statsDiff(kept: StatsRecord, want: StatsRecord): string {
  const parts: string[] = [];
  if (kept.orders !== want.orders) parts.push(`orders ${kept.orders} (counted sales give ${want.orders})`);
  if (kept.revenue !== want.revenue) parts.push(`revenue ${kept.revenue} (counted sales give ${want.revenue})`);
  for (const type of [...new Set([...Object.keys(kept.soldByType), ...Object.keys(want.soldByType)])].sort()) {
    const a = kept.soldByType[type] ?? 0;
    const b = want.soldByType[type] ?? 0;
    if (a !== b) parts.push(`soldByType.${type} ${a} (counted sales give ${b})`);
  }
  return parts.join(', ');
}

const uncounted = (s: SaleState): PendingItem => ({
  id: s.key,
  key: s.key,
  message: `not counted by the orders consumer yet (no ${keys.purchase(s.username, s.eventId, s.orderId)})`,
});

export function checkStats(snap: Snapshot): CheckResult {
  const r = result('stats', snap.stats.size + snap.sales.length);
  // Only per-event stats are kept: the totals are their sum on read (issue 17), not a key.
  const want = new Map<string, StatsRecord>();
  for (const s of snap.sales) {
    if (!snap.purchases.has(saleId(s))) {
      r.pending.push(uncounted(s));
      continue;
    }
    const key = keys.stats(s.eventId);
    want.set(key, addSale(want.get(key) ?? EMPTY_STATS, s));
  }
  const all = [...new Set([...want.keys(), ...snap.stats.keys()])].sort();
  for (const key of all) {
    if (key === keys.statsAll()) {
      r.violations.push({
        key,
        message: "legacy totals key, no longer kept (totals are the events' stats summed): `npm run reconcile -- --fix` deletes it",
      });
      continue;
    }
    const diff = statsDiff(snap.stats.get(key)?.value ?? EMPTY_STATS, want.get(key) ?? EMPTY_STATS);
    if (diff) r.violations.push({ key, message: `${snap.stats.has(key) ? '' : '(absent) '}${diff}` });
  }
  malformed(snap, r);
  return r;
}

const linesOf = (l: { type: string; quantity: number; unitPrice: number }[]) =>
  l.map((x) => `${x.quantity}x${x.type}@${x.unitPrice}`).join(' ');

export function checkPurchases(snap: Snapshot): CheckResult {
  const r = result('purchases', snap.purchases.size + snap.sales.length);
  const sales = new Set<string>();
  for (const s of snap.sales) {
    sales.add(saleId(s));
    const p = snap.purchases.get(saleId(s));
    if (!p) {
      r.pending.push(uncounted(s));
      continue;
    }
    if (p.username !== s.username) r.violations.push({ key: p.key, message: `its sale ${s.key} was bought by ${s.username}` });
    if (linesOf(p.lines) !== linesOf(s.lines) || p.total !== s.total)
      r.violations.push({
        key: p.key,
        message: `lines [${linesOf(p.lines)}] total ${p.total} differ from ${s.key}: [${linesOf(s.lines)}] total ${s.total}`,
      });
  }
  for (const p of snap.purchases.values())
    if (!sales.has(saleId(p))) r.violations.push({ key: p.key, message: `no sale record ${keys.sale(p.eventId, p.orderId)}` });
  malformed(snap, r);
  return r;
}

// ---------------------------------------------------------------- search index (invariant 4)

const short = (v: string | undefined) => (v === undefined ? '(absent)' : v.length > 60 ? `${v.slice(0, 57)}...` : v);

function decodeOrNull(value: string | undefined): IndexMeta | null {
  if (value === undefined) return null;
  try {
    return decodeMeta(value);
  } catch {
    return null;
  }
}

export function checkSearch(snap: Snapshot): CheckResult {
  const r = result('search', snap.search.size + snap.events.size);
  const covered = new Set<string>();
  const diffsOf = new Map<string, Violation[]>();
  const add = (eventId: string, v: Violation) => {
    const list = diffsOf.get(eventId);
    if (list) list.push(v);
    else diffsOf.set(eventId, [v]);
  };
  for (const [eventId, record] of snap.events) {
    if (!record) continue;
    for (const [key, want] of indexEntries(changeOf(eventId, record))) {
      covered.add(key);
      const have = snap.search.get(key);
      if (have === want) continue;
      add(eventId, {
        key,
        message: have === undefined ? `missing (a rebuild puts ${short(want)})` : `is ${short(have)}, a rebuild gives ${short(want)}`,
      });
    }
  }
  for (const [key, have] of snap.search) {
    if (covered.has(key)) continue;
    let eventId = '';
    try {
      const k = parseKey(key);
      if (k.kind === 'search' || k.kind === 'searchMeta') eventId = k.eventId;
    } catch {
      // not the schema's: a stray either way
    }
    const event = snap.events.get(eventId);
    add(eventId, {
      key,
      message: `${short(have)} is not in a rebuild (${event === undefined ? 'no such event' : 'not a posting of the event'}): a rebuild deletes it`,
    });
  }
  for (const [eventId, diffs] of diffsOf) {
    const record = snap.events.get(eventId);
    const meta = decodeOrNull(snap.search.get(eventId ? keys.searchMeta(eventId) : ''));
    // The indexer has not caught up with this event's version: its writes are still to come.
    const lagging = record && (!meta || meta.pending !== null || meta.v < record.version);
    if (!lagging) {
      r.violations.push(...diffs);
      continue;
    }
    r.pending.push({
      id: `${eventId}@${record.version}`,
      key: keys.searchMeta(eventId),
      message: `indexed ${meta ? `v${meta.v}${meta.pending ? ` (pending v${meta.pending.v})` : ''}` : 'never'}, event is v${record.version}: ${diffs.length} key(s) differ, e.g. ${diffs[0]!.key} ${diffs[0]!.message}`,
    });
  }
  malformed(snap, r);
  return r;
}

// ---------------------------------------------------------------- alerts (invariant 4)

export interface AlertsOutcome {
  result: CheckResult;
  /**
   * Alerts no current subscription accounts for and that predate the subscription of their
   * (user, event), if any: maybe a deleted or re-created subscription's. The runner reads the
   * subscription key as it was at the alert's creation revision and judges with `judgeOrphanAlert`.
   */
  unexplained: AlertState[];
}

/** The event's remaining tickets (sum over types) and the last revision any of its ticket keys changed. */
export function stockOf(snap: Snapshot, eventId: string): { remaining: number; lastChange: number } | null {
  const types = snap.tickets.get(eventId);
  if (!types || types.size === 0) return null;
  let remaining = 0;
  let lastChange = 0;
  for (const t of types.values()) {
    remaining += t.remaining;
    lastChange = Math.max(lastChange, t.modRevision);
  }
  return { remaining, lastChange };
}

export function checkAlerts(snap: Snapshot): AlertsOutcome {
  const r = result('alerts', snap.notifications.size + snap.subscribers.size + snap.alerts.length);
  const byPair = new Map<string, AlertState[]>();
  for (const a of snap.alerts) {
    const pair = `${a.username}:${a.alert.eventId}`;
    const list = byPair.get(pair);
    if (list) list.push(a);
    else byPair.set(pair, [a]);
  }
  const accounted = new Set<string>();
  for (const [pair, n] of snap.notifications) {
    const twin = snap.subscribers.get(pair);
    if (!twin) r.violations.push({ key: n.key, message: `its twin ${keys.subscriber(n.eventId, n.username)} is missing` });
    else if (twin.raw !== n.raw) r.violations.push({ key: twin.key, message: `differs from its twin ${n.key}` });
    const sub = n.sub;
    if (!sub) continue;
    if (sub.username !== n.username || sub.eventId !== n.eventId)
      r.violations.push({ key: n.key, message: `the record names ${sub.username} and ${sub.eventId}` });
    // Issue 25: each alert of a subscription has the id of its crossing's revision (or, written
    // before issue 25, of its crossing number); their count is the subscription's crossings.
    const mine = (byPair.get(`${n.username}:${sub.eventId}`) ?? []).filter((a) => belongsTo(sub, a.alert));
    for (const a of mine) accounted.add(a.key);
    if (mine.length !== sub.crossings)
      r.violations.push({
        key: n.key,
        message: `${mine.length} alert(s) for ${sub.crossings} crossing(s) of subscription ${sub.subscriptionId}`,
      });
    if (sub.state === 'fired' && sub.crossings < 1) r.violations.push({ key: n.key, message: 'fired with 0 crossings' });
    const stock = stockOf(snap, sub.eventId);
    if (!stock) continue;
    // The displayed state follows the newest stock the notifier saw: it should match today's.
    const expected = stateFor(sub, stock.remaining);
    if (expected === sub.state) continue;
    const what =
      expected === 'fired'
        ? `armed and active with limit ${sub.limit}, but the event has ${stock.remaining} left: it should show fired`
        : `fired, but the event has ${stock.remaining} left, above its limit ${sub.limit} (or it is paused): it should show armed`;
    if (stock.lastChange > sub.stateRevision)
      r.pending.push({
        id: `${n.key}:${expected}:${sub.stateRevision}`,
        key: n.key,
        message: `${what} (stock changed at revision ${stock.lastChange}, after its stateRevision ${sub.stateRevision}: the notifier has not caught up)`,
      });
    else
      r.violations.push({
        key: n.key,
        message: `${what} (decided at revision ${sub.stateRevision}, not before the last stock change ${stock.lastChange})`,
      });
  }
  for (const [pair, s] of snap.subscribers)
    if (!snap.notifications.has(pair))
      r.violations.push({ key: s.key, message: `its twin ${keys.notification(s.username, s.eventId)} is missing` });
  const unexplained: AlertState[] = [];
  for (const a of snap.alerts) {
    if (accounted.has(a.key)) continue;
    if (a.alert.alertId !== a.alertId) {
      r.violations.push({ key: a.key, message: `stray: its value names alert id ${a.alert.alertId}` });
      continue;
    }
    const n = snap.notifications.get(`${a.username}:${a.alert.eventId}`);
    if (n && a.createRevision >= n.createRevision) {
      r.violations.push({
        key: a.key,
        message: `stray: created at revision ${a.createRevision}, after ${n.key} (created at ${n.createRevision}), but none of its ${n.sub?.crossings ?? '?'} crossing(s)`,
      });
      continue;
    }
    unexplained.push(a);
  }
  malformed(snap, r);
  return { result: r, unexplained };
}

/**
 * Whether an alert is one of this subscription's: its id is alertIdAt(subscription, the alert's
 * revision), or for an alert written before issue 25 (no revision), the id of one of its
 * crossing numbers.
 */
export function belongsTo(sub: Subscription, alert: Alert): boolean {
  if (alert.eventId !== sub.eventId) return false;
  if (alert.revision !== undefined) return alertIdAt(sub.subscriptionId, alert.revision) === alert.alertId;
  for (let i = 1; i <= sub.crossings; i++) if (legacyAlertIdOf(sub.subscriptionId, i) === alert.alertId) return true;
  return false;
}

/** The subscription key as it was at an alert's creation revision. */
export type HistoricSubscription = { value: string; modRevision: number } | null | 'compacted';

/**
 * An alert that no current subscription accounts for is legitimate only if it was written by a
 * crossing: then the same Txn put the subscription key (mod revision = the alert's creation
 * revision) with that crossing counted, and the alert id is that subscription's for the alert's
 * revision. Anything else was not written by the notifier: a stray. 'unverifiable' when etcd
 * compacted that revision away.
 */
export function judgeOrphanAlert(a: AlertState, hist: HistoricSubscription): Violation | 'unverifiable' | null {
  if (hist === 'compacted') return 'unverifiable';
  const at = `at its creation revision ${a.createRevision}`;
  if (!hist) return { key: a.key, message: `stray: ${a.username} had no subscription to event ${a.alert.eventId} ${at}` };
  const parsed = subscriptionRecord.safeParse(JSON.parse(hist.value));
  if (!parsed.success || hist.modRevision !== a.createRevision || !belongsTo(parsed.data, a.alert))
    return { key: a.key, message: `stray: not written by a crossing of ${a.username}'s subscription to event ${a.alert.eventId} ${at}` };
  return null;
}

// ---------------------------------------------------------------- favourites

export function checkFavourites(snap: Snapshot): CheckResult {
  let pairs = 0;
  for (const n of snap.favourites.values()) pairs += n;
  const r = result('favourites', pairs + snap.favcounts.size);
  for (const eventId of [...new Set([...snap.favourites.keys(), ...snap.favcounts.keys()])].sort()) {
    const count = snap.favourites.get(eventId) ?? 0;
    const raw = snap.favcounts.get(eventId);
    const kept = raw === undefined ? 0 : Number(raw);
    if (!Number.isInteger(kept) || kept !== count)
      r.violations.push({
        key: keys.favouriteCount(eventId),
        message: `is ${raw === undefined ? '(absent)' : JSON.stringify(raw)}, but there are ${count} favourite:*:${eventId} keys`,
      });
  }
  malformed(snap, r);
  return r;
}

// ---------------------------------------------------------------- orphans

export function checkOrphans(snap: Snapshot): CheckResult {
  const r = result('orphans', snap.keysRead);
  for (const { key, parsed } of snap.references) {
    const eventId = 'eventId' in parsed ? parsed.eventId : null;
    const username = 'username' in parsed ? parsed.username : null;
    if (eventId && !snap.events.has(eventId)) r.violations.push({ key, message: `event ${eventId} does not exist` });
    else if (username && !snap.users.has(username)) r.violations.push({ key, message: `user ${username} does not exist` });
  }
  for (const a of snap.alerts)
    if (snap.users.has(a.username) && !snap.events.has(a.alert.eventId))
      r.violations.push({ key: a.key, message: `names event ${a.alert.eventId}, which does not exist` });
  for (const u of snap.unparseable) r.violations.push({ key: u.key, message: `not a key of the schema: ${u.reason}` });
  if (snap.outbox.waiting || snap.outbox.quarantined)
    r.notes.push(
      `outbox: ${snap.outbox.waiting} entr${snap.outbox.waiting === 1 ? 'y' : 'ies'} waiting to be relayed, ${snap.outbox.quarantined} quarantined (not orphans)`,
    );
  malformed(snap, r);
  return r;
}
