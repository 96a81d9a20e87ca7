/**
 * Issue 17 point 4: the tickets.sold consumer keeps up. A backlog is recorded in batches (one
 * etcd Txn per group of orders, not one per order), every order counted once although each
 * message is delivered twice (redelivery) and two orders instances share the backlog, and no
 * single stats key is moved by every sale: the totals are summed from the events' stats on read.
 * Against a real etcd x5 + nats-server -js (private stack: the test stops and adds orders instances).
 */
import { jetstream } from '@nats-io/jetstream';
import { Events, Rpc, statsRecord, type EventEnvelope, type SaleRecord } from '@ticketcd/contracts';
import { scanPrefix, writeInChunks } from '@ticketcd/etcd';
import { keys, parseKey } from '@ticketcd/keys';
import { keysWrittenSince, startStackWithClients, waitPipelineIdle, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';

const DURABLE = 'orders-tickets-sold';
let clients: StackClients;

beforeAll(async () => {
  clients = await startStackWithClients({ services: ['orders'] });
}, 120_000);

afterAll(() => clients?.close());

const caughtUp = () =>
  waitPipelineIdle(clients.etcd, clients.nc, {
    consumers: [{ stream: 'INVENTORY', durable: DURABLE }],
    timeoutMs: 90_000,
    what: 'the orders consumer to catch up',
  });

const revision = async () => Number((await clients.etcd.kv.get('probe').exec()).header.revision);

type Sale = {
  orderId: string;
  eventId: string;
  username: string;
  lines: { type: string; quantity: number; unitPrice: number }[];
  total: number;
};

function saleOf(eventId: string, i: number): Sale {
  const quantity = 1 + (i % 3);
  const type = i % 2 ? 'pink' : 'blue';
  const unitPrice = type === 'pink' ? 1000 : 2500;
  return { orderId: ulid(), eventId, username: `buyer-${i % 37}`, lines: [{ type, quantity, unitPrice }], total: quantity * unitPrice };
}

/** Publishes a tickets.sold as inventory's relay does; `copy` > 0 is a redelivery (same envelope, new message id). */
async function publish(sale: Sale, copy = 0): Promise<void> {
  const env: EventEnvelope = {
    id: `sold:${sale.eventId}:${sale.orderId}`,
    type: Events.inventory.ticketsSold.type,
    occurredAt: new Date().toISOString(),
    source: 'test',
    traceId: ulid(),
    data: { ...sale, revision: 1 },
  };
  await jetstream(clients.nc).publish(Events.inventory.ticketsSold.type, JSON.stringify(env), {
    msgID: copy ? `${env.id}:again-${copy}` : env.id,
  });
}

function expected(sales: Sale[]) {
  const out = new Map<string, { orders: number; revenue: number; soldByType: Record<string, number> }>();
  for (const s of sales) {
    const cur = out.get(s.eventId) ?? { orders: 0, revenue: 0, soldByType: {} };
    cur.orders += 1;
    cur.revenue += s.total;
    for (const l of s.lines) cur.soldByType[l.type] = (cur.soldByType[l.type] ?? 0) + l.quantity;
    out.set(s.eventId, cur);
  }
  return out;
}

describe('tickets.sold consumer: batches (issue 17 point 4)', () => {
  it('a backlog of 900 orders over 3 events, each delivered twice, two instances: one Txn per group, every order counted once', async () => {
    const orders = clients.stack.services.find((s) => s.spec.service === 'orders')!;
    await caughtUp(); // the durable exists
    await orders.stop();
    const events = [ulid(), ulid(), ulid()];
    const sales = Array.from({ length: 900 }, (_, i) => saleOf(events[i % 3]!, i));
    // Every message twice: the copy right behind its original, or far from it.
    for (let i = 0; i < sales.length; i++) {
      await publish(sales[i]!);
      if (i % 2) await publish(sales[i]!, 1);
    }
    for (let i = 0; i < sales.length; i += 2) await publish(sales[i]!, 1);
    // Inventory's sale: records, which reconcile counts from.
    const at = new Date().toISOString();
    await writeInChunks(
      clients.etcd.kv,
      sales.map((s) => {
        const record: SaleRecord = { username: s.username, lines: s.lines, total: s.total, remaining: {}, at };
        return { type: 'put' as const, key: keys.sale(s.eventId, s.orderId), value: JSON.stringify(record) };
      }),
    );

    const before = await revision();
    orders.start();
    const second = await clients.stack.addInstance('orders');
    try {
      await Promise.all([orders.waitReady(), second.waitReady()]);
      await caughtUp();
    } finally {
      await second.stop();
    }
    // Each committed write Txn moves the revision by one (reads do not): one per order before.
    const txns = (await revision()) - before;
    expect(txns).toBeLessThan(sales.length / 10);

    const purchases = new Set<string>();
    for await (const kv of scanPrefix(clients.etcd.kv, 'purchase:', 1000)) {
      const k = parseKey(kv.key);
      if (k.kind === 'purchase') purchases.add(`${k.eventId}:${k.orderId}`);
    }
    expect(purchases.size).toBe(sales.length);
    const want = expected(sales);
    for (const eventId of events) {
      const s = await clients.rpc.client.call(Rpc.orders.stats, { eventId });
      expect(s).toEqual(want.get(eventId));
    }
    // The totals: summed from the events' stats, equal to the sum of all sales.
    const all = await clients.rpc.client.call(Rpc.orders.stats, {});
    expect({ orders: all.orders, revenue: all.revenue }).toEqual({ orders: 900, revenue: sales.reduce((n, s) => n + s.total, 0) });
    // No global key moved by every sale.
    expect(await clients.etcd.kv.get(keys.statsAll()).string()).toBeNull();

    // A late redelivery of orders counted long ago writes nothing.
    const atRest = await revision();
    for (const s of sales.slice(0, 100)) await publish(s, 2);
    await caughtUp();
    expect(await keysWrittenSince(clients.etcd, atRest)).toEqual([]);
    await expect(clients.rpc.client.call(Rpc.orders.reconcile, {})).resolves.toMatchObject({ differences: [] });
  });

  it('a legacy stats:all key is not read as the totals; reconcile lists it and --fix deletes it', async () => {
    const legacy = { revenue: 1, orders: 123_456, soldByType: { pink: 1 } };
    const before = await clients.rpc.client.call(Rpc.orders.stats, {});
    await clients.etcd.kv.put(keys.statsAll()).value(JSON.stringify(legacy));
    expect(await clients.rpc.client.call(Rpc.orders.stats, {})).toEqual(before);
    const dry = await clients.rpc.client.call(Rpc.orders.reconcile, {});
    expect(dry.differences).toEqual([{ key: keys.statsAll(), kept: legacy, recomputed: expect.objectContaining({ orders: 0 }) }]);
    await expect(clients.rpc.client.call(Rpc.orders.reconcile, { fix: true })).resolves.toMatchObject({ fixed: true });
    expect(await clients.etcd.kv.get(keys.statsAll()).string()).toBeNull();
    await expect(clients.rpc.client.call(Rpc.orders.reconcile, {})).resolves.toMatchObject({ differences: [] });
    // Every stats key left is an event's, and parses.
    for await (const kv of scanPrefix(clients.etcd.kv, 'stats:')) {
      expect(parseKey(kv.key).kind).toBe('stats');
      statsRecord.parse(JSON.parse(kv.value));
    }
  });
});
