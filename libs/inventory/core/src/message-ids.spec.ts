/** Invariant 3 / issue 13 point 1: every event's message id is unique per fact, so dedupe never drops a distinct sale. */
import { soldMessageId, stockMessageId } from './message-ids.js';

const A = '01JDQ3Z6X8M2N4P6R8T0V2W4Y6';
const B = '01JDQ3Z6X8M2N4P6R8T0V2W4Y7';
const ORDER = '0d6e1f4c-3a2b-8c5d-8e9f-0a1b2c3d4e5f';

describe('message ids', () => {
  it('tickets.sold: the same order id under two events is two facts, a re-relay of one is the same id', () => {
    expect(soldMessageId(A, ORDER)).not.toBe(soldMessageId(B, ORDER));
    expect(soldMessageId(A, ORDER)).toBe(soldMessageId(A, ORDER));
    expect(soldMessageId(A, ORDER)).toBe(`sold:${A}:${ORDER}`);
  });

  it('stock.changed: one per event, type and commit revision', () => {
    const ids = [stockMessageId(A, 'vip', 7), stockMessageId(B, 'vip', 7), stockMessageId(A, 'pit', 7), stockMessageId(A, 'vip', 8)];
    expect(new Set(ids).size).toBe(4);
    expect(stockMessageId(A, 'vip', 7)).toBe(stockMessageId(A, 'vip', 7));
  });
});
