/** Invariant 3 / issue 13 point 1: an idempotency key names one order, its event and lines. */
import { AppError } from './errors.js';
import { claimOf, keyReused, normaliseLines, sameOrder } from './order-claim.js';

const A = '01JDQ3Z6X8M2N4P6R8T0V2W4Y6';
const B = '01JDQ3Z6X8M2N4P6R8T0V2W4Y7';
const ORDER = '0d6e1f4c-3a2b-8c5d-8e9f-0a1b2c3d4e5f';

describe('order claims', () => {
  it('normalises lines as inventory sells them: one per type, added up, sorted by type', () => {
    expect(
      normaliseLines([
        { type: 'vip', quantity: 1 },
        { type: 'general', quantity: 2 },
        { type: 'vip', quantity: 2 },
      ]),
    ).toEqual([
      { type: 'general', quantity: 2 },
      { type: 'vip', quantity: 3 },
    ]);
    expect(
      claimOf(
        {
          eventId: A,
          lines: [
            { type: 'b', quantity: 1 },
            { type: 'a', quantity: 1 },
          ],
        },
        new Date(0),
      ),
    ).toEqual({
      eventId: A,
      lines: [
        { type: 'a', quantity: 1 },
        { type: 'b', quantity: 1 },
      ],
      at: '1970-01-01T00:00:00.000Z',
    });
  });

  it('is the same order only with the same event and the same quantity of each type', () => {
    const first = {
      eventId: A,
      lines: [
        { type: 'general', quantity: 2 },
        { type: 'vip', quantity: 1 },
      ],
    };
    expect(
      sameOrder(first, {
        eventId: A,
        lines: [
          { type: 'vip', quantity: 1 },
          { type: 'general', quantity: 1 },
          { type: 'general', quantity: 1 },
        ],
      }),
    ).toBe(true);
    expect(sameOrder(first, { eventId: B, lines: first.lines })).toBe(false);
    expect(sameOrder(first, { eventId: A, lines: [{ type: 'general', quantity: 2 }] })).toBe(false);
    expect(
      sameOrder(first, {
        eventId: A,
        lines: [
          { type: 'general', quantity: 2 },
          { type: 'vip', quantity: 2 },
        ],
      }),
    ).toBe(false);
    // Sold lines carry prices; only type and quantity name the order.
    expect(
      sameOrder(first, {
        eventId: A,
        lines: [
          { type: 'general', quantity: 2, unitPrice: 100 },
          { type: 'vip', quantity: 1, unitPrice: 900 },
        ] as never,
      }),
    ).toBe(true);
  });

  it('a reused key is CONFLICT naming the first order, its event and lines', () => {
    const e = keyReused(ORDER, { eventId: A, lines: [{ type: 'vip', quantity: 1 }] });
    expect(e).toBeInstanceOf(AppError);
    expect(e.error).toMatchObject({ code: 'CONFLICT', details: { orderId: ORDER, eventId: A, lines: [{ type: 'vip', quantity: 1 }] } });
    expect(e.error.message).toContain(ORDER);
    expect(e.error.message).toContain(A);
  });
});
