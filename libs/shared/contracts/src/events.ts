/**
 * Durable events (JetStream). Named in the past tense; each names the stream that stores it.
 * Stream subjects list events one by one (no wildcards) so that no request-reply subject can
 * ever be captured by a stream, which would answer requests with stream acks.
 */
import { z } from 'zod';
import { eventFields, id, revision, slug, soldLine, ticketTypeSpec, username } from './schemas.js';

export interface StreamDef {
  name: string;
  subjects: string[];
  description: string;
}

export interface EventDef<S extends z.ZodType = z.ZodType> {
  type: string;
  stream: string;
  data: S;
}

const defineEvent = <S extends z.ZodType>(type: string, stream: string, data: S): EventDef<S> => ({ type, stream, data });

export const Events = {
  catalog: {
    eventCreated: defineEvent(
      'catalog.event.created',
      'CATALOG',
      z.object({ eventId: id, version: z.number().int().positive(), fields: eventFields, ticketTypes: z.array(ticketTypeSpec) }),
    ),
    eventUpdated: defineEvent(
      'catalog.event.updated',
      'CATALOG',
      z.object({ eventId: id, version: z.number().int().positive(), before: eventFields, after: eventFields }),
    ),
    eventDeleted: defineEvent(
      'catalog.event.deleted',
      'CATALOG',
      z.object({ eventId: id, version: z.number().int().positive(), before: eventFields }),
    ),
  },
  inventory: {
    ticketsSold: defineEvent(
      'inventory.tickets.sold',
      'INVENTORY',
      z.object({ orderId: id, eventId: id, username, lines: z.array(soldLine).min(1), total: z.number().int().nonnegative(), revision }),
    ),
    /**
     * One ticket type's stock after the commit at `revision` (one message per type a commit
     * changed; they share the revision). The `*Before` / `eventRemaining*` fields are exact:
     * the commit compared every ticket key of the event, so the sums are the event's stock just
     * before and just after this one commit, whatever came between the messages (issue 25).
     * Messages from an inventory older than them lack them (the notifier then reads the stock
     * at revision - 1 and revision, see docs/architecture.md, Notifier).
     */
    stockChanged: defineEvent(
      'inventory.stock.changed',
      'INVENTORY',
      z.object({
        eventId: id,
        ticketType: slug,
        total: z.number().int().nonnegative(),
        remaining: z.number().int().nonnegative(),
        /** The commit that changed it (never 0). */
        revision,
        /** This type's remaining count just before the commit. */
        remainingBefore: z.number().int().nonnegative().optional(),
        /** The event's remaining count, summed over all its ticket types, just before the commit. */
        eventRemainingBefore: z.number().int().nonnegative().optional(),
        /** The same sum just after the commit. */
        eventRemainingAfter: z.number().int().nonnegative().optional(),
      }),
    ),
  },
  notifier: {
    alertFired: defineEvent(
      'notifier.alert.fired',
      'NOTIFIER',
      z.object({
        alertId: id,
        username,
        eventId: id,
        remaining: z.number().int().nonnegative(),
        limit: z.number().int().positive(),
        at: z.iso.datetime(),
      }),
    ),
  },
} as const;

export const ALL_EVENTS: EventDef[] = Object.values(Events).flatMap((group) => Object.values(group));

/**
 * The events each service publishes (through its outbox), the design brief's table. A service
 * checks at start-up that a stream takes each of them (issue 25.3), and its outbox relay refuses
 * an entry holding any other type: no stream would ever take it.
 */
export const EVENTS_PUBLISHED_BY: Readonly<Record<string, readonly EventDef[]>> = {
  catalog: Object.values(Events.catalog),
  inventory: Object.values(Events.inventory),
  notifier: Object.values(Events.notifier),
};

/** The events `service` publishes (none for a service that publishes nothing). */
export function eventsPublishedBy(service: string): readonly EventDef[] {
  return Object.hasOwn(EVENTS_PUBLISHED_BY, service) ? EVENTS_PUBLISHED_BY[service]! : [];
}

/** Where poison messages go after their last attempt: kept, inspectable, re-playable. */
export const PARKED_STREAM = 'PARKED';
export const parkedSubject = (durable: string) => `parked.${durable}`;

export const STREAMS: StreamDef[] = [
  ...['CATALOG', 'INVENTORY', 'NOTIFIER'].map((name) => ({
    name,
    subjects: ALL_EVENTS.filter((e) => e.stream === name).map((e) => e.type),
    description: `durable ${name.toLowerCase()} events`,
  })),
  { name: PARKED_STREAM, subjects: ['parked.>'], description: 'messages a consumer gave up on after its last attempt' },
];
