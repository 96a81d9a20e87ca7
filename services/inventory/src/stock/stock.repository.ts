/** Reads and single-key Txns on `ticket:` keys outside the purchase path. */
import { Inject, Injectable } from '@nestjs/common';
import { eventRecord, ticketRecord, type EventEnvelope, type TicketRecord } from '@ticketcd/contracts';
import { andNoKeyCreatedAfter, listPrefix, toStoreError, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ETCD, outboxPut } from '@ticketcd/platform';

export interface StoredTicket extends TicketRecord {
  type: string;
  modRevision: number;
}

@Injectable()
export class StockRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  /** Every ticket type of the event (linearizable), with the store revision of the read. */
  async tickets(eventId: string): Promise<{ tickets: StoredTicket[]; revision: number }> {
    // An event has at most a few dozen ticket types: one page.
    const page = await listPrefix(this.etcd.kv, prefixes.ticketsOf(eventId), { limit: 1000 });
    const tickets = page.items.map((kv) => {
      const k = parseKey(kv.key);
      if (k.kind !== 'ticket') throw new Error(`unexpected key ${kv.key}`);
      return { type: k.ticketType, ...ticketRecord.parse(JSON.parse(kv.value)), modRevision: kv.modRevision };
    });
    return { tickets, revision: page.revision };
  }

  async eventExists(eventId: string): Promise<boolean> {
    try {
      const v = await this.etcd.kv.get(keys.event(eventId)).string();
      return v !== null && eventRecord.parse(JSON.parse(v)).deletedAt === null;
    } catch (e) {
      throw toStoreError(e, 'event read');
    }
  }

  /** Closes every given ticket key in one Txn, if none changed since it was read. */
  async closeAll(eventId: string, tickets: StoredTicket[]): Promise<boolean> {
    const ns = this.etcd.kv;
    const [first, ...rest] = tickets;
    if (!first) return true;
    let txn = ns.if(keys.ticket(eventId, first.type), 'Mod', '==', first.modRevision);
    for (const t of rest) txn = txn.and(keys.ticket(eventId, t.type), 'Mod', '==', t.modRevision);
    const puts = tickets.map((t) =>
      ns.put(keys.ticket(eventId, t.type)).value(JSON.stringify({ total: t.total, remaining: t.remaining, price: t.price, closed: true })),
    );
    try {
      return (await txn.then(...puts).commit()).succeeded;
    } catch (e) {
      throw toStoreError(e, 'closing tickets');
    }
  }

  /**
   * Writes one ticket key, with its stock.changed event in the outbox, in one Txn, if NO ticket
   * key of the event changed since `read` (the event's keys as read at `readRevision`) and none
   * was added since: then the event's remaining count before the commit is exactly the sum read,
   * which the event carries (issue 25). A new type's key must not exist yet (Create == 0).
   */
  async putTicket(
    eventId: string,
    type: string,
    read: { tickets: StoredTicket[]; revision: number },
    value: TicketRecord,
    envelopes: EventEnvelope[],
  ): Promise<{ committed: boolean; revision: number }> {
    const ns = this.etcd.kv;
    const key = keys.ticket(eventId, type);
    let txn = read.tickets.some((t) => t.type === type) ? null : ns.if(key, 'Create', '==', 0);
    for (const t of read.tickets) {
      const k = keys.ticket(eventId, t.type);
      txn = txn ? txn.and(k, 'Mod', '==', t.modRevision) : ns.if(k, 'Mod', '==', t.modRevision);
    }
    andNoKeyCreatedAfter(txn!, prefixes.ticketsOf(eventId), read.revision);
    try {
      const res = await txn!
        .then(
          ns.put(key).value(JSON.stringify(value)),
          ...(envelopes.length ? [outboxPut(ns, 'inventory', envelopes, { stampRevision: true }).put] : []),
        )
        .commit();
      return { committed: res.succeeded, revision: Number(res.header.revision) };
    } catch (e) {
      throw toStoreError(e, 'ticket write');
    }
  }
}
