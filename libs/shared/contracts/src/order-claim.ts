/**
 * What an idempotency key names: one order, i.e. one event and its lines. Pure, so the rule
 * "a repeat is the same order only if event and lines match" is unit tested here.
 */
import { AppError } from './errors.js';
import type { OrderClaimRecord } from './records.js';

type Lines = { type: string; quantity: number }[];

/** Lines as inventory sells them: quantities of one type added up (2 + 1 vip = 3 vip), sorted by type. */
export function normaliseLines(lines: Lines): Lines {
  const byType = new Map<string, number>();
  for (const l of lines) byType.set(l.type, (byType.get(l.type) ?? 0) + l.quantity);
  return [...byType].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([type, quantity]) => ({ type, quantity }));
}

export function claimOf(order: { eventId: string; lines: Lines }, now: Date): OrderClaimRecord {
  return { eventId: order.eventId, lines: normaliseLines(order.lines), at: now.toISOString() };
}

/** The same order: same event, same quantity of each type (line order and splitting do not matter). */
export function sameOrder(a: { eventId: string; lines: Lines }, b: { eventId: string; lines: Lines }): boolean {
  return a.eventId === b.eventId && JSON.stringify(normaliseLines(a.lines)) === JSON.stringify(normaliseLines(b.lines));
}

/** The 409 for a key reused for another order: names the first order so the client can find it. */
export function keyReused(orderId: string, first: { eventId: string; lines: Lines }): AppError {
  const lines = normaliseLines(first.lines);
  const what = lines.map((l) => `${l.quantity} ${l.type}`).join(', ');
  return AppError.conflict(
    `this idempotency key already names order ${orderId} (event ${first.eventId}: ${what}); a different order needs a new key`,
    { orderId, eventId: first.eventId, lines },
  );
}
