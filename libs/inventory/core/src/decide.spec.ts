/** Invariant 1 at the decision level: never sell what is not there; all lines or none. */
import { decideBatch, type Sale, mergeLines, type BatchState, type OrderRequest, type TicketState } from './decide.js';

const EVENT = '01JDQ3Z6X8M2N4P6R8T0V2W4Y6';
const oid = (n: number) => `01JDQ3Z6X8M2N4P6R8T0V2W${String(n).padStart(3, '0')}`.replace(/[ILOU]/g, '0');
const order = (n: number, lines: OrderRequest['lines'], username = 'buyer'): OrderRequest => ({
  orderId: oid(n),
  username,
  eventId: EVENT,
  lines,
});
const ticket = (total: number, remaining: number, price: number, closed = false): TicketState => ({
  total,
  remaining,
  price,
  closed,
  modRevision: 7,
});

function state(tickets: Record<string, TicketState>, extra: Partial<BatchState> = {}): BatchState {
  return { event: { maxPerOrder: 10, deleted: false }, tickets: new Map(Object.entries(tickets)), existingSales: new Map(), ...extra };
}

const now = new Date('2026-11-24T20:00:00.000Z');

describe('decideBatch', () => {
  it('sells in arrival order until a type runs out, all lines or none', () => {
    const d = decideBatch(
      [
        order(1, [
          { type: 'vip', quantity: 2 },
          { type: 'floor', quantity: 1 },
        ]),
        order(2, [{ type: 'vip', quantity: 2 }]),
        order(3, [
          { type: 'vip', quantity: 1 },
          { type: 'floor', quantity: 1 },
        ]),
        order(4, [{ type: 'floor', quantity: 1 }]),
      ],
      state({ vip: ticket(3, 3, 5000), floor: ticket(2, 2, 2500) }),
      now,
    );
    expect([...d.outcomes.values()].map((o) => o.status)).toEqual(['accepted', 'refused', 'accepted', 'refused']);
    const refused = d.outcomes.get(oid(2))!;
    expect(refused).toMatchObject({
      reason: 'sold_out',
      lines: [{ type: 'vip', quantity: 2, problem: 'only 1 left' }],
      remaining: { vip: 1, floor: 1 },
    });
    expect(d.outcomes.get(oid(4))).toMatchObject({ reason: 'sold_out', remaining: { vip: 0, floor: 0 } });
    expect(d.sales.map((s) => s.orderId)).toEqual([oid(1), oid(3)]);
    expect(d.sales[0]).toMatchObject({
      total: 2 * 5000 + 2500,
      remaining: { vip: 1, floor: 1 },
      lines: [
        { type: 'vip', quantity: 2, unitPrice: 5000 },
        { type: 'floor', quantity: 1, unitPrice: 2500 },
      ],
    });
    expect(d.touched.get('vip')!.remaining).toBe(0);
    expect(d.touched.get('floor')!.remaining).toBe(0);
  });

  it('never lets remaining go below zero, whatever the batch', () => {
    const orders = Array.from({ length: 200 }, (_, i) => order(i, [{ type: ['a', 'b', 'c'][i % 3]!, quantity: 1 + (i % 4) }]));
    const s = state({ a: ticket(50, 50, 100), b: ticket(50, 50, 100), c: ticket(50, 50, 100) });
    const d = decideBatch(orders, s, now);
    for (const [type, t] of d.touched) {
      const sold = d.sales
        .flatMap((x) => x.lines)
        .filter((l) => l.type === type)
        .reduce((n, l) => n + l.quantity, 0);
      expect(t.remaining).toBeGreaterThanOrEqual(0);
      expect(t.total - t.remaining).toBe(sold);
    }
    // The input state is not mutated: a failed commit re-decides from a fresh read.
    expect(s.tickets.get('a')!.remaining).toBe(50);
  });

  it('merges repeated lines of one type', () => {
    expect(
      mergeLines([
        { type: 'a', quantity: 1 },
        { type: 'b', quantity: 2 },
        { type: 'a', quantity: 3 },
      ]),
    ).toEqual([
      { type: 'a', quantity: 4 },
      { type: 'b', quantity: 2 },
    ]);
  });

  it.each([
    ['an unknown event', state({}, { event: null }), [{ type: 'vip', quantity: 1 }], 'unknown_event', /does not exist/],
    [
      'a deleted event',
      state({ vip: ticket(5, 5, 1) }, { event: { maxPerOrder: 10, deleted: true } }),
      [{ type: 'vip', quantity: 1 }],
      'event_deleted',
      /no longer on sale/,
    ],
    ['a closed event', state({ vip: ticket(5, 5, 1, true) }), [{ type: 'vip', quantity: 1 }], 'event_deleted', /no longer on sale/],
    [
      'an unknown type',
      state({ vip: ticket(5, 5, 1) }),
      [
        { type: 'vip', quantity: 1 },
        { type: 'gold', quantity: 1 },
      ],
      'unknown_type',
      /unknown ticket type\(s\): gold; this event sells vip/,
    ],
    ['a zero quantity', state({ vip: ticket(5, 5, 1) }), [{ type: 'vip', quantity: 0 }], 'invalid_quantity', /at least 1/],
    [
      'too many tickets',
      state({ vip: ticket(50, 50, 1) }),
      [{ type: 'vip', quantity: 11 }],
      'over_max_per_order',
      /at most 10 tickets per order for this event; this order asks for 11/,
    ],
  ] as const)('refuses %s with a clear reason and sells nothing', (_label, s, lines, reason, message) => {
    const d = decideBatch([order(1, [...lines])], s, now);
    expect(d.outcomes.get(oid(1))).toMatchObject({ status: 'refused', reason, message: expect.stringMatching(message) });
    expect(d.sales).toHaveLength(0);
    expect(d.touched.size).toBe(0);
  });

  it('answers a retried order with its first outcome and sells nothing again', () => {
    const sale: Sale = {
      orderId: oid(1),
      eventId: EVENT,
      username: 'buyer',
      lines: [{ type: 'vip', quantity: 1, unitPrice: 10 }],
      total: 10,
      remaining: { vip: 4 },
      at: now.toISOString(),
    };
    const d = decideBatch(
      [order(1, [{ type: 'vip', quantity: 1 }]), order(1, [{ type: 'vip', quantity: 1 }])],
      state({ vip: ticket(5, 2, 10) }, { existingSales: new Map([[oid(1), { sale, revision: 42 }]]) }),
      now,
    );
    expect(d.outcomes.get(oid(1))).toEqual({
      status: 'accepted',
      orderId: oid(1),
      eventId: EVENT,
      lines: sale.lines,
      total: 10,
      remaining: { vip: 4 },
      revision: 42,
    });
    expect(d.sales).toHaveLength(0);
  });

  it('decides the same order id once within a batch', () => {
    const d = decideBatch(
      [order(1, [{ type: 'vip', quantity: 1 }]), order(1, [{ type: 'vip', quantity: 1 }])],
      state({ vip: ticket(5, 5, 10) }),
      now,
    );
    expect(d.sales).toHaveLength(1);
    expect(d.touched.get('vip')!.remaining).toBe(4);
  });

  // Issue 27, invariant 3: a key binds on a sale only; its order: key (written with the sale) names what it sold.
  it('refuses nothing and sells nothing for a key that sold another order: it is reported as reused', () => {
    const OTHER = '01JDQ3Z6X8M2N4P6R8T0V2W4Z9';
    const first = { eventId: OTHER, lines: [{ type: 'vip', quantity: 1 }], at: now.toISOString() };
    const d = decideBatch(
      [order(1, [{ type: 'vip', quantity: 1 }]), order(2, [{ type: 'vip', quantity: 2 }])],
      state({ vip: ticket(5, 5, 10) }, { orderKeys: new Map([[`order:buyer:${oid(1)}`, { claim: first, modRevision: 3 }]]) }),
      now,
    );
    expect(d.reused.get(oid(1))).toEqual(first);
    expect(d.outcomes.has(oid(1))).toBe(false);
    expect(d.sales.map((x) => x.orderId)).toEqual([oid(2)]);
    expect(d.touched.get('vip')!.remaining).toBe(3);
  });

  it('sells an order whose order: key names this very order (older data: a claim written before the sale)', () => {
    const claim = { eventId: EVENT, lines: [{ type: 'vip', quantity: 2 }], at: now.toISOString() };
    const d = decideBatch(
      [
        order(1, [
          { type: 'vip', quantity: 1 },
          { type: 'vip', quantity: 1 },
        ]),
      ],
      state({ vip: ticket(5, 5, 10) }, { orderKeys: new Map([[`order:buyer:${oid(1)}`, { claim, modRevision: 3 }]]) }),
      now,
    );
    expect(d.reused.size).toBe(0);
    expect(d.sales).toHaveLength(1);
  });
});
