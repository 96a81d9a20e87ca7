/**
 * What `ticketctl generate` produces and `ticketctl populate` loads: plain data, no keys. The
 * keys and stored records are built from it with the project's libs at populate time, so the
 * schema lives in one place (libs/shared/keys, libs/shared/contracts).
 *
 * Deterministic: the same config and seed give the same dataset, byte for byte (ids come from
 * the seeded faker, times from `anchor`, never from the clock).
 */
import type { EventFields } from '@ticketcd/contracts';

export const DATASET_VERSION = 1;

export interface DatasetUser {
  username: string;
  name: string;
  email: string;
  role: 'user' | 'admin';
}

export interface DatasetEvent {
  /** A lower-case UUID. */
  eventId: string;
  fields: EventFields;
  tickets: { type: string; total: number; price: number }[];
}

export interface DatasetPurchase {
  username: string;
  eventId: string;
  /** The order's idempotency key: its order id derives from it (deriveOrderId), so a re-run names the same order. */
  idempotencyKey: string;
  lines: { type: string; quantity: number }[];
}

export interface Dataset {
  version: typeof DATASET_VERSION;
  seed: number;
  /** ISO time every generated timestamp (createdAt, relative dates) is measured from. */
  anchor: string;
  static: { locations: string[]; eventTypes: string[]; ticketTypes: string[] };
  users: DatasetUser[];
  events: DatasetEvent[];
  favourites: { username: string; eventId: string }[];
  /** Low-stock subscriptions: alert when the event's remaining tickets fall to `limit`. */
  subscriptions: { username: string; eventId: string; limit: number }[];
  /** In the order populate sells them. */
  purchases: DatasetPurchase[];
}
