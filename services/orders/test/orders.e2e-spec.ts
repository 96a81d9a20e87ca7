/**
 * Orders against real catalog, inventory and orders processes on a private cluster and
 * JetStream. Guards invariant 3 through orders.place (idempotency keys: one key names one order,
 * issue 13 point 1), and that history and stats are exact under redelivery and survive a kill -9
 * of the orders service.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import {
  AppError,
  claimOf,
  deriveOrderId,
  Rpc,
  saleRecord,
  ticketRecord,
  type EventEnvelope,
  type RpcRequest,
  type RpcResult,
  type SaleRecord,
} from '@ticketcd/contracts';
import { scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import type { NatsConnection, RpcClient } from '@ticketcd/messaging';
import { startStackWithClients, waitFor, waitPipelineIdle, type Stack, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';

let stack: Stack;
let etcd: EtcdConnection;
let rpc: { client: RpcClient; close: () => Promise<void> };
let nc: NatsConnection;

const DURABLE = 'orders-tickets-sold';
const event = (name: string, total = 400) => ({
  name,
  description: 'orders test',
  location: 'lisbon',
  type: 'concert',
  date: '2027-01-01T20:00:00.000Z',
  maxPerOrder: 10,
  ticketTypes: [
    { type: 'pink', total, price: 1000 },
    { type: 'blue', total, price: 2500 },
  ],
});

async function caughtUp(): Promise<void> {
  // The outbox too: a consumer with nothing pending may only be waiting for the relay.
  await waitPipelineIdle(etcd, nc, {
    outboxes: ['inventory'],
    consumers: [{ stream: 'INVENTORY', durable: DURABLE }],
    what: 'the orders consumer to catch up',
  });
}

/** Every accepted sale, from inventory's sale: records: orderId -> username. */
async function sales(): Promise<Map<string, { username: string; eventId: string; total: number }>> {
  const out = new Map<string, { username: string; eventId: string; total: number }>();
  for await (const kv of scanPrefix(etcd.kv, 'sale:', 1000)) {
    const k = parseKey(kv.key);
    if (k.kind === 'sale') {
      const s = saleRecord.parse(JSON.parse(kv.value));
      out.set(k.orderId, { username: s.username, eventId: k.eventId, total: s.total });
    }
  }
  return out;
}

async function historyOf(username: string): Promise<RpcResult<typeof Rpc.orders.history>['items']> {
  const items = [];
  let cursor: string | undefined;
  do {
    const page = await rpc.client.call(Rpc.orders.history, { username, limit: 7, cursor });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

let clients: StackClients;
beforeAll(async () => {
  clients = await startStackWithClients({ services: ['catalog', 'inventory', 'orders'] });
  ({ stack, etcd, rpc, nc } = clients);
}, 120_000);

afterAll(() => clients?.close());

describe('orders.place', () => {
  it('the same idempotency key 50 times from one user buys once; from two users, twice (invariant 3)', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, event('Idempotent'));
    const place = (username: string) =>
      rpc.client.call(Rpc.orders.place, {
        username,
        eventId: e.eventId,
        idempotencyKey: 'checkout-7f3a',
        lines: [{ type: 'pink', quantity: 2 }],
      });
    const anas = await Promise.all(Array.from({ length: 50 }, () => place('ana')));
    expect(new Set(anas.map((o) => JSON.stringify(o))).size).toBe(1);
    const bobs = await place('bob');
    expect(bobs.orderId).not.toBe(anas[0]!.orderId);
    const a = await rpc.client.call(Rpc.inventory.availability, { eventId: e.eventId });
    expect(a.tickets.find((t) => t.type === 'pink')!.remaining).toBe(400 - 4);
  });

  it('1,000 orders over 5 events with every tickets.sold delivered twice: exact histories and stats, reconcile finds nothing', async () => {
    const events = await Promise.all(
      Array.from({ length: 5 }, (_, i) => rpc.client.call(Rpc.catalog.createEvent, event(`Busy ${i}`, 150))),
    );
    const users = Array.from({ length: 40 }, (_, i) => `fan-${i}`);
    // A client told "unavailable, retry with the same orderId" retries with the same key, as a real
    // one would (a loaded machine can make a read miss its deadline); the key makes it sell once.
    const placeRetrying = async (order: RpcRequest<typeof Rpc.orders.place>) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await rpc.client.call(Rpc.orders.place, order);
        } catch (e) {
          if (!(e instanceof AppError) || !['UNAVAILABLE', 'TIMEOUT'].includes(e.error.code) || attempt === 5) throw e;
        }
      }
    };
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        placeRetrying({
          username: users[i % users.length]!,
          eventId: events[i % 5]!.eventId,
          idempotencyKey: ulid(),
          lines: [{ type: i % 2 ? 'pink' : 'blue', quantity: 1 + (i % 3) }],
        }),
      ),
    );
    const accepted = replies.filter((r) => r.status === 'accepted');
    expect(accepted.length).toBeGreaterThan(100);
    expect(replies.length - accepted.length).toBeGreaterThan(100); // demand exceeded supply
    await caughtUp();

    // Deliver every tickets.sold again, as a redelivery would (new message ids, same envelope).
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('INVENTORY');
    const js = (await import('@nats-io/jetstream')).jetstream(nc);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('INVENTORY', { seq }).catch(() => null);
      if (m?.subject !== 'inventory.tickets.sold') continue;
      const env = m.json<EventEnvelope>();
      await js.publish(m.subject, JSON.stringify(env), { msgID: `${env.id}:again` });
    }
    await caughtUp();

    const sold = await sales();
    for (const username of users) {
      const mine = [...sold]
        .filter(([, s]) => s.username === username)
        .map(([id]) => id)
        .sort();
      const history = await historyOf(username);
      expect(history.map((h) => h.orderId).sort()).toEqual(mine);
      // Newest first.
      expect(history.map((h) => h.at)).toEqual([...history.map((h) => h.at)].sort().reverse());
    }
    for (const e of events) {
      const s = await rpc.client.call(Rpc.orders.stats, { eventId: e.eventId });
      const mine = [...sold.values()].filter((x) => x.eventId === e.eventId);
      expect({ orders: s.orders, revenue: s.revenue }).toEqual({ orders: mine.length, revenue: mine.reduce((n, x) => n + x.total, 0) });
    }
    const all = await rpc.client.call(Rpc.orders.stats, {});
    expect(all.orders).toBe(sold.size);
    // The admin view of one event's sales, in pages, matches the sale records.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rpc.client.call(Rpc.orders.eventSales, { eventId: events[0]!.eventId, limit: 50, cursor });
      seen.push(...page.items.map((i) => i.orderId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual(
      [...sold]
        .filter(([, s]) => s.eventId === events[0]!.eventId)
        .map(([id]) => id)
        .sort(),
    );
    await expect(rpc.client.call(Rpc.orders.reconcile, {})).resolves.toMatchObject({ differences: [], fixed: false });
  });

  it('a kill -9 of the orders service right after the replies loses no history entry', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, event('Crashy'));
    const orders = stack.services.find((s) => s.spec.service === 'orders')!;
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        rpc.client.call(Rpc.orders.place, {
          username: 'crash-fan',
          eventId: e.eventId,
          idempotencyKey: `k-${i}`,
          lines: [{ type: 'pink', quantity: 1 }],
        }),
      ),
    );
    await orders.stop('SIGKILL');
    orders.start();
    await orders.waitReady();
    await caughtUp();
    const history = await historyOf('crash-fan');
    expect(history.map((h) => h.orderId).sort()).toEqual(replies.map((r) => r.orderId).sort());
  });

  it('a deleted event refuses orders; its buyers still see their purchases', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, event('Cancelled'));
    const bought = await rpc.client.call(Rpc.orders.place, {
      username: 'loyal',
      eventId: e.eventId,
      idempotencyKey: 'before',
      lines: [{ type: 'blue', quantity: 1 }],
    });
    await rpc.client.call(Rpc.catalog.deleteEvent, { eventId: e.eventId });
    await waitFor(
      async () => {
        const t = await etcd.kv.get(keys.ticket(e.eventId, 'blue')).string();
        return t !== null && (JSON.parse(t) as { closed: boolean }).closed;
      },
      { timeoutMs: 10_000, what: 'inventory to close the deleted event' },
    );
    const refused = await rpc.client.call(Rpc.orders.place, {
      username: 'loyal',
      eventId: e.eventId,
      idempotencyKey: ulid(),
      lines: [{ type: 'blue', quantity: 1 }],
    });
    expect(refused).toMatchObject({ status: 'refused', reason: 'event_deleted' });
    await caughtUp();
    expect((await historyOf('loyal')).map((h) => h.orderId)).toContain(bought.orderId);
  });

  it('answers UNAVAILABLE naming inventory when no inventory instance runs', async () => {
    const inventory = stack.services.find((s) => s.spec.service === 'inventory')!;
    await inventory.stop();
    try {
      const reply = await rpc.client.request(Rpc.orders.place, {
        username: 'hopeful',
        eventId: ulid(),
        idempotencyKey: 'x',
        lines: [{ type: 'pink', quantity: 1 }],
      });
      expect(reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', dependency: 'inventory' } });
    } finally {
      inventory.start();
      await inventory.waitReady();
    }
  });
});

/** Invariant 3 / issue 13 point 1: an idempotency key names ONE order (its event and lines). */
describe('orders.place: one idempotency key, one order', () => {
  const remainingOf = async (eventId: string, type = 'pink') =>
    (await rpc.client.call(Rpc.inventory.availability, { eventId })).tickets.find((t) => t.type === type)!.remaining;
  const salesUnder = async (eventId: string) => Object.keys(await etcd.kv.getAll().prefix(prefixes.salesOf(eventId)).strings());

  it('the same key for another event is CONFLICT naming the first order, and sells nothing there', async () => {
    const [a, b] = await Promise.all([
      rpc.client.call(Rpc.catalog.createEvent, event('Key A')),
      rpc.client.call(Rpc.catalog.createEvent, event('Key B')),
    ]);
    const lines = [{ type: 'pink', quantity: 2 }];
    const first = await rpc.client.call(Rpc.orders.place, { username: 'kai', eventId: a.eventId, idempotencyKey: 'one-key', lines });
    expect(first.status).toBe('accepted');
    const again = await rpc.client.request(Rpc.orders.place, { username: 'kai', eventId: b.eventId, idempotencyKey: 'one-key', lines });
    expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { orderId: first.orderId, eventId: a.eventId } } });
    expect(!again.ok && again.error.message).toContain(first.orderId);
    expect(await remainingOf(b.eventId)).toBe(400);
    expect(await salesUnder(b.eventId)).toEqual([]);
    expect(await remainingOf(a.eventId)).toBe(398);
  });

  it('the same key, event and lines (in any order) get the first reply byte for byte and buy once; other lines are CONFLICT', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, event('Key lines'));
    const place = (lines: { type: string; quantity: number }[]) =>
      rpc.client.request(Rpc.orders.place, { username: 'lena', eventId: e.eventId, idempotencyKey: 'lines-key', lines });
    const first = await place([
      { type: 'pink', quantity: 1 },
      { type: 'blue', quantity: 2 },
    ]);
    expect(first).toMatchObject({ ok: true, data: { status: 'accepted' } });
    for (const lines of [
      [
        { type: 'blue', quantity: 2 },
        { type: 'pink', quantity: 1 },
      ],
      [
        { type: 'pink', quantity: 1 },
        { type: 'blue', quantity: 1 },
        { type: 'blue', quantity: 1 },
      ],
    ]) {
      expect(JSON.stringify(await place(lines))).toBe(JSON.stringify(first));
    }
    const orderId = first.ok ? first.data.orderId : '';
    for (const lines of [
      [
        { type: 'pink', quantity: 2 },
        { type: 'blue', quantity: 2 },
      ],
      [{ type: 'pink', quantity: 1 }],
    ]) {
      expect(await place(lines)).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { orderId, eventId: e.eventId } } });
    }
    expect(await remainingOf(e.eventId, 'pink')).toBe(399);
    expect(await remainingOf(e.eventId, 'blue')).toBe(398);
    expect(await salesUnder(e.eventId)).toHaveLength(1);
  });

  it('a refused order binds nothing: decided again when retried, it sells once there is stock, and then the key is bound to that sale (issue 27)', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, event('Key refused', 1));
    const other = await rpc.client.call(Rpc.catalog.createEvent, event('Key refused other'));
    const order = { username: 'moe', eventId: e.eventId, idempotencyKey: 'refused-key', lines: [{ type: 'pink', quantity: 2 }] };
    const refused = await rpc.client.call(Rpc.orders.place, order);
    expect(refused).toMatchObject({ status: 'refused', reason: 'sold_out' });
    expect(await etcd.kv.get(keys.order('moe', refused.orderId)).string()).toBeNull();
    await rpc.client.call(Rpc.inventory.adjust, { eventId: e.eventId, ticketType: 'pink', total: 5 });
    const sold = await rpc.client.call(Rpc.orders.place, order);
    expect(sold).toMatchObject({ status: 'accepted', orderId: refused.orderId, remaining: { pink: 3 } });
    for (const reuse of [
      { ...order, lines: [{ type: 'pink', quantity: 1 }] },
      { ...order, eventId: other.eventId },
    ]) {
      expect(await rpc.client.request(Rpc.orders.place, reuse)).toMatchObject({
        ok: false,
        error: { code: 'CONFLICT', details: { orderId: refused.orderId, eventId: e.eventId } },
      });
    }
    expect(await remainingOf(other.eventId)).toBe(400);
    expect(await salesUnder(other.eventId)).toEqual([]);
  });

  it('an order refused as bad input (unknown event or type, over the limit) leaves no order: key, so its key is free (issue 18.3)', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, event('Bad input keys'));
    const unknownEvent = ulid();
    const bad = [
      { eventId: unknownEvent, lines: [{ type: 'pink', quantity: 1 }], reason: 'unknown_event' },
      { eventId: e.eventId, lines: [{ type: 'gold', quantity: 1 }], reason: 'unknown_type' },
      { eventId: e.eventId, lines: [{ type: 'pink', quantity: 11 }], reason: 'over_max_per_order' },
    ];
    for (const [i, b] of bad.entries()) {
      const order = { username: 'bea', eventId: b.eventId, idempotencyKey: `bad-input-${i}`, lines: b.lines };
      const refused = await rpc.client.call(Rpc.orders.place, order);
      expect(refused).toMatchObject({ status: 'refused', reason: b.reason });
      expect(await etcd.kv.get(keys.order('bea', refused.orderId)).string()).toBeNull();
      // The key never bound anything: the same key now names a good order, which sells.
      const good = await rpc.client.call(Rpc.orders.place, { ...order, eventId: e.eventId, lines: [{ type: 'pink', quantity: 1 }] });
      expect(good).toMatchObject({ status: 'accepted', orderId: refused.orderId });
    }
    // A sold-out refusal binds nothing either (issue 27: idempotency.e2e-spec.ts).
  });

  it('a retry decided as bad input whose order sold meanwhile gets its sale; the key for another event is CONFLICT and sells nothing (issue 25.4, invariant 3)', async () => {
    // The race: a send of the order sold it (say before the per-order limit was lowered), and a
    // retry is now decided as bad input (over the limit). The sale is written here as inventory
    // writes it (ticket decrement, sale: and order: keys, outbox entry), by no inventory instance,
    // so inventory holds no memory of it: the refusal must look the sale up.
    const [e, other] = await Promise.all([
      rpc.client.call(Rpc.catalog.createEvent, event('Release race')),
      rpc.client.call(Rpc.catalog.createEvent, event('Release race other')),
    ]);
    const order = { username: 'ria', eventId: e.eventId, idempotencyKey: 'release-race', lines: [{ type: 'pink', quantity: 11 }] };
    const orderId = deriveOrderId(order.username, order.idempotencyKey);
    const ticketKey = keys.ticket(e.eventId, 'pink');
    const kv = (await etcd.kv.get(ticketKey).exec()).kvs[0]!;
    const ticket = ticketRecord.parse(JSON.parse(kv.value.toString()));
    const sale: SaleRecord = {
      username: order.username,
      lines: [{ type: 'pink', quantity: 11, unitPrice: ticket.price }],
      total: 11 * ticket.price,
      remaining: { pink: ticket.remaining - 11 },
      at: new Date().toISOString(),
    };
    const stock = [{ type: 'pink', total: ticket.total, remaining: ticket.remaining - 11 }];
    const written = await etcd.kv
      .if(ticketKey, 'Mod', '==', kv.mod_revision)
      .and(keys.sale(e.eventId, orderId), 'Create', '==', 0)
      .then(
        etcd.kv.put(ticketKey).value(JSON.stringify({ ...ticket, remaining: ticket.remaining - 11 })),
        etcd.kv.put(keys.sale(e.eventId, orderId)).value(JSON.stringify(sale)),
        etcd.kv.put(keys.order(order.username, orderId)).value(JSON.stringify(claimOf(order, new Date(sale.at)))),
        etcd.kv.put(keys.outbox('inventory', ulid())).value(
          JSON.stringify({
            kind: 'inventory.sold-batch',
            payload: { eventId: e.eventId, orderIds: [orderId], stock, occurredAt: sale.at },
          }),
        ),
      )
      .commit();
    expect(written.succeeded).toBe(true);

    // The retry gets its sale, not the refusal its lines would get now.
    expect(await rpc.client.call(Rpc.orders.place, order)).toMatchObject({ status: 'accepted', orderId, eventId: e.eventId });
    // The key for another event sells nothing there.
    const soldOther = await rpc.client.request(Rpc.orders.place, {
      ...order,
      eventId: other.eventId,
      lines: [{ type: 'pink', quantity: 1 }],
    });
    expect(soldOther).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { orderId, eventId: e.eventId } } });
    expect(await salesUnder(other.eventId)).toEqual([]);
    expect(await remainingOf(other.eventId)).toBe(400);
    // A repeat of the order itself still gets its sale.
    expect(await rpc.client.call(Rpc.orders.place, order)).toMatchObject({ status: 'accepted', orderId, eventId: e.eventId });
    await caughtUp();
    expect((await historyOf(order.username)).map((h) => `${h.eventId}:${h.orderId}`)).toEqual([`${e.eventId}:${orderId}`]);
  });

  it('the same key raced 20 times as 4 different orders over two events, through two orders and two inventory instances, sells exactly once', async () => {
    const extra = [stack.addInstance('orders'), stack.addInstance('inventory')];
    const added = await Promise.all(extra);
    try {
      await Promise.all(added.map((s) => s.waitReady()));
      const [a, b] = await Promise.all([
        rpc.client.call(Rpc.catalog.createEvent, event('Race A')),
        rpc.client.call(Rpc.catalog.createEvent, event('Race B')),
      ]);
      // Attempt i is variant i % 4: (A, 1), (B, 1), (A, 2), (B, 2); each variant 5 times.
      const variant = (i: number) => ({ eventId: [a.eventId, b.eventId][i % 2]!, quantity: 1 + ((i % 4) >> 1) });
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          rpc.client.request(Rpc.orders.place, {
            username: 'racer',
            eventId: variant(i).eventId,
            idempotencyKey: 'raced-key',
            lines: [{ type: 'pink', quantity: variant(i).quantity }],
          }),
        ),
      );
      const ok = replies.flatMap((r) => (r.ok ? [r.data] : []));
      expect(ok).toHaveLength(5);
      expect(new Set(ok.map((r) => JSON.stringify(r))).size).toBe(1);
      const won = ok[0]!;
      expect(won.status).toBe('accepted');
      for (const r of replies.filter((x) => !x.ok))
        expect(r).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { orderId: won.orderId, eventId: won.eventId } } });
      const sales = [...(await salesUnder(a.eventId)), ...(await salesUnder(b.eventId))];
      expect(sales).toHaveLength(1);
      const quantity = won.lines[0]!.quantity;
      expect(await remainingOf(won.eventId)).toBe(400 - quantity);
      expect(await remainingOf(won.eventId === a.eventId ? b.eventId : a.eventId)).toBe(400);
    } finally {
      await Promise.all(added.map((s) => s.stop()));
    }
  });

  it('one order id sold under two events reaches the history twice: message ids name the event too', async () => {
    // inventory.purchase directly: one order id under two events, for two users (order: keys are
    // per user and order id, so for one user the second is CONFLICT); the events must both arrive.
    const [a, b] = await Promise.all([
      rpc.client.call(Rpc.catalog.createEvent, event('Msg A')),
      rpc.client.call(Rpc.catalog.createEvent, event('Msg B')),
    ]);
    const orderId = ulid();
    const buy = (username: string, eventId: string) =>
      rpc.client.request(Rpc.inventory.purchase, { orderId, username, eventId, lines: [{ type: 'blue', quantity: 1 }] });
    expect(await buy('twice', a.eventId)).toMatchObject({ ok: true, data: { status: 'accepted' } });
    expect(await buy('twice', b.eventId)).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', details: { orderId, eventId: a.eventId } },
    });
    expect(await buy('twice-too', b.eventId)).toMatchObject({ ok: true, data: { status: 'accepted' } });
    // Both sales relayed (inventory's outbox empty), then consumed: whatever is missing now was dropped.
    await waitFor(async () => (await etcd.kv.getAll().prefix(prefixes.outboxOf('inventory')).count()) === 0, {
      timeoutMs: 30_000,
      what: "inventory's outbox relayed",
    });
    await caughtUp();
    expect((await historyOf('twice')).map((h) => `${h.eventId}:${h.orderId}`)).toEqual([`${a.eventId}:${orderId}`]);
    expect((await historyOf('twice-too')).map((h) => `${h.eventId}:${h.orderId}`)).toEqual([`${b.eventId}:${orderId}`]);
  });
});
