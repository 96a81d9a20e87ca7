/**
 * Issue 27, the burst benchmark's judge: how a reply counts (an answer is a 201 or a 409 SOLD_OUT;
 * a 429, a 5xx, any other 4xx, a timeout or a dropped connection is a failure) and the 0-oversold
 * checks against the store. Wrong here, the benchmark would report a broken run as passing.
 */
import { burstQuantity, checkBurst, classifyError, classifyReply, percentileOf, type BurstReply, type BurstStore } from './burst.js';

const O = (n: number) => `01J0000000000000000000${String(n).padStart(4, '0')}`;
const sold = (orderId: string, quantity: number, ms = 100): BurstReply => ({ kind: 'sale', label: '201', orderId, quantity, ms });
const refused = (ms = 100): BurstReply => ({ kind: 'sold out', label: '409 SOLD_OUT', ms });
const failed = (label: string, ms = 5000): BurstReply => ({ kind: 'failure', label, ms });
const okOf = (checks: { check: string; ok: boolean }[]) => Object.fromEntries(checks.map((c) => [c.check, c.ok]));

describe('burst: classifying a reply', () => {
  const purchase = {
    status: 'accepted',
    orderId: O(1),
    eventId: O(9),
    lines: [{ type: 'general', quantity: 3, unitPrice: 2500 }],
    total: 7500,
    remaining: { general: 10 },
    revision: 12,
  };

  it('a 201 with a purchase is a sale of its tickets', () => {
    expect(classifyReply(201, purchase)).toEqual({ kind: 'sale', label: '201', orderId: O(1), quantity: 3 });
    expect(classifyReply(201, { ...purchase, lines: [{ quantity: 1 }, { quantity: 2 }] }).quantity).toBe(3);
  });

  it('a 201 without a purchase in its body is a failure (the sale cannot be checked)', () => {
    expect(classifyReply(201, null).kind).toBe('failure');
    expect(classifyReply(201, { orderId: O(1), lines: [] }).kind).toBe('failure');
    expect(classifyReply(201, { orderId: O(1), lines: [{ quantity: 0 }] }).kind).toBe('failure');
    expect(classifyReply(201, { lines: [{ quantity: 1 }] }).kind).toBe('failure');
  });

  it('a 409 SOLD_OUT is an answer; any other 409 is a failure', () => {
    expect(classifyReply(409, { error: { code: 'SOLD_OUT', message: 'not enough tickets' } })).toEqual({
      kind: 'sold out',
      label: '409 SOLD_OUT',
    });
    expect(classifyReply(409, { error: { code: 'CONFLICT' } })).toEqual({ kind: 'failure', label: '409 CONFLICT' });
    expect(classifyReply(409, null).kind).toBe('failure');
  });

  it('a 429, a 5xx and any other 4xx are failures, labelled by status and code', () => {
    expect(classifyReply(429, { error: { code: 'RATE_LIMITED' } })).toEqual({ kind: 'failure', label: '429 RATE_LIMITED' });
    expect(classifyReply(503, { error: { code: 'UNAVAILABLE' } })).toEqual({ kind: 'failure', label: '503 UNAVAILABLE' });
    expect(classifyReply(504, null)).toEqual({ kind: 'failure', label: '504' });
    expect(classifyReply(500, 'oops')).toEqual({ kind: 'failure', label: '500' });
    expect(classifyReply(400, { error: { code: 'BAD_REQUEST' } }).kind).toBe('failure');
    expect(classifyReply(401, { error: { code: 'UNAUTHENTICATED' } }).kind).toBe('failure');
    expect(classifyReply(200, purchase).kind).toBe('failure');
  });

  it('no reply: a client timeout or a connection error is a failure', () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    expect(classifyError(timeout)).toEqual({ kind: 'failure', label: 'client timeout' });
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    expect(classifyError(reset)).toEqual({ kind: 'failure', label: 'connection error ECONNRESET' });
    expect(classifyError(new TypeError('fetch failed'))).toEqual({ kind: 'failure', label: 'connection error' });
  });
});

describe('burst: the checks against the store', () => {
  // 10 tickets: orders 1 (4) and 2 (4) sold, 3 refused, 2 left.
  const replies = [sold(O(1), 4, 200), sold(O(2), 4, 300), refused(400)];
  const store: BurstStore = {
    ticket: { total: 10, remaining: 2 },
    sales: [
      { orderId: O(1), quantity: 4 },
      { orderId: O(2), quantity: 4 },
    ],
  };
  const opts = { orders: 3, tickets: 10 };

  it('passes a consistent run, with its figures', () => {
    const { checks, figures } = checkBurst(opts, replies, store);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(figures).toMatchObject({ replies: 3, sales: 2, soldOut: 1, failures: 0, soldBy201: 8, soldInStore: 8, oversold: 0 });
    expect(figures.byLabel).toEqual(
      new Map([
        ['201', 2],
        ['409 SOLD_OUT', 1],
      ]),
    );
    expect(figures.answerP50Ms).toBe(300);
    expect(figures.maxMs).toBe(400);
  });

  it('sale: records holding more tickets than the stock are oversold, even when remaining says 0', () => {
    const over = { ticket: { total: 10, remaining: 0 }, sales: [...store.sales, { orderId: O(3), quantity: 4 }] };
    const { checks, figures } = checkBurst(opts, [...replies.slice(0, 2), sold(O(3), 4)], over);
    expect(figures.oversold).toBe(2);
    expect(okOf(checks)['0 oversold']).toBe(false);
    expect(okOf(checks)['remaining = total - sold in sale: records']).toBe(false);
  });

  it('201s promising more tickets than the stock are oversold even if the store lost the sales', () => {
    const { checks, figures } = checkBurst({ orders: 3, tickets: 10 }, [sold(O(1), 4), sold(O(2), 4), sold(O(3), 4)], store);
    expect(figures.oversold).toBe(2);
    expect(okOf(checks)['0 oversold']).toBe(false);
    expect(okOf(checks)['every 201 is a sale: record of the same tickets']).toBe(false);
  });

  it('a negative remaining is oversold; a changed total or a missing ticket key fails', () => {
    expect(checkBurst(opts, replies, { ...store, ticket: { total: 10, remaining: -1 } }).figures.oversold).toBe(1);
    expect(okOf(checkBurst(opts, replies, { ...store, ticket: { total: 12, remaining: 4 } }).checks)['0 oversold']).toBe(false);
    expect(okOf(checkBurst(opts, replies, { ...store, ticket: null }).checks)['0 oversold']).toBe(false);
  });

  it('remaining off from the sale: records fails (invariant 1)', () => {
    const { checks } = checkBurst(opts, replies, { ...store, ticket: { total: 10, remaining: 3 } });
    expect(okOf(checks)['remaining = total - sold in sale: records']).toBe(false);
    expect(okOf(checks)['0 oversold']).toBe(true);
  });

  it('a 201 whose sale: record is missing, holds other tickets, or whose order id came twice fails', () => {
    const other = { ...store, sales: [{ orderId: O(1), quantity: 3 }, store.sales[1]!] };
    expect(okOf(checkBurst(opts, replies, other).checks)['every 201 is a sale: record of the same tickets']).toBe(false);
    const twice = [sold(O(1), 4), sold(O(1), 4), refused()];
    expect(okOf(checkBurst(opts, twice, store).checks)['every 201 is a sale: record of the same tickets']).toBe(false);
  });

  it('a sale without a 201 is allowed only for a request that failed (it may have bought)', () => {
    const without = [sold(O(1), 4), refused(), refused()];
    expect(okOf(checkBurst(opts, without, store).checks)['a sale without a 201 only for a failed request']).toBe(false);
    const timedOut = [sold(O(1), 4), failed('client timeout'), refused()];
    const r = checkBurst(opts, timedOut, store);
    expect(okOf(r.checks)['a sale without a 201 only for a failed request']).toBe(true);
    expect(r.figures.failures).toBe(1);
    // A failure's latency counts in every reply's p99, not in the answers'.
    expect(r.figures.maxMs).toBe(5000);
    expect(r.figures.answerP99Ms).toBe(100);
  });

  it('a missing reply fails', () => {
    expect(okOf(checkBurst({ orders: 4, tickets: 10 }, replies, store).checks)['a reply for every order sent']).toBe(false);
  });
});

describe('burst: helpers', () => {
  it('orders ask 1..max tickets in turn, and percentiles are nearest-rank', () => {
    expect([0, 1, 2, 3, 4].map((i) => burstQuantity(i, 4))).toEqual([1, 2, 3, 4, 1]);
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentileOf(xs, 50)).toBe(51);
    expect(percentileOf(xs, 99)).toBe(100);
    expect(percentileOf([], 50)).toBe(0);
  });
});
