/**
 * Test fixtures written the way the owning service writes them. `seedEvent` mirrors the
 * catalog's create (event: and every ticket: key in one Txn) so inventory tests can run before
 * and independently of the catalog.
 */
import type { EventRecord, TicketRecord } from '@ticketcd/contracts';
import { unconditionalTxn, type EtcdConnection } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import { ulid } from 'ulid';

export interface SeedEvent {
  eventId?: string;
  maxPerOrder?: number;
  tickets: { type: string; total: number; price: number }[];
}

export async function seedEvent(conn: EtcdConnection, spec: SeedEvent): Promise<string> {
  const eventId = spec.eventId ?? ulid();
  const now = new Date().toISOString();
  const event: EventRecord = {
    name: `Test event ${eventId.slice(-6)}`,
    description: 'seeded by a test',
    location: 'porto',
    type: 'concert',
    date: new Date(Date.now() + 30 * 86400_000).toISOString(),
    maxPerOrder: spec.maxPerOrder ?? 10,
    version: 1,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  const ns = conn.kv;
  await unconditionalTxn(ns)
    .then(
      ns.put(keys.event(eventId)).value(JSON.stringify(event)),
      ...spec.tickets.map((t) => {
        const record: TicketRecord = { total: t.total, remaining: t.total, price: t.price, closed: false };
        return ns.put(keys.ticket(eventId, t.type)).value(JSON.stringify(record));
      }),
    )
    .commit();
  return eventId;
}

/** How many orders of an event were sold: its `sale:` records (one per order, whatever the retries). */
export async function saleCount(conn: EtcdConnection, eventId: string): Promise<number> {
  return conn.kv.getAll().prefix(prefixes.salesOf(eventId)).count();
}
