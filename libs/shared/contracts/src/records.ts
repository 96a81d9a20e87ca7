/**
 * Shapes of the JSON values stored in etcd that more than one service reads. A service parses a
 * value with these before trusting it; writers build values with them.
 */
import { z } from 'zod';
import { cents, eventFields, id, orderLine, slug, soldLine, username } from './schemas.js';

/** Account roles: an admin may also manage the catalog and see the cluster. */
export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** `user:<username>`: written by the gateway (sign-up, first admin) and by ticketctl populate. */
export const userRecord = z.object({
  username: z.string(),
  name: z.string(),
  email: z.string(),
  /** scrypt, see @ticketcd/platform's hashPassword. */
  passwordHash: z.string(),
  role: z.enum(ROLES),
  createdAt: z.string(),
});
export type UserRecord = z.infer<typeof userRecord>;

/** `event:<eventId>`: written by catalog; inventory reads maxPerOrder. */
export const eventRecord = eventFields.extend({
  version: z.number().int().positive(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  deletedAt: z.iso.datetime().nullable().default(null),
});
export type EventRecord = z.infer<typeof eventRecord>;

/** `ticket:<eventId>:<type>`: created by catalog with the event; only inventory changes it after. */
export const ticketRecord = z
  .object({
    total: z.number().int().nonnegative(),
    remaining: z.number().int().nonnegative(),
    price: cents,
    /** Set by inventory when the event is deleted: no more sales. */
    closed: z.boolean().default(false),
  })
  .refine((t) => t.remaining <= t.total, 'remaining must not exceed total');
export type TicketRecord = z.infer<typeof ticketRecord>;

/**
 * `sale:<eventId>:<orderId>`: the durable fact of a sale, written in the Txn that decrements the
 * tickets. With the ids in its key it holds the whole accepted reply, so a retried order gets
 * the first reply back. Kept small: a hot on-sale writes a hundred of these per Txn.
 */
export const saleRecord = z.object({
  username,
  lines: z.array(soldLine).min(1),
  total: z.number().int().nonnegative(),
  /** Remaining per touched type right after this order. */
  remaining: z.record(slug, z.number().int().nonnegative()),
  at: z.iso.datetime(),
  /** The trace of the purchase, carried onto its tickets.sold event. */
  traceId: z.string().max(128).optional(),
});
export type SaleRecord = z.infer<typeof saleRecord>;

/**
 * `order:<username>:<orderId>`: the order an idempotency key sold, written by inventory with the
 * sale in one Txn (issue 27; older data: by orders.place before the sale, also for refusals); a
 * repeat of the key for anything else is refused.
 */
export const orderClaimRecord = z.object({
  eventId: id,
  /** Normalised: one line per type (quantities added up), sorted by type. */
  lines: z.array(orderLine).min(1),
  at: z.iso.datetime(),
});
export type OrderClaimRecord = z.infer<typeof orderClaimRecord>;

/** `purchase:<username>:<eventId>:<orderId>`: the buyer's history, written from tickets.sold. */
export const purchaseRecord = z.object({
  lines: z.array(soldLine).min(1),
  total: z.number().int().nonnegative(),
  at: z.iso.datetime(),
  /** etcd revision of the sale. */
  revision: z.number().int().nonnegative(),
});
export type PurchaseRecord = z.infer<typeof purchaseRecord>;

/** `stats:<eventId>` and `stats:all`: kept current from tickets.sold, one count per order. */
export const statsRecord = z.object({
  revenue: z.number().int().nonnegative(),
  orders: z.number().int().nonnegative(),
  soldByType: z.record(z.string(), z.number().int().nonnegative()),
});
export type StatsRecord = z.infer<typeof statsRecord>;
export const EMPTY_STATS: StatsRecord = { revenue: 0, orders: 0, soldByType: {} };

/**
 * `outbox-quarantine:<service>:<entryId>`: an outbox entry the relay could not expand or publish
 * after its attempts, set aside with why. Written by the service's relay, read by operators.
 */
export const outboxQuarantineRecord = z.object({
  /** The outbox entry's value, byte for byte (it may not even be JSON). */
  value: z.string(),
  reason: z.string(),
  failure: z.string(),
  attempts: z.number().int(),
  createRevision: z.number().int(),
  quarantinedAt: z.iso.datetime(),
  instance: z.string(),
});
export type OutboxQuarantineRecord = z.infer<typeof outboxQuarantineRecord>;
