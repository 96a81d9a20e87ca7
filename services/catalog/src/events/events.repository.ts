/**
 * `event:` and, at creation, `ticket:` keys. Every change writes its catalog.event.* envelope to
 * the outbox in the same Txn, so a committed change always reaches JetStream.
 */
import { Inject, Injectable } from '@nestjs/common';
import { eventRecord, ticketRecord, type EventEnvelope, type EventRecord, type TicketRecord } from '@ticketcd/contracts';
import { chunk, localKey, scanPrefix, toStoreError, unconditionalTxn, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ETCD, outboxPut } from '@ticketcd/platform';

export interface StoredEvent {
  record: EventRecord;
  modRevision: number;
  tickets: (TicketRecord & { type: string })[];
  favourites: number;
}

@Injectable()
export class EventsRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  /** Whether the event was ever created, and whether it is deleted (the record stays, marked deletedAt). */
  async existence(eventId: string): Promise<{ exists: boolean; deleted: boolean }> {
    try {
      const kv = (await this.etcd.kv.get(keys.event(eventId)).exec()).kvs[0];
      if (!kv) return { exists: false, deleted: false };
      return { exists: true, deleted: eventRecord.parse(JSON.parse(kv.value.toString())).deletedAt !== null };
    } catch (e) {
      throw toStoreError(e, 'event read');
    }
  }

  /**
   * The event, its ticket types and its favourite count at one revision (one round trip), or null.
   * `local`: a serializable read, answered by whichever member gets it without a quorum (issue
   * 18.2: with quorum lost; it may be stale). A Txn of serializable ranges only is served locally.
   */
  async find(eventId: string, local = false): Promise<StoredEvent | null> {
    const ns = this.etcd.kv;
    try {
      const res = await unconditionalTxn(ns)
        .then(
          ns.get(keys.event(eventId)).serializable(local),
          ns.getAll().prefix(prefixes.ticketsOf(eventId)).serializable(local),
          ns.get(keys.favouriteCount(eventId)).serializable(local),
        )
        .commit();
      const [eventRange, ticketRange, countRange] = res.responses.map((r) => r.response_range);
      const kv = eventRange?.kvs[0];
      if (!kv) return null;
      const tickets = this.ticketsFrom(ticketRange?.kvs);
      const favourites = Number(countRange?.kvs[0]?.value.toString() ?? 0);
      return { record: eventRecord.parse(JSON.parse(kv.value.toString())), modRevision: Number(kv.mod_revision), tickets, favourites };
    } catch (e) {
      throw toStoreError(e, 'event read');
    }
  }

  /**
   * The ticket types of many events: one Txn of range reads per chunk (etcd's 128-op limit), not
   * a round trip per event. Events without tickets map to []. `local`: serializable, as in find.
   */
  async ticketsOfMany(eventIds: string[], local = false): Promise<Map<string, StoredEvent['tickets']>> {
    const ns = this.etcd.kv;
    const out = new Map<string, StoredEvent['tickets']>();
    try {
      for (const ids of chunk(eventIds)) {
        const res = await unconditionalTxn(ns)
          .then(...ids.map((id) => ns.getAll().prefix(prefixes.ticketsOf(id)).serializable(local)))
          .commit();
        res.responses.forEach((r, j) => out.set(ids[j]!, this.ticketsFrom(r.response_range?.kvs)));
      }
      return out;
    } catch (e) {
      throw toStoreError(e, 'ticket read');
    }
  }

  private ticketsFrom(kvs: { key: Buffer; value: Buffer }[] | undefined): StoredEvent['tickets'] {
    return (kvs ?? []).flatMap((t) => {
      const k = parseKey(localKey(this.etcd, t.key));
      return k.kind === 'ticket' ? [{ type: k.ticketType, ...ticketRecord.parse(JSON.parse(t.value.toString())) }] : [];
    });
  }

  /** The event key and all its ticket keys, with the created event, in one Txn: its revision, or null if the event exists. */
  async create(
    eventId: string,
    record: EventRecord,
    tickets: { type: string; total: number; price: number }[],
    created: EventEnvelope,
  ): Promise<number | null> {
    const ns = this.etcd.kv;
    const ticketPuts = tickets.map((t) => {
      const value: TicketRecord = { total: t.total, remaining: t.total, price: t.price, closed: false };
      return ns.put(keys.ticket(eventId, t.type)).value(JSON.stringify(value));
    });
    try {
      const res = await ns
        .if(keys.event(eventId), 'Create', '==', 0)
        .then(ns.put(keys.event(eventId)).value(JSON.stringify(record)), ...ticketPuts, outboxPut(ns, 'catalog', [created]).put)
        .commit();
      return res.succeeded ? Number(res.header.revision) : null;
    } catch (e) {
      throw toStoreError(e, 'event create');
    }
  }

  /** Replaces the event record if it is unchanged since `modRevision`, with its envelope: the commit revision, or null. */
  async replace(eventId: string, record: EventRecord, modRevision: number, envelope: EventEnvelope): Promise<number | null> {
    const ns = this.etcd.kv;
    try {
      const res = await ns
        .if(keys.event(eventId), 'Mod', '==', modRevision)
        .then(ns.put(keys.event(eventId)).value(JSON.stringify(record)), outboxPut(ns, 'catalog', [envelope]).put)
        .commit();
      return res.succeeded ? Number(res.header.revision) : null;
    } catch (e) {
      throw toStoreError(e, 'event write');
    }
  }

  /** Whether any live event uses this location or type (admin path: a scan is acceptable). */
  async anyEventUses(field: 'location' | 'type', value: string): Promise<boolean> {
    for await (const kv of scanPrefix(this.etcd.kv, prefixes.events())) {
      const e = eventRecord.parse(JSON.parse(kv.value));
      if (e.deletedAt === null && e[field] === value) return true;
    }
    return false;
  }

  /** Whether any ticket key has this type (admin path: a scan is acceptable). */
  async anyTicketOfType(type: string): Promise<boolean> {
    for await (const kv of scanPrefix(this.etcd.kv, 'ticket:')) {
      const k = parseKey(kv.key);
      if (k.kind === 'ticket' && k.ticketType === type) return true;
    }
    return false;
  }
}
