/** Field schemas shared by several payloads: one rule per field, used on every edge. */
import { isId, isSlug, USERNAME_PATTERN } from '@ticketcd/keys';
import { z } from 'zod';

export const id = z.string().refine(isId, 'must be a lower-case UUID or a ULID');
export const username = z.string().regex(USERNAME_PATTERN, 'must be 3-32 characters of a-z, 0-9, _ . -');
export const slug = z.string().refine(isSlug, 'must be 1-32 characters of a-z, 0-9 and - (no ":" or "/")');
/** Prices are integer cents: floating point money drifts. */
export const cents = z.number().int('must be whole cents').min(0).max(100_000_000);
export const quantity = z.number().int('must be a whole number').positive('must be at least 1').max(10_000);
export const isoDate = z.iso.datetime({ offset: true });
export const revision = z.number().int().nonnegative();
/** Opaque pagination cursor. */
export const cursor = z.string().max(512).optional();
export const pageLimit = z.number().int().min(1).max(200).default(20);

export const orderLine = z.object({ type: slug, quantity });
export const soldLine = z.object({ type: slug, quantity, unitPrice: cents });

export const eventFields = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000),
  location: slug,
  type: slug,
  date: isoDate,
  maxPerOrder: z.number().int().min(1).max(100),
});
export type EventFields = z.infer<typeof eventFields>;

/**
 * Most ticket types an event may have. With 100 orders per group-commit batch this keeps a
 * batch's Txn (one op per touched type, per order, plus the outbox entry) under etcd's 128.
 */
export const MAX_TICKET_TYPES = 20;

export const ticketTypeSpec = z.object({ type: slug, total: z.number().int().min(1).max(1_000_000), price: cents });
export const stockLevel = z.object({
  type: slug,
  total: z.number().int().nonnegative(),
  remaining: z.number().int().nonnegative(),
  price: cents,
});
