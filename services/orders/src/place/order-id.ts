import { createHash } from 'node:crypto';

/**
 * The order id of a purchase attempt, derived from who buys and the client's idempotency key:
 * a client retry, a double click or a gateway retry names the same order, which inventory sells
 * at most once. Formatted as a version-8 (custom) UUID so it passes the key schema.
 */
export function deriveOrderId(username: string, idempotencyKey: string): string {
  // JSON of the pair: no two different pairs serialize alike.
  const h = createHash('sha256').update(JSON.stringify([username, idempotencyKey])).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
