/**
 * Events: create (event and ticket keys in one Txn), edit guarded by a version number, delete
 * (the record stays, marked deleted, so sales, purchases and stats keep their event). Every
 * change publishes catalog.event.* through the outbox; inventory and the search index follow.
 */
import { Injectable } from '@nestjs/common';
import {
  AppError,
  buildEnvelope,
  Events,
  type EventFields,
  type EventRecord,
  type Rpc,
  type RpcRequest,
  type RpcResult,
} from '@ticketcd/contracts';
import { CONFLICT, EtcdUnavailableError, retryOnConflict } from '@ticketcd/etcd';
import { currentTraceId, newTraceId } from '@ticketcd/observability';
import { DependencyProbe, OutboxRelay } from '@ticketcd/platform';
import { ulid } from 'ulid';
import { StaticService, type StaticLists } from '../static/static.service.js';
import { availabilityOf, EventsCache } from './events.cache.js';
import { compareKeys, decodeCursor, encodeCursor, sortKey } from './events.list.js';
import { EventsRepository, type StoredEvent } from './events.repository.js';

type Summary = RpcResult<typeof Rpc.catalog.updateEvent>;
const FIELDS = ['name', 'description', 'location', 'type', 'date', 'maxPerOrder'] as const;

const fieldsOf = (r: EventRecord): EventFields => Object.fromEntries(FIELDS.map((f) => [f, r[f]])) as EventFields;
const summary = (eventId: string, r: EventRecord): Summary => ({ eventId, version: r.version, ...fieldsOf(r) });

@Injectable()
export class EventsService {
  constructor(
    private readonly repo: EventsRepository,
    private readonly statics: StaticService,
    private readonly relay: OutboxRelay,
    private readonly cache: EventsCache,
    private readonly probe: DependencyProbe,
  ) {}

  /**
   * Issue 18.2: reads of events and stock still answer with quorum lost, from a member-local
   * (serializable) read, flagged stale. Known lost: straight there, no deadline waited; else the
   * normal linearizable read, and the local one only if that fails for availability.
   */
  private async readOrLocal<T>(read: (local: boolean) => Promise<T>): Promise<{ value: T; stale?: string }> {
    const lost = this.probe.etcdQuorumLost;
    if (lost) return { value: await read(true), stale: lost };
    try {
      return { value: await read(false) };
    } catch (e) {
      if (!(e instanceof EtcdUnavailableError)) throw e;
      return { value: await read(true), stale: `etcd quorum lost? ${e.message}` };
    }
  }

  /** Live events, upcoming first, filtered by type and location, in pages. */
  list(req: RpcRequest<typeof Rpc.catalog.listEvents>): RpcResult<typeof Rpc.catalog.listEvents> {
    if (!this.cache.ready) throw AppError.unavailable('etcd', 'the event list is not loaded yet (etcd unreachable since start)');
    const now = new Date().toISOString();
    const after = req.cursor ? decodeCursor(req.cursor) : null;
    if (req.cursor && !after) throw AppError.badRequest('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
    const rows = this.cache
      .all()
      .filter(([, e]) => e.deletedAt === null && (!req.type || e.type === req.type) && (!req.location || e.location === req.location))
      .map(([id, e]) => ({ key: sortKey(id, e, now), id, e }))
      .filter((r) => !after || compareKeys(r.key, after) > 0)
      .sort((a, b) => compareKeys(a.key, b.key));
    const limit = req.limit ?? 20;
    const page = rows.slice(0, limit);
    // The copy stops following the store while the quorum is lost: say so (issue 18.2).
    const lost = this.probe.etcdQuorumLost;
    return {
      items: page.map((r) => summary(r.id, r.e)),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.key) : null,
      ...(lost ? { stale: lost } : {}),
    };
  }

  /** Summaries of these events (live ones only), for favourites. */
  summaries(eventIds: string[]): Summary[] {
    return eventIds.flatMap((id) => {
      const e = this.cache.get(id);
      return e && e.deletedAt === null ? [summary(id, e)] : [];
    });
  }

  private meta() {
    return { source: 'catalog', traceId: currentTraceId() ?? newTraceId() };
  }

  /** Every value that must come from a static list, checked at once: one refusal lists them all. */
  private checkAgainstLists(lists: StaticLists, fields: Partial<EventFields>, ticketTypes: string[] = []): void {
    const problems: { path: string; message: string }[] = [];
    if (fields.location !== undefined && !lists.locations.includes(fields.location)) {
      problems.push({ path: 'location', message: `unknown location "${fields.location}"; known: ${lists.locations.join(', ')}` });
    }
    if (fields.type !== undefined && !lists.eventTypes.includes(fields.type)) {
      problems.push({ path: 'type', message: `unknown event type "${fields.type}"; known: ${lists.eventTypes.join(', ')}` });
    }
    ticketTypes.forEach((t, i) => {
      if (!lists.ticketTypes.includes(t))
        problems.push({ path: `ticketTypes.${i}.type`, message: `unknown ticket type "${t}"; known: ${lists.ticketTypes.join(', ')}` });
    });
    const seen = new Set<string>();
    ticketTypes.forEach((t, i) => {
      if (seen.has(t)) problems.push({ path: `ticketTypes.${i}.type`, message: `ticket type "${t}" is listed twice` });
      seen.add(t);
    });
    if (problems.length) throw AppError.badRequest('invalid event', problems);
  }

  async create(req: RpcRequest<typeof Rpc.catalog.createEvent>): Promise<Summary> {
    const { ticketTypes, ...fields } = req as RpcResult<typeof Rpc.catalog.createEvent> & {
      ticketTypes: { type: string; total: number; price: number }[];
    };
    this.checkAgainstLists(
      await this.statics.lists(),
      fields,
      ticketTypes.map((t) => t.type),
    );
    const eventId = ulid();
    const now = new Date().toISOString();
    const record: EventRecord = { ...(fields as EventFields), version: 1, createdAt: now, updatedAt: now, deletedAt: null };
    const created = buildEnvelope(
      Events.catalog.eventCreated,
      `created:${eventId}`,
      { eventId, version: 1, fields: fieldsOf(record), ticketTypes },
      this.meta(),
    );
    const revision = await this.repo.create(eventId, record, ticketTypes, created);
    if (revision === null) throw AppError.conflict(`event ${eventId} already exists`);
    this.cache.remember(eventId, record, revision);
    this.cache.rememberTickets(
      eventId,
      ticketTypes.map((t) => ({ ...t, remaining: t.total, closed: false })),
      revision,
    );
    this.relay.kick();
    return summary(eventId, record);
  }

  /**
   * From memory while the cache is fresh (issue 27: an event page at an on-sale costs no etcd
   * read); flagged stale with the quorum lost, as the listing. A store read when the cache is not
   * fresh, or does not know the event or its tickets yet (created on another instance a moment
   * ago: its keys may reach this instance's watches apart).
   */
  async get(eventId: string): Promise<RpcResult<typeof Rpc.catalog.getEvent>> {
    const record = this.cache.fresh ? this.cache.get(eventId) : undefined;
    const cachedTickets = record ? this.cache.ticketsOf(eventId) : [];
    if (record && cachedTickets.length) {
      if (record.deletedAt !== null) throw AppError.notFound(`event ${eventId} does not exist`);
      const lost = this.probe.etcdQuorumLost;
      return this.eventPage(eventId, record, cachedTickets, this.cache.favouritesOf(eventId), lost ?? undefined);
    }
    const { value: stored, stale } = await this.readOrLocal((local) => this.live(eventId, local));
    return this.eventPage(
      eventId,
      stored.record,
      [...stored.tickets].sort((a, b) => a.type.localeCompare(b.type)),
      stored.favourites,
      stale,
    );
  }

  private eventPage(
    eventId: string,
    record: EventRecord,
    tickets: readonly { type: string; total: number; remaining: number; price: number }[],
    favourites: number,
    stale: string | undefined,
  ): RpcResult<typeof Rpc.catalog.getEvent> {
    return {
      ...(stale ? { stale } : {}),
      ...summary(eventId, record),
      favourites,
      tickets: tickets.map(({ type, total, remaining, price }) => ({ type, total, remaining, price })),
    };
  }

  /**
   * Per event: the cheapest price still on sale (else the cheapest), and remaining and total over
   * its types. From memory while the cache is fresh; events it does not know tickets of, and
   * every event while it is not fresh, from one store read.
   */
  async availability(eventIds: string[]): Promise<RpcResult<typeof Rpc.catalog.availability>> {
    const unique = [...new Set(eventIds)];
    const items: RpcResult<typeof Rpc.catalog.availability>['items'] = {};
    const fresh = this.cache.fresh;
    const toRead: string[] = [];
    for (const eventId of unique) {
      const tickets = fresh ? this.cache.ticketsOf(eventId) : [];
      if (tickets.length) items[eventId] = availabilityOf(tickets);
      else toRead.push(eventId);
    }
    let stale: string | undefined = toRead.length < unique.length ? (this.probe.etcdQuorumLost ?? undefined) : undefined;
    if (toRead.length) {
      const read = await this.readOrLocal((local) => this.repo.ticketsOfMany(toRead, local));
      stale ??= read.stale;
      for (const [eventId, tickets] of read.value) {
        if (!this.cache.get(eventId) && !tickets.length) continue;
        items[eventId] = availabilityOf(tickets);
      }
    }
    return { items, ...(stale ? { stale } : {}) };
  }

  private async live(eventId: string, local = false): Promise<StoredEvent> {
    const stored = await this.repo.find(eventId, local);
    if (!stored || stored.record.deletedAt !== null) throw AppError.notFound(`event ${eventId} does not exist`);
    return stored;
  }

  /** A lost compare with the version unchanged was a harmless write: the retry re-reads. */
  private casOptions(eventId: string) {
    return {
      attempts: 50,
      what: `event ${eventId}`,
      onExhausted: () => AppError.unavailable('catalog', `event ${eventId} keeps changing; retry`),
    };
  }

  private stale(eventId: string, expected: number, current: number): AppError {
    return AppError.conflict(
      `event ${eventId} was changed meanwhile: you edited version ${expected}, the current version is ${current}; reload and edit again`,
      { currentVersion: current },
    );
  }

  async update(req: RpcRequest<typeof Rpc.catalog.updateEvent>): Promise<Summary> {
    const changes = Object.fromEntries(Object.entries(req.changes).filter(([, v]) => v !== undefined)) as Partial<EventFields>;
    if (Object.keys(changes).length === 0)
      throw AppError.badRequest('nothing to change: give at least one of name, description, location, type, date, maxPerOrder');
    this.checkAgainstLists(await this.statics.lists(), changes);
    return retryOnConflict(this.casOptions(req.eventId), async () => {
      const stored = await this.live(req.eventId);
      if (stored.record.version !== req.expectedVersion) throw this.stale(req.eventId, req.expectedVersion, stored.record.version);
      const before = fieldsOf(stored.record);
      const record: EventRecord = { ...stored.record, ...changes, version: stored.record.version + 1, updatedAt: new Date().toISOString() };
      const envelope = buildEnvelope(
        Events.catalog.eventUpdated,
        `updated:${req.eventId}:${record.version}`,
        { eventId: req.eventId, version: record.version, before, after: fieldsOf(record) },
        this.meta(),
      );
      // A failed compare is a concurrent write: the re-read decides whether it was an edit (409).
      const revision = await this.repo.replace(req.eventId, record, stored.modRevision, envelope);
      if (revision === null) return CONFLICT;
      this.cache.remember(req.eventId, record, revision);
      this.relay.kick();
      return summary(req.eventId, record);
    });
  }

  async remove(req: RpcRequest<typeof Rpc.catalog.deleteEvent>): Promise<{ eventId: string }> {
    return retryOnConflict(this.casOptions(req.eventId), async () => {
      const stored = await this.repo.find(req.eventId);
      if (!stored) throw AppError.notFound(`event ${req.eventId} does not exist`);
      if (stored.record.deletedAt !== null) return { eventId: req.eventId };
      if (req.expectedVersion !== undefined && stored.record.version !== req.expectedVersion)
        throw this.stale(req.eventId, req.expectedVersion, stored.record.version);
      const now = new Date().toISOString();
      const record: EventRecord = { ...stored.record, version: stored.record.version + 1, updatedAt: now, deletedAt: now };
      const envelope = buildEnvelope(
        Events.catalog.eventDeleted,
        `deleted:${req.eventId}`,
        { eventId: req.eventId, version: record.version, before: fieldsOf(stored.record) },
        this.meta(),
      );
      const revision = await this.repo.replace(req.eventId, record, stored.modRevision, envelope);
      if (revision === null) return CONFLICT;
      this.cache.remember(req.eventId, record, revision);
      this.relay.kick();
      return { eventId: req.eventId };
    });
  }
}
