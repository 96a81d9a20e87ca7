import { id, orderLine } from '@ticketcd/contracts';
import { z } from 'zod';

export const placeOrderBody = z.strictObject({ eventId: id, lines: z.array(orderLine).min(1).max(20) });
/** Printable ASCII, as clients generate them (UUIDs, ULIDs, random strings). */
export const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces');
export const idempotencyHeader = z.object({ 'Idempotency-Key': idempotencyKey });
