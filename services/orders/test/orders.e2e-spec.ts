/**
 * Orders against real catalog, inventory and orders processes on a private cluster and
 * JetStream. Guards invariant 3 through orders.place (idempotency keys), and that history and
 * stats are exact under redelivery and survive a kill -9 of the orders service.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Rpc, saleRecord, type EventEnvelope, type RpcResult } from '@ticketcd/contracts';
import { scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey } from '@ticketcd/keys';
import type { NatsConnection, RpcClient } from '@ticketcd/messaging';
import { startStackWithClients, waitFor, type Stack, type StackClients } from '@ticketcd/testing';
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
  const jsm = await jetstreamManager(nc);
  await waitFor(async () => {
    const info = await jsm.consumers.info('INVENTORY', DURABLE);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, { timeoutMs: 60_000, intervalMs: 200, what: 'the orders consumer to catch up' });
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
    const place = (username: string) => rpc.client.call(Rpc.orders.place, { username, eventId: e.eventId, idempotencyKey: 'checkout-7f3a', lines: [{ type: 'pink', quantity: 2 }] });
    const anas = await Promise.all(Array.from({ length: 50 }, () => place('ana')));
    expect(new Set(anas.map((o) => JSON.stringify(o))).size).toBe(1);
    const bobs = await place('bob');
    expect(bobs.orderId).not.toBe(anas[0]!.orderId);
    const a = await rpc.client.call(Rpc.inventory.availability, { eventId: e.eventId });
    expect(a.tickets.find((t) => t.type === 'pink')!.remaining).toBe(400 - 4);
  });

  it('1,000 orders over 5 events with every tickets.sold delivered twice: exact histories and stats, reconcile finds nothing', async () => {
    const events = await Promise.all(Array.from({ length: 5 }, (_, i) => rpc.client.call(Rpc.catalog.createEvent, event(`Busy ${i}`, 150))));
    const users = Array.from({ length: 40 }, (_, i) => `fan-${i}`);
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        rpc.client.call(Rpc.orders.place, { username: users[i % users.length]!, eventId: events[i % 5]!.eventId, idempotencyKey: ulid(), lines: [{ type: i % 2 ? 'pink' : 'blue', quantity: 1 + (i % 3) }] }),
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
      const mine = [...sold].filter(([, s]) => s.username === username).map(([id]) => id).sort();
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
    expect(seen.sort()).toEqual([...sold].filter(([, s]) => s.eventId === events[0]!.eventId).map(([id]) => id).sort());
    await expect(rpc.client.call(Rpc.orders.reconcile, {})).resolves.toMatchObject({ differences: [], fixed: false });
  });

  it('a kill -9 of the orders service right after the replies loses no history entry', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, event('Crashy'));
    const orders = stack.services.find((s) => s.spec.service === 'orders')!;
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => rpc.client.call(Rpc.orders.place, { username: 'crash-fan', eventId: e.eventId, idempotencyKey: `k-${i}`, lines: [{ type: 'pink', quantity: 1 }] })));
    await orders.stop('SIGKILL');
    orders.start();
    await orders.waitReady();
    await caughtUp();
    const history = await historyOf('crash-fan');
    expect(history.map((h) => h.orderId).sort()).toEqual(replies.map((r) => r.orderId).sort());
  });

  it('a deleted event refuses orders; its buyers still see their purchases', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, event('Cancelled'));
    const bought = await rpc.client.call(Rpc.orders.place, { username: 'loyal', eventId: e.eventId, idempotencyKey: 'before', lines: [{ type: 'blue', quantity: 1 }] });
    await rpc.client.call(Rpc.catalog.deleteEvent, { eventId: e.eventId });
    await waitFor(async () => {
      const t = await etcd.kv.get(keys.ticket(e.eventId, 'blue')).string();
      return t !== null && (JSON.parse(t) as { closed: boolean }).closed;
    }, { timeoutMs: 10_000, what: 'inventory to close the deleted event' });
    const refused = await rpc.client.call(Rpc.orders.place, { username: 'loyal', eventId: e.eventId, idempotencyKey: ulid(), lines: [{ type: 'blue', quantity: 1 }] });
    expect(refused).toMatchObject({ status: 'refused', reason: 'event_deleted' });
    await caughtUp();
    expect((await historyOf('loyal')).map((h) => h.orderId)).toContain(bought.orderId);
  });

  it('answers UNAVAILABLE naming inventory when no inventory instance runs', async () => {
    const inventory = stack.services.find((s) => s.spec.service === 'inventory')!;
    await inventory.stop();
    try {
      const reply = await rpc.client.request(Rpc.orders.place, { username: 'hopeful', eventId: ulid(), idempotencyKey: 'x', lines: [{ type: 'pink', quantity: 1 }] });
      expect(reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', dependency: 'inventory' } });
    } finally {
      inventory.start();
      await inventory.waitReady();
    }
  });
});
