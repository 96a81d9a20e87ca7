/**
 * Request-reply subjects (core NATS via Nest's transport), each with its request and reply
 * schemas. Subjects are `<service>.<feature>.<verb>`; the first segment names the service that
 * answers, which is what an UNAVAILABLE or TIMEOUT error reports.
 */
import { z } from 'zod';
import type { ServiceName } from '@ticketcd/keys';
import { historyReply, keyHistoryRequest } from './key-history.js';
import {
  cents,
  cursor,
  eventFields,
  id,
  MAX_TICKET_TYPES,
  orderLine,
  pageLimit,
  revision,
  slug,
  soldLine,
  stockLevel,
  ticketTypeSpec,
  username,
} from './schemas.js';

export interface RpcDef<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  subject: string;
  /** The service that answers (the queue group). */
  service: string;
  request: Req;
  reply: Res;
}

const defineRpc = <Req extends z.ZodType, Res extends z.ZodType>(subject: string, request: Req, reply: Res): RpcDef<Req, Res> => ({
  subject,
  service: subject.split('.')[0]!,
  request,
  reply,
});

const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
/**
 * Issue 18.2: set when the reply was read without a quorum (a member-local serializable read or
 * an in-memory copy) and may be stale; says why. Absent on a normal, linearizable read. The
 * gateway passes it on in the body and as the STALE_HEADER response header.
 */
export const staleFlag = z.string().optional();
export const STALE_HEADER = 'X-Data-Stale';
/** A page that may have been read without a quorum. */
const stalePage = <T extends z.ZodType>(item: T) => page(item).extend({ stale: staleFlag });
const eventSummary = eventFields.extend({ eventId: id, version: z.number().int().positive() });

/** What a listing shows of an event's stock: the cheapest price still on sale (else the cheapest), and the counts over all types. */
export const availabilitySummary = z.object({
  fromPrice: cents.nullable(),
  remaining: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
});
/** A page of events as the HTTP listings give it: each with its availability when the catalog could read it. */
export const eventListing = stalePage(eventSummary.extend({ availability: availabilitySummary.optional() }));
const empty = z.object({}).strict();
const salesFigures = z.object({ revenue: z.number().int(), orders: z.number().int(), soldByType: z.record(z.string(), z.number().int()) });
/** One key where the live index and a rebuild disagree (null: absent on that side). */
const indexDifference = z.object({ key: z.string(), live: z.string().nullable(), expected: z.string().nullable() });
const indexReport = z.object({
  revision: z.number().int(),
  events: z.number().int(),
  keys: z.number().int(),
  /** How many keys differ; `differences` lists the first 1,000. */
  differing: z.number().int(),
  differences: z.array(indexDifference),
});

export const purchaseAccepted = z.object({
  status: z.literal('accepted'),
  orderId: id,
  eventId: id,
  lines: z.array(soldLine),
  total: z.number().int().nonnegative(),
  remaining: z.record(z.string(), z.number().int().nonnegative()),
  revision,
});
export const purchaseRefused = z.object({
  status: z.literal('refused'),
  orderId: id,
  eventId: id,
  reason: z.enum(['sold_out', 'unknown_event', 'event_deleted', 'unknown_type', 'over_max_per_order', 'invalid_quantity']),
  message: z.string(),
  lines: z.array(z.object({ type: z.string(), quantity: z.number(), problem: z.string().optional() })),
  remaining: z.record(z.string(), z.number().int().nonnegative()),
});
export const purchaseOutcome = z.discriminatedUnion('status', [purchaseAccepted, purchaseRefused]);

/** A low-stock limit: a positive count of remaining tickets. */
const subscriptionLimit = z.number().int('must be a whole number').positive('must be at least 1').max(1_000_000);
const subscriptionView = z.object({
  eventId: id,
  limit: z.number().int(),
  active: z.boolean(),
  state: z.enum(['armed', 'fired']),
  firedAt: z.string().nullable(),
});

export const Rpc = {
  catalog: {
    createEvent: defineRpc(
      'catalog.events.create',
      eventFields.extend({ ticketTypes: z.array(ticketTypeSpec).min(1).max(MAX_TICKET_TYPES) }),
      eventSummary,
    ),
    updateEvent: defineRpc(
      'catalog.events.update',
      z.object({ eventId: id, expectedVersion: z.number().int().positive(), changes: eventFields.partial() }),
      eventSummary,
    ),
    deleteEvent: defineRpc(
      'catalog.events.delete',
      z.object({ eventId: id, expectedVersion: z.number().int().positive().optional() }),
      z.object({ eventId: id }),
    ),
    getEvent: defineRpc(
      'catalog.events.get',
      z.object({ eventId: id }),
      eventSummary.extend({ tickets: z.array(stockLevel), favourites: z.number().int().nonnegative(), stale: staleFlag }),
    ),
    listEvents: defineRpc(
      'catalog.events.list',
      z.object({ type: slug.optional(), location: slug.optional(), limit: pageLimit, cursor }),
      stalePage(eventSummary),
    ),
    getStaticLists: defineRpc(
      'catalog.static.get',
      empty,
      z.object({ locations: z.array(slug), eventTypes: z.array(slug), ticketTypes: z.array(slug) }),
    ),
    updateStaticList: defineRpc(
      'catalog.static.update',
      z.object({
        list: z.enum(['locations', 'event-types', 'ticket-types']),
        add: z.array(slug).default([]),
        remove: z.array(slug).default([]),
      }),
      z.object({ values: z.array(slug) }),
    ),
    addFavourite: defineRpc('catalog.favourites.add', z.object({ username, eventId: id }), z.object({ favourite: z.boolean() })),
    removeFavourite: defineRpc('catalog.favourites.remove', z.object({ username, eventId: id }), z.object({ favourite: z.boolean() })),
    listFavourites: defineRpc('catalog.favourites.list', z.object({ username, limit: pageLimit, cursor }), page(eventSummary)),
    /** The availability of a page of events in one read (listings; no call per event). Unknown ids are left out. */
    availability: defineRpc(
      'catalog.events.availability',
      z.object({ eventIds: z.array(id).max(200) }),
      z.object({ items: z.record(z.string(), availabilitySummary), stale: staleFlag }),
    ),
    /** Admin only: whether the event was ever created (a deleted one still exists, marked deleted). */
    eventExists: defineRpc('catalog.events.exists', z.object({ eventId: id }), z.object({ exists: z.boolean(), deleted: z.boolean() })),
    /** Admin only (the gateway's key history route): a key of this service's own prefixes, its past values. */
    keyHistory: defineRpc('catalog.keys.history', keyHistoryRequest, historyReply),
  },
  inventory: {
    purchase: defineRpc(
      'inventory.purchase',
      z.object({
        orderId: id,
        username,
        eventId: id,
        lines: z.array(orderLine).min(1).max(20),
        /**
         * True only when the caller knows no earlier send of this orderId exists (a benchmark, the
         * data loader; orders cannot know, issue 27). A refusal may then skip looking for the
         * order's sale; any other send (absent: unknown) is checked, so a retry of a sold order
         * gets its sale.
         */
        firstSend: z.boolean().optional(),
      }),
      purchaseOutcome,
    ),
    availability: defineRpc(
      'inventory.availability',
      z.object({ eventId: id }),
      z.object({ eventId: id, tickets: z.array(stockLevel), revision }),
    ),
    adjust: defineRpc(
      'inventory.adjust',
      z.object({ eventId: id, ticketType: slug, total: z.number().int().min(0).max(1_000_000).optional(), price: cents.optional() }),
      stockLevel.extend({ revision }),
    ),
    /** Admin only (the gateway's key history route): a key of this service's own prefixes, its past values. */
    keyHistory: defineRpc('inventory.keys.history', keyHistoryRequest, historyReply),
  },
  orders: {
    place: defineRpc(
      'orders.place',
      z.object({ username, eventId: id, lines: z.array(orderLine).min(1).max(20), idempotencyKey: z.string().min(1).max(128) }),
      purchaseOutcome,
    ),
    history: defineRpc(
      'orders.history',
      z.object({ username, limit: pageLimit, cursor }),
      page(z.object({ orderId: id, eventId: id, lines: z.array(soldLine), total: z.number().int(), at: z.iso.datetime() })),
    ),
    /** Every sale of one event, for admins (the event may be deleted). */
    eventSales: defineRpc(
      'orders.event-sales',
      z.object({ eventId: id, limit: pageLimit, cursor }),
      page(z.object({ orderId: id, username, lines: z.array(soldLine), total: z.number().int(), at: z.iso.datetime() })),
    ),
    stats: defineRpc('orders.stats', z.object({ eventId: id.optional() }), salesFigures),
    /** Every event's figures in one read (events without a sale are left out): the admin's per-event chart and table. */
    statsByEvent: defineRpc('orders.stats.events', empty, z.object({ items: z.record(z.string(), salesFigures) })),
    /**
     * Recomputes stats from the sale: records already counted (with a purchase: key) and reports
     * where the kept stats differ (none when healthy); `uncounted` sales are left to the consumer.
     */
    reconcile: defineRpc(
      'orders.stats.reconcile',
      z.object({ fix: z.boolean().default(false) }),
      z.object({
        events: z.number().int(),
        differences: z.array(z.object({ key: z.string(), kept: z.unknown(), recomputed: z.unknown() })),
        uncounted: z.number().int(),
        fixed: z.boolean(),
      }),
    ),
    /** Admin only (the gateway's key history route): a key of this service's own prefixes, its past values. */
    keyHistory: defineRpc('orders.keys.history', keyHistoryRequest, historyReply),
  },
  search: {
    query: defineRpc(
      'search.query',
      z.object({ text: z.string().max(200).optional(), type: slug.optional(), location: slug.optional(), limit: pageLimit, cursor }),
      stalePage(eventSummary),
    ),
    /** Compares the live index with one rebuilt from event: keys at the same revision; no differences when healthy. */
    verify: defineRpc('search.index.verify', empty, indexReport),
    /** Rewrites what differs from a rebuild (event by event, guarded); dryRun only reports. */
    rebuild: defineRpc(
      'search.index.rebuild',
      z.object({ dryRun: z.boolean().default(false) }),
      indexReport.extend({ repairedEvents: z.number().int(), skippedEvents: z.array(id) }),
    ),
    /** Admin only (the gateway's key history route): a key of this service's own prefixes, its past values. */
    keyHistory: defineRpc('search.keys.history', keyHistoryRequest, historyReply),
  },
  notifier: {
    /**
     * Creates or changes the user's subscription to an event. A limit already reached fires an
     * alert at once (state "fired"); `remaining` is the count it was decided against.
     */
    putSubscription: defineRpc(
      'notifier.subscriptions.put',
      z.object({ username, eventId: id, limit: subscriptionLimit, active: z.boolean().default(true) }),
      subscriptionView.extend({ remaining: z.number().int().nonnegative() }),
    ),
    deleteSubscription: defineRpc('notifier.subscriptions.delete', z.object({ username, eventId: id }), z.object({ deleted: z.boolean() })),
    listSubscriptions: defineRpc('notifier.subscriptions.list', z.object({ username }), z.object({ items: z.array(subscriptionView) })),
    listAlerts: defineRpc(
      'notifier.alerts.list',
      z.object({ username, limit: pageLimit, cursor }),
      page(
        z.object({ alertId: id, eventId: id, remaining: z.number().int(), limit: z.number().int(), at: z.string(), read: z.boolean() }),
      ).extend({ unread: z.number().int() }),
    ),
    markAlertRead: defineRpc('notifier.alerts.read', z.object({ username, alertId: id }), z.object({ read: z.boolean() })),
    /** Admin only (the gateway's key history route): a key of this service's own prefixes, its past values. */
    keyHistory: defineRpc('notifier.keys.history', keyHistoryRequest, historyReply),
  },
} as const;

/**
 * Who answers the key history of a service's keys (issue 26.3): every service but the gateway,
 * which walks its own keys itself (its etcd user reads no one else's).
 */
export const KEY_HISTORY_RPCS: Record<Exclude<ServiceName, 'gateway'>, RpcDef<typeof keyHistoryRequest, typeof historyReply>> = {
  catalog: Rpc.catalog.keyHistory,
  inventory: Rpc.inventory.keyHistory,
  orders: Rpc.orders.keyHistory,
  'search-indexer': Rpc.search.keyHistory,
  notifier: Rpc.notifier.keyHistory,
};

export const ALL_RPCS: RpcDef[] = Object.values(Rpc).flatMap((group) => Object.values(group));

export type RpcRequest<D extends RpcDef> = z.input<D['request']>;
export type RpcResult<D extends RpcDef> = z.output<D['reply']>;
