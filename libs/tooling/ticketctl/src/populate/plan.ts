/**
 * From a dataset to the units populate writes: every key and record is built with the project's
 * libs (keys, contracts' records, the indexer's own index entries), so populated data is exactly
 * what the services would have written. Pure: unit tested without a store.
 */
import { deriveOrderId, eventRecord, ticketRecord, userRecord, type EventRecord, type UserRecord } from '@ticketcd/contracts';
import { MAX_TXN_OPS, type WriteOp } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { indexEntries } from '@ticketcd/search-text';
import type { Dataset, DatasetEvent, DatasetPurchase, DatasetUser } from '../dataset.js';
import type { Unit } from './bulk-writer.js';

export function userUnit(u: DatasetUser, passwordHash: string, createdAt: string): Unit {
  const record: UserRecord = userRecord.parse({
    username: u.username,
    name: u.name,
    email: u.email,
    passwordHash,
    role: u.role,
    createdAt,
  });
  return { anchors: [keys.user(u.username)], ops: [{ type: 'put', key: keys.user(u.username), value: JSON.stringify(record) }] };
}

export interface EventWrite {
  /** The event, its ticket keys and its index meta: created together, guarded by the event key. */
  unit: Unit;
  /** Postings written before the unit when the event's keys do not fit one Txn (rare: a long description). */
  before: WriteOp[];
}

export function eventWrite(e: DatasetEvent, createdAt: string): EventWrite {
  const record: EventRecord = eventRecord.parse({ ...e.fields, version: 1, createdAt, updatedAt: createdAt, deletedAt: null });
  const ops: WriteOp[] = [{ type: 'put', key: keys.event(e.eventId), value: JSON.stringify(record) }];
  for (const t of e.tickets) {
    const value = ticketRecord.parse({ total: t.total, remaining: t.total, price: t.price, closed: false });
    ops.push({ type: 'put', key: keys.ticket(e.eventId, t.type), value: JSON.stringify(value) });
  }
  // The indexer's own entries for version 1, so the index equals a rebuild from the start.
  const index = [...indexEntries({ eventId: e.eventId, version: 1, fields: e.fields })].map(([key, value]): WriteOp => ({
    type: 'put',
    key,
    value,
  }));
  const meta = index.pop()!; // indexEntries lists the meta last
  if (ops.length + index.length + 1 <= MAX_TXN_OPS)
    return { unit: { anchors: [keys.event(e.eventId)], ops: [...ops, ...index, meta] }, before: [] };
  // Postings first, the event and the meta last: until the event exists the postings are unseen
  // by the indexer's rebuild only as strays, and a re-run completes them.
  return { unit: { anchors: [keys.event(e.eventId)], ops: [...ops, meta] }, before: index };
}

export function favouriteUnit(username: string, eventId: string, at: string): Unit {
  return {
    anchors: [keys.favourite(username, eventId)],
    ops: [{ type: 'put', key: keys.favourite(username, eventId), value: JSON.stringify({ at }) }],
    counters: [{ key: keys.favouriteCount(eventId), delta: 1 }],
  };
}

export const orderIdOf = (p: DatasetPurchase): string => deriveOrderId(p.username, p.idempotencyKey);

/** Favourites sorted by event, so one event's favcount is added to once per Txn. */
export function favouriteUnits(d: Dataset, at: string): Unit[] {
  return [...d.favourites]
    .sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : a.username < b.username ? -1 : 1))
    .map((f) => favouriteUnit(f.username, f.eventId, at));
}

/** Every key a dataset plans to create (sales included, as if every purchase sold), sorted: what --dry-run --keys prints. */
export function plannedKeys(d: Dataset): string[] {
  const at = d.anchor;
  const out: string[] = [
    keys.staticList('locations'),
    keys.staticList('event-types'),
    keys.staticList('ticket-types'),
    ...d.users.map((u) => keys.user(u.username)),
  ];
  for (const e of d.events) {
    const w = eventWrite(e, at);
    out.push(...w.before.map((o) => o.key), ...w.unit.ops.map((o) => o.key));
  }
  const counted = new Set<string>();
  for (const f of d.favourites) {
    out.push(keys.favourite(f.username, f.eventId));
    counted.add(keys.favouriteCount(f.eventId));
  }
  out.push(...counted);
  for (const s of d.subscriptions) out.push(keys.notification(s.username, s.eventId), keys.subscriber(s.eventId, s.username));
  for (const p of d.purchases) out.push(keys.order(p.username, orderIdOf(p)), keys.sale(p.eventId, orderIdOf(p)));
  return [...new Set(out)].sort();
}
