/**
 * Every event, its ticket types and its favourite count in memory, so the listing, the event
 * page and availability are served without an etcd read per request (issue 27): watch-fed copies
 * of `event:`, `ticket:` and `favcount:` (see WatchedPrefix: reloaded in full periodically and
 * after watch errors, so they never drift for long; each entry keeps its mod revision, so an
 * older value never replaces a newer). Writes of this instance are applied at once
 * (read-your-writes) with their commit revision. Stock (`ticket:`, written by inventory) trails
 * the store by the watch's delivery only while the copies are `fresh`; callers read the store
 * when they are not.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { eventRecord, ticketRecord, type EventRecord, type TicketRecord } from '@ticketcd/contracts';
import { WatchedPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';

export type CachedTicket = TicketRecord & { type: string };

/**
 * The ticket types of each event, kept from the `ticket:` copy's changes (its entries are one per
 * key; pages need them per event). Sorted by type, as the event page lists them.
 */
export class TicketIndex {
  private readonly byEvent = new Map<string, Map<string, TicketRecord>>();
  private readonly sorted = new Map<string, CachedTicket[]>();

  static idOf(eventId: string, type: string): string {
    return `${eventId} ${type}`;
  }

  apply(id: string, value: TicketRecord | null): void {
    const sep = id.indexOf(' ');
    const eventId = id.slice(0, sep);
    const type = id.slice(sep + 1);
    let types = this.byEvent.get(eventId);
    if (value) {
      if (!types) this.byEvent.set(eventId, (types = new Map()));
      types.set(type, value);
    } else if (types) {
      types.delete(type);
      if (!types.size) this.byEvent.delete(eventId);
    }
    this.sorted.delete(eventId);
  }

  /** The event's ticket types sorted by type ([] when none is known). */
  of(eventId: string): readonly CachedTicket[] {
    let list = this.sorted.get(eventId);
    if (!list) {
      const types = this.byEvent.get(eventId);
      if (!types) return [];
      list = [...types].map(([type, t]) => ({ type, ...t })).sort((a, b) => a.type.localeCompare(b.type));
      this.sorted.set(eventId, list);
    }
    return list;
  }
}

/** Per event: the cheapest price still on sale (else the cheapest), and remaining and total over its types. */
export function availabilityOf(tickets: readonly { remaining: number; total: number; price: number }[]) {
  let fromOnSale: number | null = null;
  let fromAll: number | null = null;
  let remaining = 0;
  let total = 0;
  for (const t of tickets) {
    remaining += t.remaining;
    total += t.total;
    fromAll = fromAll === null ? t.price : Math.min(fromAll, t.price);
    if (t.remaining > 0) fromOnSale = fromOnSale === null ? t.price : Math.min(fromOnSale, t.price);
  }
  return { fromPrice: fromOnSale ?? fromAll, remaining, total };
}

@Injectable()
export class EventsCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly events: WatchedPrefix<EventRecord>;
  private readonly tickets: WatchedPrefix<TicketRecord>;
  private readonly favcounts: WatchedPrefix<number>;
  private readonly index = new TicketIndex();

  constructor(@Inject(ETCD) etcd: EtcdConnection, log: PinoLogger) {
    log.setContext('events-cache');
    const onError = (what: string) => (err: Error, where: string) =>
      log.warn({ err: err.message, what: where }, `${what} cache: will reload`);
    this.events = new WatchedPrefix(etcd, {
      prefix: prefixes.events(),
      idOf: (key) => {
        const k = parseKey(key);
        return k.kind === 'event' ? k.eventId : null;
      },
      decode: (value) => eventRecord.parse(JSON.parse(value)),
      onError: onError('event'),
    });
    this.tickets = new WatchedPrefix(etcd, {
      prefix: prefixes.tickets(),
      idOf: (key) => {
        const k = parseKey(key);
        return k.kind === 'ticket' ? TicketIndex.idOf(k.eventId, k.ticketType) : null;
      },
      decode: (value) => ticketRecord.parse(JSON.parse(value)),
      onApply: (id, _revision, value) => this.index.apply(id, value),
      onError: onError('ticket'),
    });
    this.favcounts = new WatchedPrefix(etcd, {
      prefix: prefixes.favouriteCounts(),
      idOf: (key) => {
        const k = parseKey(key);
        return k.kind === 'favcount' ? k.eventId : null;
      },
      decode: (value) => Number(value),
      onError: onError('favourite count'),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all([this.events.start(), this.tickets.start(), this.favcounts.start()]);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.events.stop(), this.tickets.stop(), this.favcounts.stop()]);
  }

  /** This instance's own write (committed at `revision`), visible at once unless a newer one is in. */
  remember(eventId: string, record: EventRecord, revision: number): void {
    this.events.set(eventId, record, revision);
  }

  /** This instance's ticket keys written at `revision` (an event's creation). */
  rememberTickets(eventId: string, tickets: readonly CachedTicket[], revision: number): void {
    for (const { type, ...t } of tickets) this.tickets.set(TicketIndex.idOf(eventId, type), t, revision);
  }

  /** The event list is loaded (it may trail the store while its watch reconnects: the listing serves it anyway). */
  get ready(): boolean {
    return this.events.ready;
  }

  /** Every copy is loaded and its watch connected: stock and events trail the store only by the watch's delivery. */
  get fresh(): boolean {
    return this.events.fresh && this.tickets.fresh && this.favcounts.fresh;
  }

  all(): [string, EventRecord][] {
    return this.events.all();
  }

  get(eventId: string): EventRecord | undefined {
    return this.events.get(eventId);
  }

  /** The event's ticket types, sorted by type ([] when none is known yet). */
  ticketsOf(eventId: string): readonly CachedTicket[] {
    return this.index.of(eventId);
  }

  favouritesOf(eventId: string): number {
    return this.favcounts.get(eventId) ?? 0;
  }
}
