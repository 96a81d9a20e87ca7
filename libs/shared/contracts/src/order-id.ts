import { derivedId } from '@ticketcd/keys';

/**
 * The order id of a purchase attempt, derived from who buys and the client's idempotency key:
 * a client retry, a double click or a gateway retry names the same order, which inventory sells
 * at most once.
 */
export const deriveOrderId = (username: string, idempotencyKey: string): string => derivedId(username, idempotencyKey);
